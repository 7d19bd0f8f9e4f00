package dev.lodestar.discovery.marathon;

import static dev.lodestar.discovery.marathon.MarathonSourceContractTest.await;
import static dev.lodestar.discovery.marathon.MarathonSourceContractTest.endpoints;
import static dev.lodestar.discovery.marathon.RecordingListener.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.spi.SnapshotListener;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code /v2/events} stream from a real HTTP server on loopback: events from the fixtures are
 * applied, the connection is dropped mid-event and comes back, and a resync follows.
 */
class EventStreamTest {
  static final String ZDD15 = "marathon-lb/tests-zdd_app_blue_marathon1.5.json";
  static final String APP_PATH = "/v2/apps/nginx-green?embed=app.tasks";
  static final String ALL_PATH = "/v2/apps?embed=apps.tasks";
  /** Task ids of the fixture, sorted: ports 23336, 16916, 31184. */
  static final String T1 = "nginx-green.01bf22d4-68a7-11e7-a229-e6a514ca0c21";
  static final String T2 = "nginx-green.01da9a15-68a7-11e7-a229-e6a514ca0c21";
  static final List<String> ALL_HEALTHY = List.of("10.0.6.25:23336 HEALTHY",
      "10.0.6.25:16916 HEALTHY", "10.0.6.25:31184 HEALTHY");
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeMarathon marathon;
  private MarathonSource source;
  private final RecordingListener listener = new RecordingListener();

  @BeforeEach
  void start() throws Exception {
    marathon = new FakeMarathon();
    byte[] body = Fixtures.bytes(ZDD15);
    marathon.answer(APP_PATH, body).answer(ALL_PATH, body);
  }

  @AfterEach
  void stop() {
    if (source != null) {
      source.close();
    }
    marathon.close();
    assertFalse(listener.overlapped, "listener calls overlapped");
  }

  /** A source started with {@link #listener} that has loaded the fixture's app. */
  private MarathonSource startSource(Consumer<MarathonSource.Builder> config) throws Exception {
    startSimpleSource(config, listener);
    assertEquals(ALL_HEALTHY, endpoints(await(source.load("/nginx-green"))));
    return source;
  }

  /** A source of the simple FakeMarathon apps ({@link FakeMarathon#setTasks}), started. */
  private MarathonSource startSimpleSource(Consumer<MarathonSource.Builder> config) {
    return startSimpleSource(config, listener);
  }

  private MarathonSource startSimpleSource(Consumer<MarathonSource.Builder> config,
      SnapshotListener to) {
    MarathonSource.Builder b = MarathonSource.builder()
        .url(marathon.url())
        .pollInterval(Duration.ZERO)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .requestTimeout(Duration.ofSeconds(5));
    config.accept(b);
    source = b.build();
    source.start(to);
    return source;
  }

  private static FakeMarathon.Task running(String id, int port) {
    return new FakeMarathon.Task(id, port, "TASK_RUNNING");
  }

