package dev.lodestar.agent.haproxy;

import static dev.lodestar.agent.haproxy.Loopback.answers;
import static dev.lodestar.agent.haproxy.Loopback.readOrEmpty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: HAProxy started by {@code lodestar haproxy --watch} from a loopback Marathon, real
 * loopback app instances behind it. One bridge serves every scenario; each scenario has its own
 * apps.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HaproxyEndToEndTest {
  @TempDir static Path dir;

  private final Apps apps = new Apps();
  private FixtureMarathon marathon;
  private RunningBridge bridge;
  private SelfSignedCert cert;
  private Loopback.Backend alpha;
  private Loopback.Backend beta;
  private Loopback.Backend sticky1;
  private Loopback.Backend sticky2;
  private Loopback.Backend secure;
  private Loopback.Backend kill1;
  private Loopback.Backend kill2;
  private int alphaPort;
  private int killPort;

  @BeforeAll
  void start() throws Exception {
    HaproxyBinary.require();
    cert = SelfSignedCert.create(dir, "secure.test");
    alpha = new Loopback.Backend("alpha");
    beta = new Loopback.Backend("beta");
    sticky1 = new Loopback.Backend("sticky1");
    sticky2 = new Loopback.Backend("sticky2");
    secure = new Loopback.Backend("secure");
    kill1 = new Loopback.Backend("kill1");
    kill2 = new Loopback.Backend("kill2");
    alphaPort = Loopback.freePort();
    killPort = Loopback.freePort();
    apps.app("/alpha", alphaPort, "HAPROXY_0_VHOST", "alpha.test");
    apps.task("/alpha", "alpha.1", alpha.port());
    apps.app("/beta", Loopback.freePort(), "HAPROXY_0_VHOST", "beta.test,www.beta.test");
    apps.task("/beta", "beta.1", beta.port());
    apps.app("/sticky", Loopback.freePort(), "HAPROXY_0_VHOST", "sticky.test",
        "HAPROXY_0_STICKY", "true");
    apps.task("/sticky", "sticky.1", sticky1.port()).task("/sticky", "sticky.2", sticky2.port());
    apps.app("/secure", Loopback.freePort(), "HAPROXY_0_VHOST", "secure.test",
        "HAPROXY_0_REDIRECT_TO_HTTPS", "true", "HAPROXY_0_SSL_CERT", cert.pem().toString());
    apps.task("/secure", "secure.1", secure.port());
    apps.app("/kill", killPort, "HAPROXY_0_BALANCE", "roundrobin");
    apps.task("/kill", "kill.1", kill1.port()).task("/kill", "kill.2", kill2.port());
    marathon = new FixtureMarathon(apps.document());
    bridge = new RunningBridge(dir, marathon);
    assertTrue(Loopback.await(60, () -> bridge.watcher.installs() >= 1),
        "the first config was not installed");
    assertTrue(Loopback.await(30, () -> answers(alphaPort, "x", "alpha")),
        "HAProxy does not route the alpha app");
  }

  @AfterAll
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {bridge, marathon, alpha, beta, sticky1, sticky2,
        secure, kill1, kill2}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  /** Publishes the apps' new state, with the events Marathon sends for the change. */
  private void publish(String... events) {
    marathon.set(apps.document());
    for (String event : events) {
      String type = event.replaceAll(".*\"eventType\":\"([a-z_]+)\".*", "$1");
      marathon.emit(type, event);
    }
  }

  private static String taskStatus(String appId, String taskId, String status, int port) {
    return "{\"eventType\":\"status_update_event\",\"appId\":\"" + appId + "\",\"taskId\":\""
        + taskId + "\",\"taskStatus\":\"" + status + "\",\"host\":\"127.0.0.1\",\"ports\":["
        + port + "]}";
  }

  private static String appChanged(String appId) {
    return "{\"eventType\":\"api_post_event\",\"appDefinition\":{\"id\":\"" + appId + "\"}}";
  }

  @Test
  @Order(1)
  void routesByServicePortAndByHostHeader() throws Exception {
    assertEquals("alpha", Loopback.get(alphaPort, "anything", "/", null).body());
    assertEquals("alpha", Loopback.get(bridge.httpPort, "alpha.test", "/", null).body());
    assertEquals("beta", Loopback.get(bridge.httpPort, "beta.test", "/", null).body());
    assertEquals("beta", Loopback.get(bridge.httpPort, "WWW.Beta.Test:8080", "/", null).body());
    // No route for an unknown host: HAProxy answers 503 itself.
    assertEquals(503, Loopback.get(bridge.httpPort, "nobody.test", "/", null).status());
  }

  @Test
  @Order(2)
  void stickyCookiePinsAClient() throws Exception {
    Loopback.Response first = Loopback.get(bridge.httpPort, "sticky.test", "/", null);
    String setCookie = first.header("Set-Cookie");
    assertNotNull(setCookie, "no sticky cookie in " + first.headers());
    assertTrue(setCookie.startsWith("LODESTAR_SERVERID="), setCookie);
    String cookie = setCookie.split(";")[0];
    for (int i = 0; i < 10; i++) {
      assertEquals(first.body(), Loopback.get(bridge.httpPort, "sticky.test", "/", cookie)
          .body());
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      seen.add(Loopback.get(bridge.httpPort, "sticky.test", "/", null).body());
    }
    assertEquals(Set.of("sticky1", "sticky2"), seen, "without the cookie both servers serve");
  }

  @Test
  @Order(3)
  void httpIsRedirectedToHttps() throws Exception {
    Loopback.Response r = Loopback.get(bridge.httpPort, "secure.test", "/a/b?c=d", null);
    assertEquals(301, r.status());
    assertEquals("https://secure.test/a/b?c=d", r.header("Location"));
    // Other vhosts stay on HTTP.
    assertEquals(200, Loopback.get(bridge.httpPort, "alpha.test", "/", null).status());
  }

  @Test
  @Order(4)
  void httpsIsOffloadedWithTheGeneratedCertificate() throws Exception {
    Loopback.Response r = Loopback.getTls(cert.trusting(), bridge.httpsPort, "secure.test", "/");
    assertEquals(200, r.status());
    assertEquals("secure", r.body());
    assertEquals("alpha", Loopback.getTls(cert.trusting(), bridge.httpsPort, "alpha.test", "/")
        .body());
  }

  @Test
  @Order(5)
  void aKilledTaskStopsReceivingTrafficAfterTheNextChange() throws Exception {
    Set<String> before = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      before.add(Loopback.get(killPort, "x", "/", null).body());
    }
    assertEquals(Set.of("kill1", "kill2"), before);
    // Marathon reports the task killed; its process still answers, so only the bridge can stop it.
    apps.state("/kill", "kill.2", "TASK_KILLED");
    int installs = bridge.watcher.installs();
    publish(taskStatus("/kill", "kill.2", "TASK_KILLED", kill2.port()));
    assertTrue(Loopback.await(30, () -> bridge.watcher.installs() > installs
        && !readOrEmpty(bridge.config).contains("kill.2")),
        "the killed task is still in the config");
    // The reload has been applied; the old worker may still take a last connection or two while
    // it hands over, so wait until 20 requests in a row avoid the killed task.
    assertTrue(Loopback.await(30, () -> {
      int hits = kill2.hits.get();
      for (int i = 0; i < 20; i++) {
        if (!answers(killPort, "x", "kill1")) {
          return false;
        }
      }
      return kill2.hits.get() == hits;
    }), "the killed task still receives traffic");
  }

  @Test
  @Order(6)
  void anInvalidConfigIsNotInstalledAndTheOldOneKeepsServing() throws Exception {
    String installed = Files.readString(bridge.config);
    int rejects = bridge.watcher.rejects();
    // A certificate file that passes the label check (it exists) but not HAProxy's: no PEM.
    Path notPem = Files.writeString(dir.resolve("not-a-cert.pem"), "not a certificate\n");
    apps.label("/secure", "HAPROXY_0_SSL_CERT", notPem.toString());
    publish(appChanged("/secure"));
    assertTrue(Loopback.await(30, () -> bridge.watcher.rejects() > rejects),
        "haproxy -c did not reject the config");
    assertEquals(installed, Files.readString(bridge.config), "the rejected config was written");
    assertEquals("alpha", Loopback.get(alphaPort, "x", "/", null).body());
    assertEquals("secure", Loopback.getTls(cert.trusting(), bridge.httpsPort, "secure.test", "/")
        .body());
    // Fixed again: the next change installs.
    int installs = bridge.watcher.installs();
    apps.label("/secure", "HAPROXY_0_SSL_CERT", cert.pem().toString());
    apps.task("/alpha", "alpha.2", alpha.port());
    publish(appChanged("/secure"), taskStatus("/alpha", "alpha.2", "TASK_RUNNING", alpha.port()));
    assertTrue(Loopback.await(30, () -> bridge.watcher.installs() > installs));
  }

  @Test
  @Order(7)
  void aMissingCertificateLeavesOnlyItsAppOutAndOtherChangesAreInstalled() throws Exception {
    apps.app("/badcert", Loopback.freePort(), "HAPROXY_0_VHOST", "badcert.test",
        "HAPROXY_0_SSL_CERT", dir.resolve("absent.pem").toString());
    apps.task("/badcert", "badcert.1", beta.port());
    apps.label("/kill", "HAPROXY_0_BALANCE", "leastconn");
    int rejects = bridge.watcher.rejects();
    publish(appChanged("/badcert"), appChanged("/kill"));
    assertTrue(Loopback.await(30, () -> readOrEmpty(bridge.config).contains("balance leastconn")),
        "the change to /kill was not installed (rejects " + rejects + " -> "
            + bridge.watcher.rejects() + "); config:\n" + readOrEmpty(bridge.config));
    assertFalse(readOrEmpty(bridge.config).contains("badcert"),
        "the app with the missing certificate is in the config");
    assertEquals(503, Loopback.get(bridge.httpPort, "badcert.test", "/", null).status());
    assertEquals("secure", Loopback.getTls(cert.trusting(), bridge.httpsPort, "secure.test", "/")
        .body());
  }
}
