package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The watch model without HTTP: every read path and event gives one answer, events apply from
 * their payload, bad answers keep the last state. Fixtures from marathon-lb's tests.
 */
class WatchModelTest {
  private static final String ZDD = "marathon-lb/tests-zdd_apps.json";
  private static final String DRAINED = "nginx-green.0dbabba6-c931-11e5-9836-026ee08d9f6f";
  private final RecordingListener listener = new RecordingListener();
  private final WatchModel model = new WatchModel("marathon[test]",
      new InstanceMapper(MarathonHealthPolicy.ofDefaults(), 0, null, 0), listener);

  private static Map<String, MarathonApp> apps(String fixture) throws IOException {
    Map<String, MarathonApp> byId = new HashMap<>();
    for (MarathonApp app : MarathonParser.parse(Fixtures.bytes(fixture)).apps()) {
      byId.put(app.id(), app);
    }
    return byId;
  }

  private static List<String> endpoints(ServiceSnapshot s) {
    List<String> out = new ArrayList<>();
    for (Instance i : s.instances()) {
      out.add(i.instanceId() + " " + i.health());
    }
    out.sort(null);
    return out;
  }

  private static String health(ServiceSnapshot s, String taskId) {
    for (Instance i : s.instances()) {
      if (i.instanceId().equals(taskId)) {
        return i.health().toString();
      }
    }
    return "absent";
  }

  private static MarathonEvent event(String json) throws IOException {
    return MarathonEvent.decode(null, json);
  }