  /** The last snapshot pushed so far (the queue is drained), or null. */
  private ServiceSnapshot lastPushed() {
    List<ServiceSnapshot> all = new ArrayList<>();
    listener.snapshots.drainTo(all);
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /** A fixture event with some fields replaced. */
  static String event(String fixture, Consumer<ObjectNode> edit) throws Exception {
    ObjectNode node = (ObjectNode) JSON.readTree(Fixtures.bytes("marathon/" + fixture));
    edit.accept(node);
    return JSON.writeValueAsString(node);
  }

  /** The fixture without task {@code taskId}, as Marathon lists the app after the task died. */
  static byte[] without(String taskId) throws Exception {
    ObjectNode root = (ObjectNode) JSON.readTree(Fixtures.bytes(ZDD15));
    var tasks = (com.fasterxml.jackson.databind.node.ArrayNode) root.get("apps").get(0)
        .get("tasks");
    for (int i = 0; i < tasks.size(); i++) {
      if (tasks.get(i).get("id").asText().equals(taskId)) {
        tasks.remove(i);
      }
    }
    return JSON.writeValueAsBytes(root);
  }

  @Test
  void statusUpdateKillsTheTaskAtOnce() throws Exception {
    startSource(b -> { });
    await("stream open", () -> marathon.openStreams() == 1);
    marathon.answer(APP_PATH, without(T1)).answer(ALL_PATH, without(T1));
    marathon.event("status_update_event", event("event-status_update_event.json", e -> {
      e.put("taskId", T1);
      e.put("appId", "/nginx-green");
      e.put("taskStatus", "TASK_KILLED");
    }));
    ServiceSnapshot s = listener.awaitSnapshot(x -> x.instances().size() == 2);
    assertEquals(List.of("10.0.6.25:16916 HEALTHY", "10.0.6.25:31184 HEALTHY"), endpoints(s));
    await("the event triggers a targeted refresh",
        () -> marathon.requests().stream().filter(APP_PATH::equals).count() == 2);
  }

  @Test
  void theStreamAsksForTheEventTypesItUses() throws Exception {
    startSource(b -> { });
    await("stream open", () -> marathon.openStreams() == 1);
    String request = marathon.requests().stream().filter(r -> r.startsWith("/v2/events"))
        .findFirst().orElseThrow();
    for (String type : EventFeed.EVENT_TYPES) {
      assertTrue(request.contains("event_type=" + type), request);
    }
  }

  @Test
  void theFixtureStreamVerbatimRefreshesOnlyTheWatchedApp() throws Exception {
    String fooPath = "/v2/apps/foo?embed=app.tasks";
    marathon.answer(fooPath, 200, "{\"app\":{\"id\":\"/foo\",\"instances\":0,\"tasks\":[]}}");
    startSource(b -> { });
    assertEquals(List.of(), await(source.load("foo")).instances());
    await("stream open", () -> marathon.openStreams() == 1);
    // Legacy data-only frames, then the current frames (TASK_FAILED for /foo, TASK_RUNNING for
    // /test-app), each file as it is.
    marathon.send(Fixtures.text("marathon/legacy-0.x-v2-events.sse.txt") + "\n");
    marathon.send(Fixtures.text("marathon/v2-events.sse.txt"));
    // Task events apply from their payload; a deployment event asks for one confirming read.
    marathon.send("event: deployment_success\r\ndata: {\"plan\":{\"id\":\"d1\",\"steps\":"
        + "[{\"actions\":[{\"app\":\"/foo\"}]}]}}\r\n\r\n");
    await("confirming read of /foo",
        () -> marathon.requests().stream().filter(fooPath::equals).count() == 2);
    assertFalse(marathon.requests().stream().anyMatch(r -> r.startsWith("/v2/apps/test-app")),
        "events of apps nobody loaded are not fetched");
    assertEquals(1, marathon.eventConnections());
  }

  @Test
  void deploymentEventsRefreshTheirApps() throws Exception {
    startSource(b -> { });
    await("stream open", () -> marathon.openStreams() == 1);
    String info = Fixtures.text("marathon/event-deployment_info.json")
        .replace("\"/my-app\"", "\"/nginx-green\"");
    marathon.event("deployment_info", info);
    await("targeted refresh after deployment_info",
        () -> marathon.requests().stream().filter(APP_PATH::equals).count() == 2);
    marathon.event("api_post_event", event("event-api_post_event.json",
        e -> ((ObjectNode) e.get("appDefinition")).put("id", "/nginx-green")));
    await("targeted refresh after api_post_event",
        () -> marathon.requests().stream().filter(APP_PATH::equals).count() == 3);
  }

  @Test
  void unhealthyEventsApplyBeforeMarathonListsThem() throws Exception {
    startSource(b -> { });
    await("stream open", () -> marathon.openStreams() == 1);
    // REST still says alive (its read raced the event); the event wins until a newer read.
    marathon.event("health_status_changed_event", event("event-health_status_changed_event.json",
        e -> {
          e.put("appId", "/nginx-green");
          e.put("instanceId", "nginx-green.marathon-01da9a15-68a7-11e7-a229-e6a514ca0c21");
          e.put("alive", false);
        }));
    ServiceSnapshot s = listener.awaitSnapshot(x -> true);
    assertEquals(List.of("10.0.6.25:23336 HEALTHY", "10.0.6.25:16916 UNHEALTHY",
        "10.0.6.25:31184 HEALTHY"), endpoints(s));
  }

  @Test
  void instanceEventsMatchTasksByInstanceId() throws Exception {
    startSource(b -> { });
    await("stream open", () -> marathon.openStreams() == 1);
    marathon.event("instance_changed_event", event("event-instance_changed_event.json", e -> {
      e.put("runSpecId", "/nginx-green");
      e.put("instanceId", "nginx-green.marathon-01bf22d4-68a7-11e7-a229-e6a514ca0c21");
      e.put("condition", "Killing");
    }));
    assertEquals(List.of("10.0.6.25:23336 UNHEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:31184 HEALTHY"), endpoints(listener.awaitSnapshot(x -> true)));
  }

  @Test
  void appTerminatedRemovesTheService() throws Exception {
    startSource(b -> { });
    await("stream open", () -> marathon.openStreams() == 1);
    marathon.event("app_terminated_event", event("event-app_terminated_event.json",
        e -> e.put("appId", "/nginx-green")));
    assertEquals("/nginx-green", listener.awaitRemoved());
  }

  /**
   * A read in flight when app_terminated_event arrives does not bring the deleted app back: once
   * it is forgotten, it is not read again.
   */
  @Test
  void aDeletedAppIsNotReadAgainAfterARacingRead() throws Exception {
    marathon.setTasks("/web", List.of(running("web.t1", 31001)));
    startSimpleSource(b -> b.resyncInterval(Duration.ofMillis(200)));
    await(source.load("/web"));
    await("stream open", () -> marathon.openStreams() == 1);

    marathon.slow(Duration.ofMillis(500)); // the next resync is answered, with the app, late
    int reads = marathon.requestCount("/v2/apps/web");
    await("a resync in flight", () -> marathon.requestCount("/v2/apps/web") > reads);
    marathon.removeApp("/web");
    marathon.event("app_terminated_event",
        "{\"eventType\":\"app_terminated_event\",\"appId\":\"/web\"}");
    assertEquals("/web", listener.awaitRemoved());
    source.forget("/web"); // as the resolver does once the service is removed
    marathon.slow(Duration.ZERO);
    Thread.sleep(800); // the in-flight read lands
    int after = marathon.requestCount("/v2/apps/web");
    Thread.sleep(1_000); // resyncs every 100-300 ms would show here
    int later = marathon.requestCount("/v2/apps/web");
    assertEquals(after, later, "the deleted, forgotten app is still read: " + (later - after)
        + " GETs of /v2/apps/web in 1 s");
  }

  @Test
  void legacyDataOnlyFramingUnknownEventsAndHeartbeats() throws Exception {
    startSource(b -> { });
    await("stream open", () -> marathon.openStreams() == 1);
    marathon.send("\r\n");
    marathon.send(": keep-alive\r\n\r\n");
    marathon.event("framework_message_event", Fixtures.text(
        "marathon/event-framework_message_event.json"));
    marathon.event("pod_created_event", Fixtures.text("marathon/event-pod_created_event.json"));
    marathon.event("status_update_event", "{not json");
    marathon.answer(APP_PATH, without(T2));
    marathon.send("data: " + event("event-status_update_event.json", e -> {
      e.put("taskId", T2);
      e.put("appId", "/nginx-green");
      e.put("taskStatus", "TASK_FAILED");
    }) + "\n\n");
    ServiceSnapshot s = listener.awaitSnapshot(x -> true);
    assertEquals(List.of("10.0.6.25:23336 HEALTHY", "10.0.6.25:31184 HEALTHY"), endpoints(s));
    assertEquals(1, marathon.eventConnections(), "bad and unknown events never drop the"
        + " stream");
  }

  @Test
  void droppedMidEventReconnectsAndRereadsTheApp() throws Exception {
    startSource(b -> b.resyncInterval(Duration.ofMillis(300))
        .reconnectSpread(Duration.ofMillis(50)));
    await("stream open", () -> marathon.openStreams() == 1);
    // While the client is away, a task dies and its event is lost.
    marathon.answer(APP_PATH, without(T1)).answer(ALL_PATH, without(T1));
    marathon.send("event: status_update_event\r\ndata: {\"taskId\":\"" + T1);
    marathon.drop();
    ServiceSnapshot s = listener.awaitSnapshot(x -> x.instances().size() == 2);
    assertEquals(List.of("10.0.6.25:16916 HEALTHY", "10.0.6.25:31184 HEALTHY"), endpoints(s));
    await("reconnected", () -> marathon.eventConnections() == 2);
    assertFalse(marathon.requests().contains(ALL_PATH), "never the full list");
    assertTrue(listener.errors.isEmpty() || listener.errors.stream().allMatch(
        e -> e instanceof dev.lodestar.discovery.DiscoveryUnavailableException));
  }

  /**
   * A resync requested after an event replaces what that event said. Here a status update adds
   * t2, t2's kill event is lost, and Marathon lists only t1 from then on: the safety resync must
   * drop t2 even though no other event came between the status update and the resync.
   */
  @Test
  void aResyncRequestedAfterTheLastEventReplacesThatEventsChange() throws Exception {
    marathon.setTasks("/web", List.of(running("web.t1", 31001)));
    startSimpleSource(b -> b.resyncInterval(Duration.ofMillis(300)));
    assertEquals(List.of("127.0.0.1:31001 HEALTHY"), endpoints(await(source.load("/web"))));
    await("stream open", () -> marathon.openStreams() == 1);
    marathon.emitStatusUpdate("/web", running("web.t2", 31002));
    listener.awaitSnapshot(s -> s.instances().size() == 2);

    int reads = marathon.requestCount("/v2/apps/web");
    await("two safety resyncs", () -> marathon.requestCount("/v2/apps/web") >= reads + 2);
    Thread.sleep(100); // the second answer is applied
    ServiceSnapshot last = lastPushed();
    assertEquals(List.of("127.0.0.1:31001 HEALTHY"), last == null ? null : endpoints(last),
        "two resyncs listed only t1, yet t2 (added by the event before them) is still served");
  }

  /**
   * After the stream reconnects, every app is re-read within the reconnect resync window, also
   * one polled during the outage: a change between that poll and the reconnect is not missed.
   */
  @Test
  void everyAppIsRereadWithinTheReconnectWindowAfterAReconnect() throws Exception {
    marathon.setTasks("/web", List.of(running("web.t1", 31001)));
    startSimpleSource(b -> b.pollInterval(Duration.ofSeconds(1))
        .resyncInterval(Duration.ofHours(1))
        .reconnectResyncWindow(Duration.ofMillis(300))
        .reconnectSpread(Duration.ofMillis(10))
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(50)));
    assertEquals(List.of("127.0.0.1:31001 HEALTHY"), endpoints(await(source.load("/web"))));
    await("stream open", () -> marathon.openStreams() == 1);

    // The stream drops and cannot reconnect for a while: the source polls.
    marathon.eventStatus(503);
    marathon.drop();
    int reads = marathon.requestCount("/v2/apps/web");
    await("a poll during the outage", () -> marathon.requestCount("/v2/apps/web") > reads);
    Thread.sleep(100); // the poll's answer is applied
    // Then t1 is replaced by t2 (no event reaches the client) and the stream comes back.
    marathon.setTasks("/web", List.of(running("web.t2", 31002)));
    marathon.eventStatus(200);
    await("stream back", () -> marathon.openStreams() == 1);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    boolean seen = false;
    while (!seen && System.nanoTime() < deadline) {
      ServiceSnapshot s = listener.snapshots.poll(50, TimeUnit.MILLISECONDS);
      seen = s != null && endpoints(s).equals(List.of("127.0.0.1:31002 HEALTHY"));
    }
    assertTrue(seen, "the app was not re-read within 3 s of the reconnect"
        + " (reconnectResyncWindow 300 ms)");
  }

