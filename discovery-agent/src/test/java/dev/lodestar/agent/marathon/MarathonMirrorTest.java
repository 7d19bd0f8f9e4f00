package dev.lodestar.agent.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.marathon.MarathonClient;
import dev.lodestar.discovery.testing.FakeMarathon.Task;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link MarathonMirror} against a loopback Marathon. */
class MarathonMirrorTest {
  private FakeMarathon marathon;
  private MarathonMirror mirror;

  @BeforeEach
  void setUp() throws Exception {
    marathon = new FakeMarathon();
    marathon.setTasks("/web", List.of(new Task("web.1", 31001, "TASK_RUNNING"),
        new Task("web.2", 31002, "TASK_RUNNING")));
    marathon.setTasks("/db", List.of(new Task("db.1", 31101, "TASK_RUNNING")));
  }

  @AfterEach
  void tearDown() {
    if (mirror != null) {
      mirror.close();
    }
    marathon.close();
  }

  static MarathonMirror.Builder mirrorOf(FakeMarathon m) {
    return MarathonMirror.builder(MarathonClient.builder().url(m.url()).build())
        .resyncJitter(Duration.ofMillis(50))
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
  }

  @Test
  void listsOnceAtStartThenReadsOnlyTheAppsEventsName() throws Exception {
    mirror = mirrorOf(marathon).startGrace(Duration.ofSeconds(20)).build();
    AtomicInteger changes = new AtomicInteger();
    mirror.addListener(changes::incrementAndGet);
    mirror.start();
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    assertEquals(List.of("/db", "/web"), mirror.apps().stream().map(AppDefinition::id).toList());
    assertEquals(10000, mirror.app("/web").orElseThrow().servicePorts().get(0).port());
    assertTrue(mirror.appJson("/web").contains("web.2"));
    Await.until("one event stream", () -> marathon.openStreams() == 1);

    marathon.setTasks("/web", List.of(new Task("web.1", 31001, "TASK_RUNNING")));
    int before = changes.get();
    marathon.emitStatusUpdate("/web", new Task("web.2", 31002, "TASK_KILLED"));
    Await.until("web.2 gone from the mirror", () -> !mirror.appJson("/web").contains("web.2"));
    assertTrue(changes.get() > before, "listeners were called");
    assertEquals(1, marathon.requestCount("/v2/apps/web"), marathon.requests().toString());
    assertEquals(0, marathon.requestCount("/v2/apps/db"));
    assertEquals(1, marathon.requestCount("/v2/apps"), marathon.requests().toString());
    assertEquals(1, marathon.eventConnections());
  }

