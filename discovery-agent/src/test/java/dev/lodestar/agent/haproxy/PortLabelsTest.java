package dev.lodestar.agent.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.agent.marathon.AppDefinition;
import dev.lodestar.agent.marathon.MarathonFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each supported label, valid and invalid; an invalid app is skipped, the others kept. */
class PortLabelsTest {
  private static final ServerLookup ONE_TASK =
      (app, slot) -> List.of(new ServerLookup.Target(app.id() + ".t1", "10.0.0.1", 31000));

  private static AppDefinition app(String id, int port, String... labels) throws Exception {
    StringBuilder l = new StringBuilder("\"HAPROXY_GROUP\":\"external\"");
    for (int i = 0; i + 1 < labels.length; i += 2) {
      l.append(",\"").append(labels[i]).append("\":\"").append(labels[i + 1]).append('"');
    }
    return AppDefinition.parse(MarathonFixtures.JSON.readTree("{\"id\":\"" + id
        + "\",\"portDefinitions\":[{\"port\":" + port + "}],\"labels\":{" + l + "}}"));
  }

  private static ConfigBuilder.Result build(AppDefinition... apps) {
    return new ConfigBuilder(new BridgeOptions("external", "*", 80, 443,
        List.of("/etc/ssl/a.pem"), 9090), ONE_TASK).build(List.of(apps));
  }

  private static String render(ConfigBuilder.Result r) {
    return new Templates(null).render(r.model());
  }

  @Test
  void everySupportedLabelShowsInTheConfig(@TempDir Path dir) throws Exception {
    // The builder only checks that the file is there and readable; HAProxy reads the PEM.
    Path pem = Files.writeString(dir.resolve("web.pem"), "PEM");
    String cfg = render(build(app("/web", 10000, "HAPROXY_0_VHOST", "web.test,www.web.test",
        "HAPROXY_0_STICKY", "true", "HAPROXY_0_REDIRECT_TO_HTTPS", "true",
        "HAPROXY_0_SSL_CERT", pem.toString(), "HAPROXY_0_BALANCE", "leastconn",
        "HAPROXY_0_PORT", "10500", "HAPROXY_0_BIND_ADDR", "127.0.0.2")));
    assertTrue(cfg.contains("acl host_web_10500 req.hdr(host),field(1,:) -i web.test www.web.test"), cfg);
    assertTrue(cfg.contains("cookie LODESTAR_SERVERID insert indirect nocache"), cfg);
    assertTrue(cfg.contains("cookie 10.0.0.1_31000"), cfg);
    assertTrue(cfg.contains("http-request redirect scheme https code 301 if host_web_10500"), cfg);
    assertTrue(cfg.contains("ssl crt /etc/ssl/a.pem crt " + pem), cfg);
    assertTrue(cfg.contains("balance leastconn"), cfg);
    assertTrue(cfg.contains("bind 127.0.0.2:10500"), cfg);
    assertTrue(cfg.contains("mode http"), cfg);
  }