  /**
   * The polls armed when the stream dropped are replaced at the reconnect by a re-read spread
   * over the window, not kept because they are due sooner: a fleet that lost the stream together
   * has its polls due together, and keeping them made a leader failover of 1,000 clients a burst
   * of 300-500 requests/s (MarathonScaleSimulation). Here the poll would come 0.5-1.5 s after
   * the drop; with a one-day window a read within 2.5 s of the reconnect has odds of 3 in 100,000.
   */
  @Test
  void theReconnectReplacesTheOutagePollsWithReadsSpreadOverTheWindow() throws Exception {
    marathon.setTasks("/web", List.of(running("web.t1", 31001)));
    startSimpleSource(b -> b.pollInterval(Duration.ofSeconds(1))
        .resyncInterval(Duration.ofDays(1))
        .reconnectResyncWindow(Duration.ofDays(1))
        .reconnectSpread(Duration.ZERO)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(50)));
    assertEquals(List.of("127.0.0.1:31001 HEALTHY"), endpoints(await(source.load("/web"))));
    await("stream open", () -> marathon.openStreams() == 1);
    int connections = marathon.eventConnections();
    int reads = marathon.requestCount("/v2/apps/web");
    marathon.drop();
    await("stream back", () -> marathon.eventConnections() > connections
        && marathon.openStreams() == 1);
    Thread.sleep(2_500); // past every poll armed at the drop (0.5-1.5 s after it)
    assertEquals(reads, marathon.requestCount("/v2/apps/web"),
        "a poll armed during the outage still ran after the reconnect");
  }

  /**
   * A stream that is accepted and then ends at once (a proxy or a standby in front of Marathon)
   * is reconnected with the exponential backoff, not after the reconnect spread alone, which may
   * be zero.
   */
  @Test
  void aStreamThatEndsAtOnceIsReconnectedWithBackoff() throws Exception {
    AtomicInteger connects = new AtomicInteger();
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/", ex -> {
      if (ex.getRequestURI().getPath().equals("/v2/events")) {
        connects.incrementAndGet();
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, -1); // accepted, then the stream ends
      } else {
        ex.sendResponseHeaders(404, -1);
      }
      ex.close();
    });
    server.start();
    try (MarathonSource s = MarathonSource.builder()
        .url("http://127.0.0.1:" + server.getAddress().getPort())
        .reconnectSpread(Duration.ZERO)
        .build()) { // default backoff: 1 s, growing 1.5x with 50% jitter
      s.start(new SnapshotListener() {});
      Thread.sleep(2_000);
      int n = connects.get();
      assertTrue(n >= 1 && n <= 4, n + " event-stream connections in 2 s; the backoff starting at"
          + " 1 s allows at most 4");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aSilentStreamIsReconnected() throws Exception {
    // A silent stream is cut without an event: its reconnect waits for the backoff plus a random
    // time within the spread, so keep the spread short.
    startSource(b -> b.eventStreamIdleTimeout(Duration.ofMillis(200))
        .reconnectSpread(Duration.ofMillis(50)));
    await("reconnected after silence", () -> marathon.eventConnections() >= 2);
  }

  @Test
  void aBadResyncKeepsTheLastSnapshot() throws Exception {
    startSource(b -> b.pollInterval(Duration.ofMillis(50)).eventStream(false));
    marathon.answer(APP_PATH, "{\"apps\":[{\"id\":\"/nginx-green\",\"tasks\":[".getBytes());
    await("resync failed", () -> !listener.errors.isEmpty());
    assertTrue(listener.snapshots.isEmpty(), "no snapshot replaced the good one");
    marathon.answer(APP_PATH, 503, "{\"message\":\"no leader\"}".getBytes());
    int errors = listener.errors.size();
    await("resync failed again", () -> listener.errors.size() > errors);
    assertTrue(listener.snapshots.isEmpty(), "no snapshot replaced the good one");
    // Well-formed, but every task has an invalid host and port 0.
    marathon.answer(APP_PATH, Mapping.editTasks(Fixtures.bytes(ZDD15), t -> {
      t.put("host", "not a host");
      t.putArray("ports").add(0);
    }));
    int errors2 = listener.errors.size();
    await("every task unusable", () -> listener.errors.size() > errors2 && listener.errors
        .get(listener.errors.size() - 1).getMessage().contains("none of the 3 tasks"));
    assertTrue(listener.snapshots.isEmpty(), "no empty snapshot replaced the good one");
  }

  @Test
  void pollingWithoutAStreamPicksUpChanges() throws Exception {
    startSource(b -> b.pollInterval(Duration.ofMillis(50)).eventStream(false));
    marathon.answer(APP_PATH, without(T2));
    ServiceSnapshot s = listener.awaitSnapshot(x -> x.instances().size() == 2);
    assertEquals(List.of("10.0.6.25:23336 HEALTHY", "10.0.6.25:31184 HEALTHY"), endpoints(s));
    assertEquals(0, marathon.eventConnections());
  }

  /**
   * A port lookup re-reads the lean app list at the resync interval (MarathonSource's Javadoc),
   * also without a stream: an app that gets the service port later (the new colour of a
   * blue/green deployment) joins the watch. Before the fix, nothing ever re-listed.
   */
  @Test
  void aPortWatchPicksUpANewAppWithThePortWithoutAStream() throws Exception {
    marathon.setTasks("/web-blue", List.of(running("web-blue.t1", 31001)));
    startSimpleSource(b -> b.pollInterval(Duration.ofMillis(100)).eventStream(false)
        .resyncInterval(Duration.ofMillis(200)));
    assertEquals(1, await(source.load("port:10000")).instances().size());
    marathon.setTasks("/web-green", List.of(running("web-green.t1", 31002)));
    ServiceSnapshot both = listener.awaitSnapshot(s -> s.serviceId().equals("port:10000")
        && s.instances().size() == 2);
    assertEquals(2, both.instances().size());
  }

  /**
   * A listener that throws when told the stream is down (breaking its contract) does not stop
   * the source from switching to polling: the change below arrives only by a poll.
   */
  @Test
  void aThrowingListenerDoesNotKeepTheSourceFromPollingWhenTheStreamDrops() throws Exception {
    startSimpleSource(b -> b.pollInterval(Duration.ofMillis(50))
        .reconnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30))
        .reconnectSpread(Duration.ZERO), new SnapshotListener() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        listener.onSnapshot(snapshot);
      }

      @Override
      public void onError(String serviceId, Throwable error) {
        if (serviceId == null) {
          throw new IllegalStateException("listener bug");
        }
        listener.onError(serviceId, error);
      }
    });
    assertEquals(ALL_HEALTHY, endpoints(await(source.load("/nginx-green"))));
    await("stream open", () -> marathon.openStreams() == 1);
    marathon.eventStatus(503);
    marathon.drop();
    await("stream closed", () -> marathon.openStreams() == 0);
    marathon.answer(APP_PATH, without(T2));
    ServiceSnapshot s = listener.awaitSnapshot(x -> x.instances().size() == 2);
    assertEquals(List.of("10.0.6.25:23336 HEALTHY", "10.0.6.25:31184 HEALTHY"), endpoints(s));
  }

  @Test
  void aVanishedAppIsReportedButNeverDroppedByTheSource() throws Exception {
    startSource(b -> b.pollInterval(Duration.ofMillis(50)).eventStream(false));
    marathon.answer(APP_PATH, "{}".getBytes());
    await("a 200 without the app is an error", () -> listener.errors.stream()
        .anyMatch(e -> e instanceof dev.lodestar.discovery.DiscoveryUnavailableException
            && e.getMessage().contains("200 without")));
    marathon.answer(APP_PATH, 404, "{\"message\":\"App '/nginx-green' does not exist\"}"
        .getBytes());
    await("a 404 is an unknown service", () -> listener.errors.stream()
        .anyMatch(e -> e instanceof dev.lodestar.discovery.UnknownServiceException));
    assertTrue(listener.removed.isEmpty(), "the resolver's unknown-service grace decides");
    assertTrue(listener.snapshots.isEmpty(), "no empty snapshot replaced the good one");
  }

  /**
   * A refused stream (401/403) reports a clear error and is not retried by the backoff: only a
   * successful read (which shows the credentials work again) restarts it, once per read.
   */
  @Test
  void authFailureStopsTheStreamWithAClearError() throws Exception {
    marathon.eventStatus(401);
    startSource(b -> { });
    await("auth error reported", () -> listener.errors.stream()
        .anyMatch(e -> e instanceof MarathonAuthenticationException));
    assertInstanceOf(MarathonAuthenticationException.class, listener.errors.get(0));
    // Past the first attempt, the stream is tried again only after a successful read (the
    // load's, up to three: app, group, app), never on the 20-100 ms backoff, which would have
    // retried several times in this half second. Attempts are counted before reads, so every
    // attempt counted follows a read counted.
    Thread.sleep(500);
    long tries = marathon.requests().stream().filter(r -> r.startsWith("/v2/events")).count();
    long reads = marathon.requests().stream().filter(r -> r.startsWith("/v2/apps")).count();
    assertTrue(reads >= 1 && reads <= 3, reads + " reads for one load");
    assertTrue(tries >= 1 && tries <= 1 + reads, tries + " stream requests after " + reads
        + " successful reads: a refused stream is not retried without a successful read");
  }

  /**
   * With polling off (the resolver reads through load()), a stream refused once restarts after
   * the next successful load, as the refusal's log message says.
   */
  @Test
  void aRefusedStreamRestartsAfterTheNextSuccessfulLoad() throws Exception {
    marathon.setTasks("/web", List.of(running("web.t1", 31001)));
    marathon.eventStatus(401); // e.g. a DC/OS token being rotated
    startSimpleSource(b -> { });
    await("refused", () -> listener.errors.stream()
        .anyMatch(e -> e instanceof MarathonAuthenticationException));
    marathon.eventStatus(200);
    await(source.load("/web"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (marathon.openStreams() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(1, marathon.openStreams(), "no event stream 3 s after a successful load;"
        + " keepsSnapshotsFresh=" + source.keepsSnapshotsFresh());
  }
}
