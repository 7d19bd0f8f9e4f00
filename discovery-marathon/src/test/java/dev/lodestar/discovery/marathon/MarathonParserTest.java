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
  void aFilterDropsUnwantedAppsAndKeepsWantedOnesWhole() throws IOException {
    byte[] json = Fixtures.bytes("marathon-lb/tests-zdd_apps.json");
    List<MarathonApp> all = MarathonParser.parse(json).apps();
    assertTrue(all.size() >= 2, "fixture has " + all.size() + " apps");
    MarathonApp wanted = all.get(1);
    List<String> asked = new ArrayList<>();
    List<MarathonApp> kept = MarathonParser.parse(json, (id, labels) -> {
      asked.add(id + " " + labels.get(ZddDrain.GROUP));
      return id.equals(wanted.id());
    }).apps();
    assertEquals(List.of(wanted.id()), kept.stream().map(MarathonApp::id).toList());
    assertEquals(all.size(), asked.size(), "asked once per app: " + asked);
    assertEquals(wanted.id() + " " + wanted.labels().get(ZddDrain.GROUP), asked.get(1));
    MarathonApp got = kept.get(0);
    assertEquals(wanted.labels(), got.labels());
    assertEquals(wanted.slots(), got.slots());
    assertEquals(wanted.tasks().size(), got.tasks().size());
    assertEquals(endpoints(defaults(), wanted), endpoints(defaults(), got));
  }

  @Test
  void aFilterDecidesEvenWhenTasksComeBeforeTheIdAndLabels() throws IOException {
    String json = "{\"apps\":[{\"tasks\":[{\"id\":\"a.1\",\"host\":\"h\",\"ports\":[1]}],"
        + "\"labels\":{\"k\":\"v\"},\"id\":\"/a\"},"
        + "{\"id\":\"/b\",\"labels\":{\"k\":\"w\"},\"tasks\":[{\"id\":\"b.1\",\"host\":\"h\","
        + "\"ports\":[2]}]}]}";
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    assertEquals(List.of("/b"), MarathonParser.parse(bytes,
        (id, labels) -> "w".equals(labels.get("k"))).apps().stream().map(MarathonApp::id).toList());
    assertEquals(List.of("/a"), MarathonParser.parse(bytes,
        (id, labels) -> "v".equals(labels.get("k"))).apps().stream().map(MarathonApp::id).toList());
    assertEquals(1, MarathonParser.parse(bytes, (id, labels) -> id.equals("/a")).apps().get(0)
        .tasks().size());
  }

  @Test
  void repeatedValuesAreSharedAndPortArraysKeepTheirPositions() throws IOException {
    String json = "{\"tasks\":["
        + "{\"id\":\"a.1\",\"host\":\"agent-1\",\"state\":\"TASK_RUNNING\",\"ports\":[],"
        + "\"ipAddresses\":[]},"
        + "{\"id\":\"a.2\",\"host\":\"agent-1\",\"state\":\"TASK_RUNNING\",\"ports\":[7],"
        + "\"ipAddresses\":[{\"ipAddress\":\"10.0.0.2\"}]},"
        + "{\"id\":\"a.3\",\"host\":\"agent-2\",\"state\":\"TASK_STAGING\","
        + "\"ports\":[1,\"x\",70000,-4,5,6],"
        + "\"ipAddresses\":[{\"ipAddress\":\"10.0.0.3\"},{\"x\":1},{\"ipAddress\":\"fd00::3\"}]}]}";
    List<MarathonTask> tasks = MarathonParser.parse(json.getBytes(StandardCharsets.UTF_8))
        .looseTasks();
    assertEquals(3, tasks.size());
    assertTrue(tasks.get(0).host() == tasks.get(1).host(), "one copy of a repeated host");
    assertTrue(tasks.get(0).state() == tasks.get(1).state(), "one copy of a repeated state");
    assertEquals("agent-2", tasks.get(2).host());
    assertEquals("TASK_STAGING", tasks.get(2).state());
    assertArrayEquals(new int[0], tasks.get(0).ports());
    assertArrayEquals(new int[] {7}, tasks.get(1).ports());
    assertArrayEquals(new int[] {1, -1, -1, -1, 5, 6}, tasks.get(2).ports());
    assertEquals(List.of(), tasks.get(0).ipAddresses());
    assertEquals(List.of("10.0.0.2"), tasks.get(1).ipAddresses());
    assertEquals(List.of("10.0.0.3", "fd00::3"), tasks.get(2).ipAddresses());
    assertThrows(IOException.class, () -> MarathonParser.parse(
        "{\"tasks\":[{\"id\":\"a.1\",\"ports\":[1,2".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void sharedStringsGrowAndStopKeepingAtTheirBound() throws IOException {
    int n = SharedStrings.MAX_ENTRIES + 10;
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append("\"host-").append(i).append('"');
    }
    sb.append(']');
    SharedStrings strings = new SharedStrings();
    List<String> first = new ArrayList<>();
    try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.core.JsonFactory()
        .createParser(sb.toString())) {
      p.nextToken();
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.VALUE_STRING) {
        first.add(strings.of(p));
      }
    }
    assertEquals(n, first.size());
    try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.core.JsonFactory()
        .createParser(sb.toString())) {
      p.nextToken();
      for (int i = 0; p.nextToken() == com.fasterxml.jackson.core.JsonToken.VALUE_STRING; i++) {
        String again = strings.of(p);
        assertEquals("host-" + i, again);
        assertEquals(i < SharedStrings.MAX_ENTRIES, again == first.get(i), "shared: host-" + i);
      }
    }
  }

  @Test
  void anEmbeddedTaskBelongsToItsAppAndALooseTaskKeepsItsAppId() throws IOException {
    MarathonParser.Document doc = MarathonParser.parse(("{\"apps\":[{\"id\":\"/a\",\"tasks\":["
        + "{\"id\":\"a.1\",\"appId\":\"/a\",\"host\":\"h\",\"ports\":[1]},"
        + "{\"id\":\"a.2\",\"appId\":\"/elsewhere\",\"host\":\"h\",\"ports\":[2]}]},"
        + "{\"tasks\":[{\"id\":\"b.1\",\"appId\":\"/b\",\"host\":\"h\"}],\"id\":\"/b\"}]}")
        .getBytes(StandardCharsets.UTF_8));
    MarathonApp a = doc.apps().get(0);
    assertTrue(a.tasks().get(0).appId() == a.id(), "the app's own id string");
    assertEquals("/a", a.tasks().get(1).appId(), "an embedded task belongs to its app");
    // Tasks read before their app's id keep the appId they carry.
    assertEquals("/b", doc.apps().get(1).tasks().get(0).appId());
    MarathonParser.Document loose = MarathonParser.parse(
        "{\"tasks\":[{\"id\":\"c.1\",\"appId\":\"/c\"}]}".getBytes(StandardCharsets.UTF_8));
    assertEquals("/c", loose.looseTasks().get(0).appId());
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
