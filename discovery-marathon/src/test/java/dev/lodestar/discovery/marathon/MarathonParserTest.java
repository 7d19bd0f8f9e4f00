package dev.lodestar.discovery.marathon;

import static dev.lodestar.discovery.marathon.Mapping.defaults;
import static dev.lodestar.discovery.marathon.Mapping.endpoints;
import static dev.lodestar.discovery.marathon.Mapping.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.marathon.MarathonApp.PortSlot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The streaming parser and the address rules, on every fixture shape. */
class MarathonParserTest {

  /** The app a task list belongs to when no app definition came with it. */
  private static MarathonApp bare(String id, List<MarathonTask> tasks) {
    return new MarathonApp(id, Map.of(), NetworkMode.HOST, List.of(), 0, tasks, tasks.size(), "");
  }

  @Test
  void currentTaskListWithZoneRegionAndServicePorts() {
    MarathonParser.Document doc = parse(Fixtures.bytes("marathon/v2-tasks.json"));
    assertEquals(List.of(), doc.apps());
    List<MarathonTask> tasks = doc.looseTasks();
    assertEquals(2, tasks.size());
    MarathonTask foosball = tasks.get(0);
    assertEquals("/frontend-foosball", foosball.appId());
    assertArrayEquals(new int[] {10019}, foosball.servicePorts());
    var instances = defaults().map("/frontend-foosball", bare("/frontend-foosball",
        List.of(foosball)), 0, new HashSet<>(), new ArrayList<>());
    assertEquals(List.of("srv4.example.com:31292 HEALTHY"), Mapping.describe(instances));
    assertEquals("a", instances.get(0).zone().orElseThrow());
    assertEquals("primary", instances.get(0).region().orElseThrow());
    assertEquals(List.of("srv2.example.com:31721 HEALTHY"),
        endpoints(defaults(), bare("/tools/docker/registry", List.of(tasks.get(1)))));
  }

  @Test
  void stagingTaskIsUnhealthy() {
    List<MarathonTask> tasks = parse(Fixtures.bytes("marathon/v2-apps-id-tasks.json"))
        .looseTasks();
    assertEquals(List.of("srv7.hw.ca1.mesosphere.com:31756 UNHEALTHY"),
        endpoints(defaults(), bare("/minecraft/survival-world", tasks)));
  }

  @Test
  void legacyTaskListWithoutAppIdOrStateAndTwoPorts() {
    List<MarathonTask> tasks = parse(Fixtures.bytes("marathon/legacy-0.x-v2-apps-id-tasks.json"))
        .looseTasks();
    assertNull(tasks.get(0).appId());
    assertNull(tasks.get(0).state());
    MarathonApp app = bare("/my-app", tasks);
    assertEquals(List.of("agouti.local:31382 HEALTHY", "agouti.local:31336 HEALTHY"),
        endpoints(defaults(), app));
    var second = new InstanceMapper(MarathonHealthPolicy.ofDefaults(), 1, null, 0)
        .map("/my-app", app, 1, new HashSet<>(), new ArrayList<>());
    assertEquals(List.of("agouti.local:31383 HEALTHY", "agouti.local:31337 HEALTHY"),
        Mapping.describe(second));
  }

  @Test
  void legacyTaskListWithHealthResultsKeyedByTaskId() {
    List<MarathonTask> tasks = parse(Fixtures.bytes("marathon/legacy-0.x-v2-tasks.json"))
        .looseTasks();
    assertEquals(1, tasks.get(0).healthResults());
    assertEquals(1, tasks.get(0).aliveResults());
    assertEquals(List.of("10.141.141.10:31000 HEALTHY", "10.141.141.10:31001 HEALTHY"),
        endpoints(defaults(), bare("/bridged-webapp", tasks)));
  }