  @Test
  void groupSelectsApps() throws Exception {
    AppDefinition internal = AppDefinition.parse(MarathonFixtures.JSON.readTree(
        "{\"id\":\"/i\",\"portDefinitions\":[{\"port\":10001}],"
            + "\"labels\":{\"HAPROXY_GROUP\":\"internal\"}}"));
    ConfigBuilder.Result r = build(internal, app("/e", 10002));
    assertEquals(1, r.model().backends().size());
    assertEquals("/e", r.model().backends().get(0).appId());
    assertEquals("tcp", r.model().backends().get(0).mode());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "HAPROXY_0_VHOST|bad host!|is not a host name",
      // The Host ACL is an exact match, so a wildcard would never route.
      "HAPROXY_0_VHOST|*.wild.test|wildcard host names are not supported",
      "HAPROXY_0_VHOST|a.test,*.b.test|wildcard host names are not supported",
      "HAPROXY_0_STICKY|yes|expected true or false",
      "HAPROXY_0_REDIRECT_TO_HTTPS|maybe|expected true or false",
      "HAPROXY_0_SSL_CERT|relative.pem|not an absolute file path",
      "HAPROXY_0_MODE|udp|expected tcp or http",
      "HAPROXY_0_BALANCE|fastest|expected one of",
      "HAPROXY_0_PORT|70000|expected a port number",
      "HAPROXY_0_BIND_ADDR|example.com|expected an IPv4 or IPv6",
      "HAPROXY_3_VHOST|x.test|no port index 3",
  })
  void invalidValueSkipsOnlyThatApp(String label, String value, String why) throws Exception {
    ConfigBuilder.Result r = build(app("/bad", 10000, label, value), app("/good", 10001));
    String problem = String.join("\n", r.problems());
    assertEquals(List.of("good_10001"), r.model().backends().stream()
        .map(ConfigModel.Backend::name).toList(),
        "only the app with the valid labels should be in the config; problems:\n" + problem);
    assertTrue(problem.contains("app /bad: label " + label + "='" + value + "'"), problem);
    assertTrue(problem.contains(why), problem);
    assertTrue(problem.contains("app skipped"), problem);
  }

  @Test
  void aCertificateThatIsNotAReadableFileSkipsOnlyThatApp(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.pem");
    Path directory = Files.createDirectory(dir.resolve("certs"));
    for (Path cert : List.of(missing, directory)) {
      ConfigBuilder.Result r = build(app("/bad", 10000, "HAPROXY_0_VHOST", "bad.test",
          "HAPROXY_0_SSL_CERT", cert.toString()), app("/good", 10001, "HAPROXY_0_VHOST",
          "good.test"));
      String problem = String.join("\n", r.problems());
      assertEquals(List.of("good_10001"), r.model().backends().stream()
          .map(ConfigModel.Backend::name).toList(),
          cert + ": only the app with a usable certificate should be in the config; problems:\n"
              + problem);
      assertTrue(problem.contains("app /bad: label HAPROXY_0_SSL_CERT='" + cert + "'"), problem);
      assertTrue(problem.contains("not a readable file") && problem.contains("app skipped"),
          problem);
      String cfg = render(r);
      assertFalse(cfg.contains(cert.toString()), "the HTTPS bind names the bad file:\n" + cfg);
      assertTrue(cfg.contains("-i good.test"), cfg);
    }
  }

  /**
   * Marathon takes any string as a health check's path. A quote, '#' or backslash in it
   * used to reach the {@code option httpchk} line as it was: HAProxy refuses a whole config with an
   * unmatched quote, so one app's check blocked every app's update (and it reads '#' as a comment
   * and a backslash as an escape, changing the path checked). The path is now escaped.
   */
  @Test
  void aHealthCheckPathWithQuotesOrBackslashesKeepsTheConfigValid(@TempDir Path dir)
      throws Exception {
    String haproxy = HaproxyBinary.require();
    AppDefinition checked = AppDefinition.parse(MarathonFixtures.JSON.readTree(
        "{\"id\":\"/checked\",\"portDefinitions\":[{\"port\":10000}],"
            + "\"labels\":{\"HAPROXY_GROUP\":\"external\"},\"healthChecks\":[{"
            + "\"protocol\":\"HTTP\",\"portIndex\":0,\"path\":"
            + MarathonFixtures.JSON.writeValueAsString("/health?who=o'neil#\\x41")
            + "}]}"));
    ConfigBuilder.Result r = build(checked, app("/good", 10001));
    String cfg = render(r);
    Path file = Files.writeString(dir.resolve("haproxy.cfg"), cfg);
    String problem = ConfigInstaller.check(haproxy, file);
    assertEquals(null, problem, "haproxy -c refused the config:\n" + cfg);
    assertTrue(cfg.contains("option httpchk GET /health?who=o\\'neil\\#\\\\x41"),
        cfg);
  }

  @Test
  void tcpModeWithStickyIsInvalid() throws Exception {
    ConfigBuilder.Result r = build(app("/t", 10000, "HAPROXY_0_MODE", "tcp",
        "HAPROXY_0_STICKY", "true"));
    assertTrue(r.model().backends().isEmpty());
    assertTrue(r.problems().get(0).contains("needs HTTP mode"), r.problems().toString());
  }

  @Test
  void aFrontendPortTakenByAnotherAppSkipsTheLaterApp() throws Exception {
    ConfigBuilder.Result r = build(app("/a", 10000), app("/b", 10001, "HAPROXY_0_PORT", "10000"));
    assertEquals(1, r.model().frontends().size());
    assertTrue(r.problems().get(0).contains("already used by app /a"), r.problems().toString());
  }
}