  @Test
  void coalescesEventsArrivingWhileAReadIsInFlight() throws Exception {
    mirror = mirrorOf(marathon).build();
    mirror.start();
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    Await.until("stream open", () -> marathon.openStreams() == 1);
    marathon.slow(Duration.ofSeconds(1));
    // One write: the twenty events arrive together while the first read waits a second.
    StringBuilder burst = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      burst.append("event: health_status_changed_event\r\ndata: {\"appId\":\"/web\",\"taskId\":"
          + "\"web.1\",\"alive\":true}\r\n\r\n");
    }
    marathon.send(burst.toString());
    Await.until("20 events received", () -> mirror.stats().events() >= 21);
    // Queued behind the events: completes once no re-read of /web is pending.
    mirror.whenFresh("/web").get();
    int reads = marathon.requestCount("/v2/apps/web");
    assertTrue(reads >= 1 && reads <= 2, "20 events cost " + reads + " reads");
  }

  @Test
  void garbageFromMarathonKeepsTheLastGoodState() throws Exception {
    mirror = mirrorOf(marathon).build();
    mirror.start();
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    String web = mirror.appJson("/web");
    Await.until("stream open", () -> marathon.openStreams() == 1);

    // A malformed event, an event whose read answers garbage, then a reconnect whose full list
    // is garbage: nothing changes.
    marathon.send("event: status_update_event\r\ndata: {not json\r\n\r\n");
    marathon.garbage(true);
    marathon.emitStatusUpdate("/web", new Task("web.2", 31002, "TASK_KILLED"));
    Await.until("the garbage read", () -> marathon.requestCount("/v2/apps/web") == 1);
    mirror.whenFresh("/web").get();
    marathon.drop();
    Await.until("a garbage full list after the reconnect",
        () -> marathon.eventConnections() == 2 && marathon.requestCount("/v2/apps") >= 2);
    assertEquals(web, mirror.appJson("/web"));
    assertEquals(2, mirror.apps().size());

    // Marathon recovers: the retried full list applies.
    marathon.setTasks("/web", List.of(new Task("web.1", 31001, "TASK_RUNNING")));
    marathon.removeApp("/db");
    marathon.garbage(false);
    Await.until("recovered", () -> mirror.appJson("/db") == null
        && !mirror.appJson("/web").contains("web.2"));
  }

  @Test
  void relistsAfterAReconnectAndDropsAppsThatWentAway() throws Exception {
    mirror = mirrorOf(marathon).build();
    mirror.start();
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    Await.until("stream open", () -> marathon.openStreams() == 1);
    marathon.removeApp("/db");
    marathon.drop();
    Await.until("/db dropped after the re-list", () -> mirror.appJson("/db") == null);
    assertTrue(mirror.app("/web").isPresent());
    assertEquals(2, marathon.eventConnections());
  }

  @Test
  void keepsAnInvalidAppAsJsonButNotAsDefinition() throws Exception {
    marathon.putApp("/bad", "{\"id\":\"/bad\",\"portDefinitions\":[{\"port\":-3}],\"tasks\":[]}");
    marathon.answer("/v2/apps?embed=apps.tasks", 200, "{\"apps\":[" + "{\"id\":\"/bad\","
        + "\"portDefinitions\":[{\"port\":-3}],\"tasks\":[]}, 42, {\"noid\":true},"
        + "{\"id\":\"/web\",\"tasks\":[]}]}");
    mirror = mirrorOf(marathon).build();
    mirror.start();
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    assertNotNull(mirror.appJson("/bad"));
    assertFalse(mirror.app("/bad").isPresent());
    assertEquals(List.of("/web"), mirror.apps().stream().map(AppDefinition::id).toList());
    assertNull(mirror.appJson("/db"));
  }

  @Test
  void firstSyncTimesOutWhileMarathonIsDown() throws Exception {
    marathon.failRest(503);
    mirror = mirrorOf(marathon).build();
    mirror.start();
    assertFalse(mirror.awaitFirstSync(Duration.ofMillis(300)));
    assertTrue(mirror.apps().isEmpty());
    marathon.failRest(0);
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    assertEquals(2, mirror.apps().size());
  }

  /**
   * Full lists started in {@code window} against a Marathon that fails them. One retry chain with
   * a 1 s backoff (50% jitter, capped at 1 s) lists at most every 0.5 s, so at most 7 times in 3
   * s; scheduling delays on a loaded machine only lower the count.
   */
  private int listsWhileFailing(Duration window) throws InterruptedException {
    int before = marathon.requestCount("/v2/apps");
    Thread.sleep(window.toMillis());
    return marathon.requestCount("/v2/apps") - before;
  }

  @Test
  void failedListsKeepOneRetryWhilePeriodicResyncsFire() throws Exception {
    marathon.failRest(503); // no leader: lists fail, the stream stays up
    mirror = mirrorOf(marathon).startGrace(Duration.ZERO).resyncInterval(Duration.ofMillis(200))
        .reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    mirror.start();
    Thread.sleep(1_000); // five periodic resyncs fired while the first retry waited
    int lists = listsWhileFailing(Duration.ofSeconds(3));
    assertTrue(lists >= 1 && lists <= 7, lists + " full lists in 3 s; one retry chain makes"
        + " 1..7, a chain per failed periodic resync many more");
    assertEquals(1, marathon.eventConnections(), "the stream stayed up");

    marathon.failRest(0);
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)), "the retry lists once Marathon"
        + " answers again");
    assertEquals(2, mirror.apps().size());
  }

  @Test
  void failedListsKeepOneRetryAcrossReconnects() throws Exception {
    marathon.failRest(503);
    mirror = mirrorOf(marathon).startGrace(Duration.ZERO).resyncInterval(Duration.ZERO)
        .reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    mirror.start();
    Await.until("stream open", () -> marathon.openStreams() == 1);
    for (int i = 2; i <= 5; i++) {
      // Each reconnect lists again; that list replaces the pending retry instead of adding one.
      marathon.drop();
      int connections = i;
      Await.until("reconnect " + i, () -> marathon.eventConnections() == connections
          && marathon.openStreams() == 1);
    }
    int lists = listsWhileFailing(Duration.ofSeconds(3));
    assertTrue(lists >= 1 && lists <= 7, lists + " full lists in 3 s after 4 reconnects; one"
        + " retry chain makes 1..7, a chain per failed reconnect list many more");

    marathon.failRest(0);
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    assertEquals(2, mirror.apps().size());
  }

  /**
   * A Marathon restarted with empty state answers the full list with 200 and no apps (or a few).
   * The Marathon source never applies such a list (README: treated as Marathon unavailable); the
   * mirror applied it, so the proxy closed the listener of every service port on the host and the
   * relay served the empty list. A list that lost fewer than half the apps still applies.
   */
  @Test
  void anEmptyOrHalvedListAfterAGoodOneKeepsTheLastState() throws Exception {
    marathon.setTasks("/cache", List.of(new Task("cache.1", 31201, "TASK_RUNNING")));
    marathon.setTasks("/queue", List.of(new Task("queue.1", 31301, "TASK_RUNNING")));
    mirror = mirrorOf(marathon).resyncInterval(Duration.ofMillis(200)).build();
    mirror.start();
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    List<String> all = List.of("/cache", "/db", "/queue", "/web");
    assertEquals(all, mirror.apps().stream().map(AppDefinition::id).toList());
    String web = mirror.appJson("/web");

    marathon.answer("/v2/apps?embed=apps.tasks", 200, "{\"apps\":[]}");
    awaitListsApplied();
    assertEquals(all, mirror.apps().stream().map(AppDefinition::id).toList(),
        "an empty list emptied the mirror");

    marathon.answer("/v2/apps?embed=apps.tasks", 200, "{\"apps\":[" + web + "]}");
    awaitListsApplied();
    assertEquals(all, mirror.apps().stream().map(AppDefinition::id).toList(),
        "a list with one app of four replaced the mirror's");

    marathon.removeApp("/queue");
    marathon.answer("/v2/apps?embed=apps.tasks", 200, "{\"apps\":[" + String.join(",",
        mirror.appJson("/cache"), mirror.appJson("/db"), web) + "]}");
    Await.until("the list without /queue applied", () -> mirror.app("/queue").isEmpty());
    assertEquals(List.of("/cache", "/db", "/web"),
        mirror.apps().stream().map(AppDefinition::id).toList());
  }

  /** Waits until two more full lists were answered: the first of them was applied by then. */
  private void awaitListsApplied() throws InterruptedException {
    int lists = marathon.requestCount("/v2/apps");
    Await.until("two more full lists", () -> marathon.requestCount("/v2/apps") >= lists + 2);
  }
}
