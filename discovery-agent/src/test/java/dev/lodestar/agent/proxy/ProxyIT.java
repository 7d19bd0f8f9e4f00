package dev.lodestar.agent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end: {@code lodestar proxy} started from the built jar as its own process, a fake
 * Marathon (REST and events) on loopback, real loopback backends, and clients connecting to the
 * service port. The proxy follows every app (no --port) except in the bulk test.
 */
class ProxyIT {
  private FakeMarathon marathon;
  private final List<TestBackend> backends = new ArrayList<>();
  private ProxyProcess proxy;

  @BeforeEach
  void startMarathon() throws Exception {
    marathon = new FakeMarathon().heartbeat(java.time.Duration.ofSeconds(5));
  }

  @AfterEach
  void stopAll() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    backends.forEach(TestBackend::close);
    marathon.close();
  }

  private TestBackend backend() {
    TestBackend b = new TestBackend(TestBackend.Mode.ECHO);
    backends.add(b);
    return b;
  }

  private static List<Integer> portsOf(TestBackend... bs) {
    List<Integer> out = new ArrayList<>();
    for (TestBackend b : bs) {
      out.add(b.port());
    }
    return out;
  }

  @Test
  void everyBackendGetsTrafficAndAKilledBackendCostsNoClientConnection() throws Exception {
    TestBackend a = backend();
    TestBackend b = backend();
    TestBackend c = backend();
    int servicePort = ProxyProcess.freePort();
    marathon.putApp("/web", Apps.app("/web", servicePort, portsOf(a, b, c)));
    proxy = ProxyProcess.start("every-backend", "--marathon", marathon.url(),
        "--strategy", "round-robin");
    proxy.awaitListening(servicePort, 3);
    proxy.awaitLog("listening on 127.0.0.1:" + servicePort);

    assertEquals(0, Apps.failedRoundTrips(servicePort, 30));
    for (TestBackend t : List.of(a, b, c)) {
      assertTrue(t.accepted() > 0, "a backend got no connection: " + t.accepted());
    }

    // Marathon does not know yet: the proxy must find out by itself and route around it.
    b.kill();
    int acceptedBefore = a.accepted() + c.accepted();
    assertEquals(0, Apps.failedRoundTrips(servicePort, 30),
        "client connections failed while healthy instances existed");
    assertTrue(a.accepted() + c.accepted() >= acceptedBefore + 30);
    proxy.awaitLog("ejected 127.0.0.1:" + b.port());
    JsonNode l = proxy.listener(servicePort);
    assertEquals(0, l.path("failedConnections").asLong(), l.toString());
    assertTrue(l.path("connectFailures").asLong() >= 1, l.toString());
  }

  @Test
  void aScaleUpEventSendsTrafficToTheNewBackend() throws Exception {
    TestBackend a = backend();
    int servicePort = ProxyProcess.freePort();
    marathon.putApp("/api", Apps.app("/api", servicePort, portsOf(a)));
    proxy = ProxyProcess.start("scale-up", "--marathon", marathon.url());
    proxy.awaitListening(servicePort, 1);
    assertEquals(0, Apps.failedRoundTrips(servicePort, 5));

    TestBackend fresh = backend();
    marathon.putApp("/api", Apps.app("/api", servicePort, portsOf(a, fresh)));
    marathon.emitStatusUpdate("/api", new FakeMarathon.Task(Apps.taskId("/api", fresh.port()),
        fresh.port(), "TASK_RUNNING"));
    proxy.awaitListening(servicePort, 2);
    assertEquals(0, Apps.failedRoundTrips(servicePort, 30));
    assertTrue(fresh.accepted() > 0, "the new backend got no connection");
  }

  @Test
  void removingTheAppClosesItsListener() throws Exception {
    TestBackend a = backend();
    int servicePort = ProxyProcess.freePort();
    int otherPort = ProxyProcess.freePort();
    marathon.putApp("/gone", Apps.app("/gone", servicePort, portsOf(a)));
    marathon.putApp("/stays", Apps.app("/stays", otherPort, portsOf(a)));
    proxy = ProxyProcess.start("app-removed", "--marathon", marathon.url());
    proxy.awaitListening(servicePort, 1);
    proxy.awaitListening(otherPort, 1);
    assertEquals("x", Apps.echo(servicePort, "x"));

    marathon.removeApp("/gone");
    marathon.event("app_terminated_event",
        "{\"eventType\":\"app_terminated_event\",\"appId\":\"/gone\"}");
    proxy.awaitLog("closed listener 127.0.0.1:" + servicePort);
    proxy.awaitState("listener gone", s -> proxy.listener(servicePort) == null);
    assertNull(Apps.echo(servicePort, "x"), "the removed app's port still accepts");
    assertEquals("y", Apps.echo(otherPort, "y"));
  }

  @Test
  void curlReachesAnHttpAppThroughTheProxy() throws Exception {
    com.sun.net.httpserver.HttpServer app = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 16);
    app.createContext("/", ex -> {
      byte[] body = "hello from the app\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    app.start();
    try {
      int servicePort = ProxyProcess.freePort();
      marathon.putApp("/hello", Apps.app("/hello", servicePort,
          List.of(app.getAddress().getPort())));
      proxy = ProxyProcess.start("curl", "--marathon", marathon.url());
      proxy.awaitListening(servicePort, 1);
      Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "30",
          "http://127.0.0.1:" + servicePort + "/").redirectErrorStream(true).start();
      String out = new String(curl.getInputStream().readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(curl.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, curl.exitValue(), out);
      assertEquals("hello from the app\n", out);
    } finally {
      app.stop(0);
    }
  }

  @Test
  void aThousandConcurrentConnectionsMoveOneMegabyteEachWayIntact() throws Exception {
    TestBackend a = backend();
    TestBackend b = backend();
    int servicePort = ProxyProcess.freePort();
    marathon.putApp("/bulk", Apps.app("/bulk", servicePort, portsOf(a, b)));
    proxy = ProxyProcess.start("bulk", "--marathon", marathon.url(), "--port", servicePort + "=/bulk");
    proxy.awaitListening(servicePort, 2);

    int connections = 1000;
    int bytes = 1024 * 1024;
    try (BulkClient client = new BulkClient()) {
      List<CompletableFuture<BulkClient.Result>> results =
          client.start(servicePort, connections, bytes);
      CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
          .get(5, TimeUnit.MINUTES);
      int broken = 0;
      String example = null;
      for (CompletableFuture<BulkClient.Result> f : results) {
        BulkClient.Result r = f.get();
        if (!r.intact() || r.sent() != bytes) {
          broken++;
          example = r.toString();
        }
      }
      assertEquals(0, broken, "transfers not intact, e.g. " + example);
    }
    assertEquals(connections, a.accepted() + b.accepted());
    JsonNode l = proxy.listener(servicePort);
    assertEquals((long) connections * bytes, l.path("bytesToInstances").asLong(), l.toString());
    assertEquals((long) connections * bytes, l.path("bytesToClients").asLong(), l.toString());
  }

  /**
   * {@code --bind ::1}: the proxy's own resolver reads Marathon through the relay on the admin
   * port, at a URL made from the bind address; "http://::1:PORT" is no URL (an IPv6 literal needs
   * brackets), so the proxy died at start with a stack trace (exit 1).
   */
  @Test
  void anIpv6BindAddressServesItsServicePorts() throws Exception {
    TestBackend a = backend();
    int servicePort = ProxyProcess.freePort();
    marathon.putApp("/web", Apps.app("/web", servicePort, portsOf(a)));
    proxy = ProxyProcess.start("ipv6-bind", "--marathon", marathon.url(), "--bind", "::1");
    proxy.awaitLog("listening on ::1:" + servicePort);
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("::1", servicePort), 10_000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write("over v6".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.shutdownOutput();
      assertEquals("over v6", new String(Apps.readAll(s.getInputStream()),
          java.nio.charset.StandardCharsets.US_ASCII));
    }
  }
}