  /**
   * tests-zdd_apps.json: green (older, 3 tasks) and blue (newer, 1 healthy task; target 1 as it has
   * no HAPROXY_DEPLOYMENT_NEW_INSTANCES label) of
   * group nginx; marathon-lb drains min(3, 1, max(0, 1 + 3 - 1)) = 1 green task, the first by id.
   * The app id and the service port say the same, whether the apps came as one group list or as
   * two single reads, and after an event.
   */
  /** The one app of an inline {@code {"app": ...}} answer. */
  private static MarathonApp app(String json) throws IOException {
    return MarathonParser.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)).apps()
        .get(0);
  }

  @Test
  void drainIsTheSameOnEveryReadPathAndForAppIdAndServicePort() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyRead(List.of(zdd.get("/nginx-green")), 0);
    model.applyRead(List.of(zdd.get("/nginx-blue")), 0);
    ServiceSnapshot byId = model.watchApp("/nginx-green", ServiceKey.of("/nginx-green"));
    ServiceSnapshot byPort = model.watchPort("port:10000", ServiceKey.of("port:10000"),
        WatchModel.portApps(10000, zdd));
    assertEquals("UNHEALTHY", health(byId, DRAINED));
    assertEquals("UNHEALTHY", health(byPort, DRAINED));
    assertEquals(3, byPort.instances().stream()
        .filter(i -> i.health().toString().equals("HEALTHY")).count());

    // The same document as one group list: nothing changes.
    model.applyGroup("nginx", zdd.values(), 0);
    ServiceSnapshot again = listener.snapshots.stream()
        .filter(s -> s.serviceId().equals("/nginx-green")).reduce((a, b) -> b).orElseThrow();
    assertEquals(endpoints(byId), endpoints(again));

    // The healthy blue task fails its check: nothing new is healthy, nothing drains any more,
    // in both watches at once.
    listener.snapshots.clear();
    model.onEvent(event("{\"eventType\":\"instance_health_changed_event\",\"instanceId\":"
        + "\"nginx-blue.marathon-3a58a46a-c937-11e5-9836-026ee08d9f6f\",\"runSpecId\":"
        + "\"/nginx-blue\",\"healthy\":false}"), 1);
    Map<String, ServiceSnapshot> pushed = new HashMap<>();
    listener.snapshots.forEach(s -> pushed.put(s.serviceId(), s));
    assertEquals(Set.of("/nginx-green", "port:10000"), pushed.keySet());
    assertEquals("HEALTHY", health(pushed.get("/nginx-green"), DRAINED));
    assertEquals("HEALTHY", health(pushed.get("port:10000"), DRAINED));
  }

  @Test
  void statusEventsApplyFromTheirPayloadWithoutARead() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyRead(List.of(zdd.get("/nginx-blue")), 0);
    model.watchApp("/nginx-blue", ServiceKey.of("/nginx-blue"));
    WatchModel.EventEffect killed = model.onEvent(event("{\"eventType\":\"status_update_event\","
        + "\"taskId\":\"nginx-blue.3a58a46a-c937-11e5-9836-026ee08d9f6f\",\"taskStatus\":"
        + "\"TASK_KILLED\",\"appId\":\"/nginx-blue\",\"host\":\"10.0.1.147\",\"ports\":[25724]}"),
        1);
    assertEquals(Set.of(), killed.confirm(), "the payload is enough");
    assertEquals(0, listener.snapshots.stream().reduce((a, b) -> b).orElseThrow()
        .instances().stream().filter(i -> i.health().toString().equals("HEALTHY")).count());

    WatchModel.EventEffect started = model.onEvent(event("{\"eventType\":\"status_update_event\","
        + "\"taskId\":\"nginx-blue.new\",\"taskStatus\":\"TASK_RUNNING\",\"appId\":"
        + "\"/nginx-blue\",\"host\":\"10.0.1.148\",\"ports\":[31001],\"ipAddresses\":"
        + "[{\"ipAddress\":\"172.17.0.3\",\"protocol\":\"IPv4\"}]}"), 2);
    assertEquals(Set.of(), started.confirm());
    ServiceSnapshot s = listener.snapshots.stream().reduce((a, b) -> b).orElseThrow();
    Instance added = s.instances().stream().filter(i -> i.instanceId().equals("nginx-blue.new"))
        .findFirst().orElseThrow();
    assertEquals("10.0.1.148", added.host());
    assertEquals(31001, added.port());

    // A reordered RUNNING for the killed task does not bring it back.
    int pushes = listener.snapshots.size();
    model.onEvent(event("{\"eventType\":\"status_update_event\",\"taskId\":"
        + "\"nginx-blue.3a58a46a-c937-11e5-9836-026ee08d9f6f\",\"taskStatus\":\"TASK_RUNNING\","
        + "\"appId\":\"/nginx-blue\",\"host\":\"10.0.1.147\",\"ports\":[25724]}"), 3);
    assertEquals(pushes, listener.snapshots.size());

    // A read's seq is the last event applied when it was requested. A REST answer requested
    // before event 2 (seq 1) keeps the added task; one requested right after it (seq 2) drops it.
    model.applyRead(List.of(zdd.get("/nginx-blue")), 1);
    assertTrue(model.effective("/nginx-blue").tasks().stream()
        .anyMatch(t -> t.id().equals("nginx-blue.new")), "a read older than the event");
    model.applyRead(List.of(zdd.get("/nginx-blue")), 2);
    assertEquals(1, model.effective("/nginx-blue").tasks().size(),
        "a read requested after event 2 was applied still shows the task event 2 added");
  }

  @Test
  void aHealthResultForATaskNotKnownYetAsksForOneRead() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyRead(List.of(zdd.get("/nginx-blue")), 0);
    model.watchApp("/nginx-blue", ServiceKey.of("/nginx-blue"));
    // Events are not ordered: the new task's first health result before its status update.
    WatchModel.EventEffect early = model.onEvent(event("{\"eventType\":"
        + "\"health_status_changed_event\",\"appId\":\"/nginx-blue\",\"taskId\":"
        + "\"nginx-blue.new\",\"alive\":true}"), 1);
    assertEquals(Set.of("/nginx-blue"), early.confirm());
    // A result for a known task is applied from the payload.
    WatchModel.EventEffect known = model.onEvent(event("{\"eventType\":"
        + "\"health_status_changed_event\",\"appId\":\"/nginx-blue\",\"taskId\":"
        + "\"nginx-blue.3a58a46a-c937-11e5-9836-026ee08d9f6f\",\"alive\":false}"), 2);
    assertEquals(Set.of(), known.confirm());
  }

  @Test
  void eventsWithoutEnoughPayloadAskForOneConfirmingRead() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyRead(List.of(zdd.get("/nginx-blue")), 0);
    model.watchApp("/nginx-blue", ServiceKey.of("/nginx-blue"));
    assertEquals(Set.of("/nginx-blue"), model.onEvent(event("{\"eventType\":"
        + "\"deployment_success\",\"plan\":{\"id\":\"d1\",\"steps\":[{\"actions\":[{\"app\":"
        + "\"/nginx-blue\"}]}]}}"), 1).confirm());
    assertEquals(Set.of(), model.onEvent(event("{\"eventType\":\"deployment_success\",\"plan\":"
        + "{\"id\":\"d2\",\"steps\":[{\"actions\":[{\"app\":\"/not-watched\"}]}]}}"), 2)
        .confirm(), "events on apps nobody watches cost nothing");
  }

  @Test
  void anUnknownAnswerKeepsTheLastSnapshotAndReportsTheTypedError() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyRead(List.of(zdd.get("/nginx-blue")), 0);
    ServiceSnapshot first = model.watchApp("/nginx-blue", ServiceKey.of("/nginx-blue"));
    model.appUnknown("/nginx-blue", "Marathon has no app /nginx-blue");
    assertInstanceOf(UnknownServiceException.class, listener.errors.get(0));
    assertTrue(listener.removed.isEmpty(), "the resolver's grace decides, not the source");
    assertTrue(listener.snapshots.isEmpty());
    model.applyRead(List.of(zdd.get("/nginx-blue")), 1);
    assertEquals(endpoints(first), endpoints(listener.snapshots.peek()));
  }

  /**
   * Deleting the other colour of a blue/green group (a rolled-back deployment) republishes the
   * watched colour: nothing drains its tasks any more.
   */
  @Test
  void deletingThePartnerColourUndrainsTheWatchedApp() throws IOException {
    model.applyGroup("nginx", apps(ZDD).values(), 0);
    ServiceSnapshot before = model.watchApp("/nginx-green", ServiceKey.of("/nginx-green"));
    assertEquals("UNHEALTHY", health(before, DRAINED));
    listener.snapshots.clear();

    model.onEvent(event("{\"eventType\":\"app_terminated_event\",\"appId\":\"/nginx-blue\"}"),
        1);
    ServiceSnapshot after = listener.snapshots.poll();
    assertTrue(after != null, "no snapshot pushed for /nginx-green; it still drains " + DRAINED
        + " against a deleted app");
    assertEquals("/nginx-green", after.serviceId());
    assertEquals("HEALTHY", health(after, DRAINED));
  }

  @Test
  void forgettingTheLastWatchDropsItsApps() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyGroup("nginx", zdd.values(), 0);
    model.watchApp("/nginx-green", ServiceKey.of("/nginx-green"));
    assertEquals(Set.of("/nginx-green", "/nginx-blue"), model.trackedApps(),
        "the other colour stays while green drains against it");
    model.forget("/nginx-green");
    assertEquals(Set.of(), model.trackedApps());
  }

  /**
   * marathon-lb's policy (any alive result makes a task healthy): one check of two failing says
   * nothing definite, as the other may still pass. The event must not take the task out until
   * the next safety resync; only a read knows.
   */
  @Test
  void underAnyAliveOneFailingCheckOfSeveralAsksForAReadInsteadOfDroppingTheTask()
      throws IOException {
    RecordingListener lbListener = new RecordingListener();
    WatchModel lb = new WatchModel("marathon[test]",
        new InstanceMapper(MarathonHealthPolicy.marathonLb(), 0, null, 0), lbListener);
    MarathonApp web = app("{\"app\":{\"id\":\"/web\",\"instances\":1,"
        + "\"portDefinitions\":[{\"port\":10000}],\"healthChecks\":[{\"protocol\":\"HTTP\"},"
        + "{\"protocol\":\"TCP\"}],\"tasks\":[{\"id\":\"web.t1\",\"host\":\"10.0.0.1\","
        + "\"ports\":[31001],\"state\":\"TASK_RUNNING\",\"healthCheckResults\":["
        + "{\"alive\":true},{\"alive\":true}]}]}}");
    lb.applyRead(List.of(web), 0);
    assertEquals("HEALTHY", health(lb.watchApp("/web", ServiceKey.of("/web")), "web.t1"));
    for (String type : List.of("health_status_changed_event", "instance_health_changed_event")) {
      WatchModel.EventEffect effect = lb.onEvent(event("{\"eventType\":\"" + type + "\","
          + "\"appId\":\"/web\",\"taskId\":\"web.t1\",\"alive\":false,\"healthy\":false}"),
          1);
      assertEquals(Set.of("/web"), effect.confirm(), type + ": no read asked for");
      assertTrue(lbListener.snapshots.stream()
          .allMatch(s -> health(s, "web.t1").equals("HEALTHY")),
          type + ": the task was taken out on one failing check of two");
    }
  }

  /** A task Marathon listed without an id (the mapper skips it) must not break events. */
  @Test
  void aTaskWithoutIdDoesNotStopEventsForTheOtherTasks() throws IOException {
    MarathonApp web = app("{\"app\":{\"id\":\"/web\",\"instances\":2,"
        + "\"portDefinitions\":[{\"port\":10000}],\"tasks\":[{\"host\":\"10.0.0.9\","
        + "\"ports\":[31009],\"state\":\"TASK_RUNNING\"},{\"id\":\"web.t1\",\"host\":"
        + "\"10.0.0.1\",\"ports\":[31001],\"state\":\"TASK_RUNNING\"},{\"id\":\"web.t2\","
        + "\"host\":\"10.0.0.2\",\"ports\":[31002],\"state\":\"TASK_RUNNING\"}]}}");
    model.applyRead(List.of(web), 0);
    assertEquals("HEALTHY", health(model.watchApp("/web", ServiceKey.of("/web")), "web.t1"));
    // Its kill event is applied from the payload (before the fix: a NullPointerException on the
    // id-less task, which the source's serial executor swallowed, so the kill was lost).
    model.onEvent(event("{\"eventType\":\"status_update_event\",\"taskId\":\"web.t1\","
        + "\"taskStatus\":\"TASK_KILLED\",\"appId\":\"/web\",\"host\":\"10.0.0.1\","
        + "\"ports\":[31001]}"), 1);
    assertEquals(List.of(), listener.errors);
    assertEquals("absent", health(listener.snapshots.stream().reduce((a, b) -> b).orElseThrow(),
        "web.t1"));
  }

  /**
   * Events are not ordered: a task started after the last read can have its TASK_FAILED arrive
   * before its TASK_RUNNING. The terminal state is final for it too, so the late RUNNING does not
   * add a dead task that would be served until the next resync.
   */
  @Test
  void aReorderedRunningAfterTheFailureOfANewTaskDoesNotAddIt() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyRead(List.of(zdd.get("/nginx-blue")), 0);
    model.watchApp("/nginx-blue", ServiceKey.of("/nginx-blue"));
    model.onEvent(event("{\"eventType\":\"status_update_event\",\"taskId\":\"nginx-blue.new\","
        + "\"taskStatus\":\"TASK_FAILED\",\"appId\":\"/nginx-blue\",\"host\":\"10.0.1.148\","
        + "\"ports\":[31001]}"), 1);
    model.onEvent(event("{\"eventType\":\"status_update_event\",\"taskId\":\"nginx-blue.new\","
        + "\"taskStatus\":\"TASK_RUNNING\",\"appId\":\"/nginx-blue\",\"host\":\"10.0.1.148\","
        + "\"ports\":[31001]}"), 2);
    assertTrue(model.effective("/nginx-blue").tasks().stream()
        .noneMatch(t -> t.id().equals("nginx-blue.new")), "the failed task was added as running");
    assertTrue(listener.snapshots.stream().allMatch(s -> health(s, "nginx-blue.new")
        .equals("absent")), "the failed task was served");
  }

  /**
   * Marathon 1.5+ sends a task's status_update_event before its instance_changed_event
   * (InstanceChangedEventsGenerator: taskEvent +: instanceEvent). The status update adds the new
   * task from its payload; the instance event that follows says nothing new about a task the
   * model knows, so it must not cost a read (the README: events cost no read when their payload
   * is enough). Each client watching the app would otherwise re-read it for every task start.
   */
  @Test
  void anInstanceRunningEventForATaskTheStatusUpdateAddedAsksForNoRead() throws IOException {
    Map<String, MarathonApp> zdd = apps(ZDD);
    model.applyRead(List.of(zdd.get("/nginx-blue")), 0);
    model.watchApp("/nginx-blue", ServiceKey.of("/nginx-blue"));
    assertEquals(Set.of(), model.onEvent(event("{\"eventType\":\"status_update_event\","
        + "\"taskId\":\"nginx-blue.instance-5f1c._app.1\",\"taskStatus\":\"TASK_RUNNING\","
        + "\"appId\":\"/nginx-blue\",\"host\":\"10.0.1.148\",\"ports\":[31001]}"), 1)
        .confirm());
    assertEquals(Set.of(), model.onEvent(event("{\"eventType\":\"instance_changed_event\","
        + "\"instanceId\":\"nginx-blue.instance-5f1c\",\"condition\":\"Running\",\"runSpecId\":"
        + "\"/nginx-blue\",\"host\":\"10.0.1.148\"}"), 2).confirm(),
        "a read asked for a task the model already has");
    // An instance the model does not know still asks for one.
    assertEquals(Set.of("/nginx-blue"), model.onEvent(event("{\"eventType\":"
        + "\"instance_changed_event\",\"instanceId\":\"nginx-blue.instance-77aa\",\"condition\":"
        + "\"Running\",\"runSpecId\":\"/nginx-blue\",\"host\":\"10.0.1.149\"}"), 3).confirm());
  }
}