  @Test
  void appListWithLegacyAppPortsAndNoTasks() {
    MarathonApp app = Mapping.app(Fixtures.bytes("marathon/v2-apps.json"), "/myapp");
    assertEquals(NetworkMode.HOST, app.mode());
    assertEquals(List.of(new PortSlot(null, 10013, true, 0), new PortSlot(null, 10015, true, 0)),
        app.slots());
    assertEquals(0, app.healthChecks());
    assertNull(app.tasks());
  }

  @Test
  void appDefinitionDockerBridgeWinsOverLegacyIpAddress() {
    MarathonApp app = Mapping.app(Fixtures.bytes("marathon/v2-app-definition.json"), "/foo");
    assertEquals(NetworkMode.BRIDGE, app.mode());
    assertEquals(List.of(new PortSlot("http", 10019, true, 80)), app.slots());
    assertEquals(1, app.healthChecks());
  }

  @Test
  void marathonLbDefinitionsPre15And15() {
    MarathonApp pre15 = Mapping.app(Fixtures.bytes("marathon-lb/tests-1-nginx.json"), "nginx");
    MarathonApp v15 = Mapping.app(Fixtures.bytes("marathon-lb/tests-1-nginx-marathon1.5.json"),
        "nginx");
    for (MarathonApp app : List.of(pre15, v15)) {
      assertEquals(NetworkMode.BRIDGE, app.mode());
      assertEquals(List.of(new PortSlot(null, 10000, true, 8080)), app.slots());
      assertEquals(1, app.healthChecks());
      assertEquals("nginx", app.labels().get("HAPROXY_DEPLOYMENT_GROUP"));
    }
  }

  /** A task the test places on each marathon-lb CI backend definition. */
  private static final MarathonTask CI_TASK = new MarathonTask("t.1", null, "10.0.0.5",
      "TASK_RUNNING", new int[] {31000}, new int[0], List.of("9.0.0.7"), 0, 0, null, null);

  private static List<String> ciEndpoints(String file, int fallbackPort) {
    MarathonApp def = parse(Fixtures.bytes("marathon-lb/" + file)).apps().get(0);
    InstanceMapper mapper = new InstanceMapper(MarathonHealthPolicy.ofDefaults(), 0, null,
        fallbackPort);
    return Mapping.describe(mapper.map("s", def.withTasks(List.of(CI_TASK)), 0, new HashSet<>(),
        new ArrayList<>()));
  }

  @Test
  void ciBackendsEveryNetworkingMode() {
    assertEquals(NetworkMode.BRIDGE, parse(Fixtures.bytes("marathon-lb/ci-backends-docker_bridge"
        + ".json")).apps().get(0).mode());
    assertEquals(List.of("10.0.0.5:31000 HEALTHY"), ciEndpoints("ci-backends-docker_bridge.json",
        0));
    assertEquals(List.of("10.0.0.5:31000 HEALTHY"), ciEndpoints("ci-backends-ucr_bridge.json", 0));
    assertEquals(List.of("10.0.0.5:31000 HEALTHY"), ciEndpoints("ci-backends-docker_host.json",
        0));
    assertEquals(List.of("10.0.0.5:31000 HEALTHY"), ciEndpoints("ci-backends-ucr_host.json", 0));
    // IP per container: the task's own IP and the container port, no host port.
    assertEquals(NetworkMode.CONTAINER, parse(Fixtures.bytes("marathon-lb/ci-backends-docker_ippc"
        + ".json")).apps().get(0).mode());
    assertEquals(List.of("9.0.0.7:80 HEALTHY"), ciEndpoints("ci-backends-docker_ippc.json", 0));
    // A virtual network without any port: skipped unless a port is configured.
    MarathonApp ucrIppc = parse(Fixtures.bytes("marathon-lb/ci-backends-ucr_ippc.json")).apps()
        .get(0);
    assertEquals(NetworkMode.CONTAINER, ucrIppc.mode());
    assertEquals(List.of(), ucrIppc.slots());
    assertEquals(List.of(), ciEndpoints("ci-backends-ucr_ippc.json", 0));
    assertEquals(List.of("9.0.0.7:80 HEALTHY"), ciEndpoints("ci-backends-ucr_ippc.json", 80));
    MarathonApp ucrHost = parse(Fixtures.bytes("marathon-lb/ci-backends-ucr_host.json")).apps()
        .get(0);
    assertEquals(10003, ucrHost.slots().get(0).servicePort());
  }

