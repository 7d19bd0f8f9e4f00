package dev.lodestar.discovery.marathon;

import static dev.lodestar.discovery.marathon.EventStreamTest.ALL_HEALTHY;
import static dev.lodestar.discovery.marathon.EventStreamTest.ALL_PATH;
import static dev.lodestar.discovery.marathon.EventStreamTest.APP_PATH;
import static dev.lodestar.discovery.marathon.EventStreamTest.T1;
import static dev.lodestar.discovery.marathon.EventStreamTest.ZDD15;
import static dev.lodestar.discovery.marathon.EventStreamTest.event;
import static dev.lodestar.discovery.marathon.EventStreamTest.without;
import static dev.lodestar.discovery.marathon.MarathonSourceContractTest.await;
import static dev.lodestar.discovery.marathon.MarathonSourceContractTest.endpoints;
import static dev.lodestar.discovery.marathon.RecordingListener.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two Marathon nodes on loopback: no-leader answers, a dead leader, a redirecting standby. */
class FailoverTest {
  private FakeMarathon a;
  private FakeMarathon b;
  private MarathonSource source;

  @BeforeEach
  void start() throws Exception {
    a = new FakeMarathon();
    b = new FakeMarathon();
    for (FakeMarathon m : new FakeMarathon[] {a, b}) {
      m.answer(APP_PATH, Fixtures.bytes(ZDD15)).answer(ALL_PATH, Fixtures.bytes(ZDD15));
    }
  }

  @AfterEach
  void stop() {
    if (source != null) {
      source.close();
    }
    a.close();
    b.close();
  }

  private MarathonSource.Builder builder() {
    return MarathonSource.builder()
        .urls(a.url(), b.url())
        .pollInterval(Duration.ZERO)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .connectTimeout(Duration.ofSeconds(2))
        .requestTimeout(Duration.ofSeconds(5));
  }

  @Test
  void noLeaderMovesToTheNextUrlAndSticksToIt() throws Exception {
    a.answer(APP_PATH, 503, "{\"message\":\"Could not determine the current leader\"}".getBytes());
    source = builder().eventStream(false).build();
    assertEquals(ALL_HEALTHY, endpoints(await(source.load("/nginx-green"))));
    assertEquals(ALL_HEALTHY, endpoints(await(source.load("nginx-green"))));
    assertEquals(1, a.requests().size(), "the answering URL is tried first next time");
    assertTrue(b.requests().size() >= 2, "every load went to the answering URL");
  }

  @Test
  void aDeadLeaderIsSkipped() throws Exception {
    a.close();
    source = builder().eventStream(false).build();
    assertEquals(ALL_HEALTHY, endpoints(await(source.load("/nginx-green"))));
  }

  @Test
  void aStandbyRedirectsTheStreamToTheLeaderAndCredentialsFollow() throws Exception {
    a.redirectEvents(b.url());
    source = builder().basicAuth("marathon", "pw").build();
    RecordingListener listener = new RecordingListener();
    source.start(listener);
    await(source.load("/nginx-green"));
    await("stream open on the leader", () -> b.openStreams() == 1);
    assertEquals(0, a.openStreams());
    assertEquals("Basic bWFyYXRob246cHc=", b.lastAuthorization("/v2/events"));
    // Events from the leader apply: a lost task is not routed (default policy).
    b.event("status_update_event", event("event-status_update_event.json", e -> {
      e.put("taskId", T1);
      e.put("appId", "/nginx-green");
      e.put("taskStatus", "TASK_LOST");
    }));
    assertEquals(java.util.List.of("10.0.6.25:23336 UNHEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:31184 HEALTHY"), endpoints(listener.awaitSnapshot(s -> true)));
  }

  @Test
  void resolverKeepsAnsweringWhenTheLeaderDiesAndConvergesOnEventsFromTheNewOne()
      throws Exception {
    source = builder().resyncInterval(Duration.ofMillis(500))
        .reconnectSpread(Duration.ofMillis(100)).build();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .refreshInterval(Duration.ofMillis(200)).build()) {
      assertEquals(3, resolver.instances("/nginx-green").size());
      await("stream open on the first URL", () -> a.openStreams() == 1);
      a.close();
      await("stream reopened on the second URL", () -> b.openStreams() == 1);
      Set<String> picked = new HashSet<>();
      for (int i = 0; i < 30; i++) {
        picked.add(resolver.pick("/nginx-green").instanceId());
      }
      assertEquals(3, picked.size(), "the resolver still answers with every task");

      b.answer(APP_PATH, without(T1)).answer(ALL_PATH, without(T1));
      b.event("status_update_event", event("event-status_update_event.json", e -> {
        e.put("taskId", T1);
        e.put("appId", "/nginx-green");
        e.put("taskStatus", "TASK_KILLED");
      }));
      await("the resolver dropped the killed task",
          () -> resolver.instances("/nginx-green").size() == 2);
      for (int i = 0; i < 30; i++) {
        Instance picked1 = resolver.pick("/nginx-green");
        assertNotEquals(T1, picked1.instanceId());
      }
      // The resync runs on the source's own thread, independently of the event: wait for it.
      await("the new connection was followed by a re-read of the app",
          () -> b.requests().contains(APP_PATH));
    }
  }
}
