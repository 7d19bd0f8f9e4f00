package dev.lodestar.agent.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lodestar.agent.marathon.HealthCheck.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class AppDefinitionTest {

  private static AppDefinition app(String fixture, int index) throws InvalidAppException {
    return AppDefinition.parse(MarathonFixtures.appNodes(MarathonFixtures.tree(fixture))
        .get(index));
  }

  private static AppDefinition json(String json) throws Exception {
    return AppDefinition.parse(MarathonFixtures.JSON.readTree(json));
  }

  static List<String> appFixtures() {
    return MarathonFixtures.appFixtures();
  }

  @ParameterizedTest
  @MethodSource("appFixtures")
  void everyFixtureAppParses(String fixture) throws Exception {
    List<JsonNode> nodes = MarathonFixtures.appNodes(MarathonFixtures.tree(fixture));
    assertFalse(nodes.isEmpty());
    for (JsonNode n : nodes) {
      AppDefinition app = AppDefinition.parse(n);
      assertTrue(app.id().startsWith("/"), app.id());
      for (HealthCheck c : app.healthChecks()) {
        assertTrue(c.portIndex() < app.servicePorts().size(), fixture);
      }
    }
  }

  @Test
  void marathon15BridgeMappingWithName() throws Exception {
    AppDefinition app = app("marathon-lb/tests-marathon15_apps.json", 0);
    assertEquals("/pywebserver", app.id());
    assertEquals(NetworkMode.BRIDGE, app.networkMode());
    assertEquals(List.of(new ServicePort(0, 10101, "test", "tcp", 80, true)), app.servicePorts());
    assertEquals("myvhost.com", app.label("HAPROXY_0_VHOST"));
    assertEquals("external", app.label("HAPROXY_GROUP"));
    assertTrue(app.healthChecks().isEmpty());
    assertEquals(0, app.hostPortIndex(0));
  }

  @Test
  void pre15DockerBridgeAndLegacyPorts() throws Exception {
    AppDefinition green = app("marathon-lb/tests-zdd_apps.json", 0);
    AppDefinition blue = app("marathon-lb/tests-zdd_apps.json", 1);
    assertEquals("/nginx-green", green.id());
    assertEquals(NetworkMode.BRIDGE, green.networkMode());
    assertEquals(List.of(new ServicePort(0, 10000, null, "tcp", 8080, true)),
        green.servicePorts());
    assertEquals(List.of(new ServicePort(0, 10001, null, "tcp", 8080, true)),
        blue.servicePorts());
    assertEquals(List.of(new HealthCheck(Protocol.HTTP, "/", 0, 0, 3, 15, 15, 10, false)),
        green.healthChecks());
    assertEquals("blue", blue.label("HAPROXY_DEPLOYMENT_COLOUR"));
  }

  @Test
  void mesosHttpCheck() throws Exception {
    AppDefinition app = app("marathon-lb/tests-zdd_app_blue_marathon1.5.json", 0);
    assertEquals(NetworkMode.BRIDGE, app.networkMode());
    HealthCheck check = app.healthChecks().get(0);
    assertEquals(Protocol.MESOS_HTTP, check.protocol());
    assertTrue(check.protocol().isHttp());
    assertEquals("/", check.path());
    assertEquals(0, check.portIndex());
  }

  @Test
  void relativeIdOfAPostedDefinitionBecomesAbsolute() throws Exception {
    AppDefinition app = app("marathon-lb/tests-1-nginx.json", 0);
    assertEquals("/nginx", app.id());
    assertEquals(NetworkMode.BRIDGE, app.networkMode());
    assertEquals(10000, app.servicePorts().get(0).port());
    assertEquals(5, app.instances());
  }

  @ParameterizedTest
  @CsvSource({
      "ci-backends-docker_bridge.json, BRIDGE, 1, 0, 80, true",
      "ci-backends-docker_host.json, HOST, 1, 0, 0, true",
      "ci-backends-docker_ippc.json, CONTAINER, 1, 0, 80, false",
      "ci-backends-ucr_bridge.json, BRIDGE, 1, 0, 80, true",
      "ci-backends-ucr_host.json, HOST, 1, 10003, 0, true",
      "ci-backends-ucr_ippc.json, CONTAINER, 0, 0, 0, false",
  })
  void marathonLbCiBackendsCoverEveryNetworkingMode(String file, NetworkMode mode, int slots,
      int servicePort, int containerPort, boolean hostPort) throws Exception {
    AppDefinition app = app("marathon-lb/" + file, 0);
    assertEquals(mode, app.networkMode());
    assertEquals(slots, app.servicePorts().size());
    if (slots > 0) {
      ServicePort p = app.servicePorts().get(0);
      assertEquals(servicePort, p.port());
      assertEquals(containerPort, p.containerPort());
      assertEquals(hostPort, p.hostPort());
      assertEquals(hostPort ? 0 : -1, app.hostPortIndex(0));
    }
  }

  @Test
  void marathonDocsDefinition() throws Exception {
    AppDefinition app = app("marathon/v2-app-definition.json", 0);
    assertEquals("/foo", app.id());
    // Legacy ipAddress says container, docker.network BRIDGE overrides it.
    assertEquals(NetworkMode.BRIDGE, app.networkMode());
    assertEquals(List.of(new ServicePort(0, 10019, "http", "tcp", 80, true)),
        app.servicePorts());
    assertEquals(List.of(new HealthCheck(Protocol.HTTP, "/", 0, 0, 20, 20, 300, 3, false)),
        app.healthChecks());
    assertEquals("zeus", app.label("owner"));
  }

  @Test
  void legacyPortsAndOverridePort() throws Exception {
    AppDefinition myapp = app("marathon/v2-apps.json", 0);
    assertEquals(NetworkMode.HOST, myapp.networkMode());
    assertEquals(List.of(new ServicePort(0, 10013, null, "tcp"),
        new ServicePort(1, 10015, null, "tcp")), myapp.servicePorts());
    assertEquals(3, myapp.instances());
    assertEquals("2015-09-25T15:13:48.343Z", myapp.version());

    AppDefinition toggle = app("marathon/legacy-0.x-v2-apps-id.with-tasks.jsonc", 0);
    assertEquals(List.of(
        new HealthCheck(Protocol.HTTP, "/health", 0, 0, 10, 10, 5, 3, false),
        new HealthCheck(Protocol.HTTP, "/machinehealth", -1, 3333, 10, 10, 5, 6, false)),
        toggle.healthChecks());
  }

  @Test
  void networksModesAndDefaults() throws Exception {
    AppDefinition named = json("{\"id\":\"/a\",\"networks\":[{\"name\":\"dcos\"}],"
        + "\"container\":{\"portMappings\":[{\"containerPort\":8080,\"hostPort\":0,\"name\":\"h\"},"
        + "{\"containerPort\":9090,\"name\":\"g\",\"protocol\":\"udp,tcp\"}]},"
        + "\"healthChecks\":[{\"protocol\":\"MESOS_TCP\",\"portIndex\":1},{\"protocol\":\"COMMAND\"}]}");
    assertEquals(NetworkMode.CONTAINER, named.networkMode());
    assertEquals(List.of(new ServicePort(0, 0, "h", "tcp", 8080, true),
        new ServicePort(1, 0, "g", "udp,tcp", 9090, false)), named.servicePorts());
    assertTrue(named.servicePorts().get(1).isTcp());
    assertEquals(-1, named.hostPortIndex(1));
    assertEquals(new HealthCheck(Protocol.MESOS_TCP, null, 1, 0, 60, 20, 300, 3, false),
        named.healthChecks().get(0));
    assertEquals(-1, named.healthChecks().get(1).portIndex());
    assertNull(named.version());

    AppDefinition host = json("{\"id\":\"x/y\",\"networks\":[{\"mode\":\"host\"}],"
        + "\"portDefinitions\":[{\"port\":10000,\"name\":\"web\"}],\"labels\":{\"n\":3}}");
    assertEquals("/x/y", host.id());
    assertEquals(NetworkMode.HOST, host.networkMode());
    assertEquals("3", host.label("n"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "[]| not a JSON object",
      "{}| it has no id",
      "{\"id\":\"\"}| not a non-empty string",
      "{\"id\":\"/Bad App\"}| lowercase",
      "{\"id\":\"/a//b\"}| lowercase",
      "{\"id\":\"/a\",\"ports\":[70000]}| ports[0] is 70000, outside 0..65535",
      "{\"id\":\"/a\",\"portDefinitions\":[{\"port\":-1}]}| portDefinitions[0].port is -1",
      "{\"id\":\"/a\",\"portDefinitions\":[{\"port\":\"80\"}]}| not an integer",
      "{\"id\":\"/a\",\"portDefinitions\":{}}| portDefinitions is not an array",
      "{\"id\":\"/a\",\"labels\":[]}| labels is not an object",
      "{\"id\":\"/a\",\"labels\":{\"k\":{}}}| label k is not a string",
      "{\"id\":\"/a\",\"networks\":[{\"mode\":\"weird\"}]}| unknown networks[0].mode",
      "{\"id\":\"/a\",\"healthChecks\":[{\"protocol\":\"GOPHER\"}]}| unknown healthChecks[0].protocol",
      "{\"id\":\"/a\",\"healthChecks\":[{\"protocol\":\"TCP\"}]}| portIndex is 0 but the app has 0",
      "{\"id\":\"/a\",\"portDefinitions\":[{\"port\":1,\"protocol\":\"icmp\"}]}| not tcp, udp or sctp",
  })
  void invalidAppsGetATypedErrorNamingAppAndReason(String json, String expected) {
    InvalidAppException e = assertThrows(InvalidAppException.class, () -> json(json));
    assertTrue(e.getMessage().contains(expected.trim()), e.getMessage());
  }

  @Test
  void invalidAppExceptionCarriesIdAndReason() {
    InvalidAppException e = assertThrows(InvalidAppException.class,
        () -> json("{\"id\":\"/a\",\"ports\":[70000]}"));
    assertEquals("/a", e.appId());
    assertEquals("ports[0] is 70000, outside 0..65535", e.reason());
  }

  @Test
  void valuesAreImmutable() throws Exception {
    AppDefinition app = app("marathon-lb/tests-marathon15_apps.json", 0);
    assertThrows(UnsupportedOperationException.class, () -> app.labels().put("k", "v"));
    assertThrows(UnsupportedOperationException.class, () -> app.servicePorts().clear());
  }
}