  @Test
  void badTasksAreSkippedAndGoodOnesKept() throws IOException {
    String json = "{\"apps\":[{\"id\":\"/a\",\"unknownField\":{\"x\":[1,2,{}]},"
        + "\"portDefinitions\":[{\"port\":0,\"name\":\"http\"}],\"healthChecks\":null,"
        + "\"tasks\":["
        + "{\"id\":\"a.good\",\"host\":\"10.0.0.1\",\"ports\":[31000],\"state\":\"TASK_RUNNING\","
        + "\"ipAddresses\":null,\"healthCheckResults\":null,\"futureField\":true},"
        + "{\"id\":\"a.zero\",\"host\":\"10.0.0.2\",\"ports\":[0]},"
        + "{\"id\":\"a.big\",\"host\":\"10.0.0.3\",\"ports\":[70000]},"
        + "{\"id\":\"a.neg\",\"host\":\"10.0.0.3\",\"ports\":[-5]},"
        + "{\"id\":\"a.space\",\"host\":\"bad host\",\"ports\":[31001]},"
        + "{\"id\":\"a.nohost\",\"host\":\"\",\"ports\":[31002]},"
        + "{\"id\":\"a.noports\",\"host\":\"10.0.0.4\",\"ports\":[]},"
        + "{\"id\":\"a.textport\",\"host\":\"10.0.0.4\",\"ports\":[\"x\"]},"
        + "{\"host\":\"10.0.0.5\",\"ports\":[31003]},"
        + "42]}]}";
    MarathonApp app = MarathonParser.parse(json.getBytes(StandardCharsets.UTF_8)).apps().get(0);
    assertEquals(9, app.tasks().size());
    assertEquals(List.of("10.0.0.1:31000 HEALTHY"), endpoints(defaults(), app));
    assertEquals(31000, defaults().map("/a", app, 0, new HashSet<>(), new ArrayList<>()).get(0)
        .namedPort("http").orElseThrow());
  }

  @Test
  void malformedDocumentsFailAsAWhole() {
    byte[] good = Fixtures.bytes("marathon-lb/tests-zdd_apps.json");
    for (int cut : new int[] {1, 100, good.length / 2, good.length - 2}) {
      byte[] truncated = java.util.Arrays.copyOf(good, cut);
      assertThrows(IOException.class, () -> MarathonParser.parse(truncated), "cut at " + cut);
    }
    assertThrows(IOException.class, () -> MarathonParser.parse("[]".getBytes()));
    assertThrows(IOException.class, () -> MarathonParser.parse("{\"apps\":{}}".getBytes()));
    assertThrows(IOException.class, () -> MarathonParser.parse("{} {}".getBytes()));
    assertThrows(IOException.class, () -> MarathonParser.parse(new byte[0]));
  }

  @Test
  void instanceIdsOfTasks() {
    assertEquals("nginx-green.marathon-01da9a15-68a7-11e7-a229-e6a514ca0c21",
        MarathonTask.instanceIdOf("nginx-green.01da9a15-68a7-11e7-a229-e6a514ca0c21"));
    assertEquals("my-app.instance-c7c311a4-b669-11e6-a48f-0ea4f4b1778c",
        MarathonTask.instanceIdOf("my-app.instance-c7c311a4-b669-11e6-a48f-0ea4f4b1778c._app.1"));
    assertTrue(MarathonTask.instanceIdOf("x").equals("x"));
  }
}
