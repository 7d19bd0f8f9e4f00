package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instance;
import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.HealthPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ServiceHandleTest {
  private static final String APP = "/app";
  private final FakeTicker ticker = new FakeTicker();
  private final ScriptedSource source = new ScriptedSource();
  private DefaultServiceResolver resolver;

  private void build(Duration idleExpiry) {
    resolver = (DefaultServiceResolver) ServiceResolver.builder().source(source)
        .refreshInterval(Duration.ofMinutes(5)).idleExpiry(idleExpiry)
        .unknownServiceGrace(Duration.ZERO)
        .ticker(ticker).executor(Runnable::run).build();
  }

  @AfterEach
  void close() {
    if (resolver != null) {
      resolver.close();
    }
  }

  @Test
  void aHandleLoadsOnFirstUseAndThenFollowsSnapshotChanges() {
    source.answer(APP, instances(APP, 2));
    build(Duration.ofMinutes(10));
    ServiceHandle app = resolver.service(APP);
    assertEquals(0, source.loads.get(), "creating a handle loads nothing");
    assertEquals(APP, app.serviceId());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      seen.add(app.pick().instanceId());
    }
    assertEquals(Set.of("task-1", "task-2"), seen);
    assertEquals(1, source.loads.get());

    source.listener.onSnapshot(ServiceSnapshot.of(APP, List.of(instance(APP, 7)), "pushed"));
    assertEquals("task-7", app.pick().instanceId(), "the next pick sees the pushed snapshot");
    assertEquals("task-7", app.pick("user-1").instanceId());
    assertEquals(List.of(instance(APP, 7)), app.instances());
    assertEquals(1, source.loads.get(), "no lookup or load per pick");
  }

  @Test
  void selectThroughAHandleFeedsTheSameStats() {
    source.answer(APP, List.of(instance(APP, 1)));
    build(Duration.ofMinutes(10));
    ServiceHandle app = resolver.service(APP);
    Selection selection = app.select();
    assertEquals(1, resolver.status(APP).orElseThrow().instances().get(0).inFlight());
    selection.success(Duration.ofMillis(3));
    InstanceStatus status = resolver.status(APP).orElseThrow().instances().get(0);
    assertEquals(0, status.inFlight());
    assertEquals(3.0, status.latencyEstimate().toNanos() / 1e6, 0.001);
  }

  @Test
  void aHandleInUseKeepsItsServiceCached() {
    source.answer(APP, instances(APP, 2));
    build(Duration.ofMinutes(2));
    ServiceHandle app = resolver.service(APP);
    app.pick();
    ServiceHolder holder = resolver.holder(APP);
    for (int minute = 0; minute < 5; minute++) {
      ticker.advance(Duration.ofMinutes(1));
      app.pick();
      resolver.runMaintenance();
    }
    assertEquals(Set.of(APP), resolver.cachedServices());
    assertSame(holder, resolver.holder(APP), "never dropped and reloaded");
    assertTrue(!holder.retired());
  }

  @Test
  void picksAfterARebuildStillCountAsUseAndAnUnusedServiceStillExpires() {
    // Maintenance takes the "accessed" hint and arms a probe picker that the next pick consumes.
    // A rebuild in between (an ejection here: unlike an accepted snapshot it does not touch the
    // cache) must keep the probe, or the picks after it would not count and a service in use
    // would expire.
    source.answer(APP, instances(APP, 4));
    resolver = (DefaultServiceResolver) ServiceResolver.builder().source(source)
        .refreshInterval(Duration.ofMinutes(10)).idleExpiry(Duration.ofMinutes(2))
        .healthPolicy(HealthPolicy.custom().consecutiveFailures(1).build())
        .ticker(ticker).executor(Runnable::run).build();
    ServiceHandle app = resolver.service(APP);
    app.pick();
    ServiceHolder holder = resolver.holder(APP);
    for (int minute = 0; minute < 6; minute++) {
      ticker.advance(Duration.ofMinutes(1));
      resolver.runMaintenance(); // also ends the previous minute's ejection: another rebuild
      resolver.track(APP, instance(APP, 1 + minute % 4)).failure(new IOException("refused"));
      assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances(), "rebuilt");
      switch (minute % 3) { // one pick per minute, through each pick path in turn
        case 0:
          app.pick();
          break;
        case 1:
          resolver.pick(APP);
          break;
        default:
          app.select().release();
      }
    }
    resolver.runMaintenance();
    assertSame(holder, resolver.holder(APP), "used every minute: never dropped");
    ticker.advance(Duration.ofMinutes(3));
    resolver.runMaintenance();
    assertTrue(resolver.cachedServices().isEmpty(), "unused for longer than idleExpiry");
    assertTrue(holder.retired());
  }

  @Test
  void afterIdleExpiryTheNextPickLoadsTheServiceAgain() {
    source.answer(APP, instances(APP, 2));
    build(Duration.ofMinutes(2));
    ServiceHandle app = resolver.service(APP);
    app.pick();
    ServiceHolder first = resolver.holder(APP);
    ticker.advance(Duration.ofMinutes(3));
    resolver.runMaintenance();
    assertTrue(resolver.cachedServices().isEmpty(), "expired while unused");
    assertTrue(first.retired());

    source.answer(APP, List.of(instance(APP, 9)));
    assertEquals("task-9", app.pick().instanceId(), "loaded afresh, like a first pick(id)");
    assertEquals(2, source.loads.get());
    assertNotSame(first, resolver.holder(APP));
    assertEquals(Set.of(APP), resolver.cachedServices());
    Selection selection = app.select();
    assertEquals("task-9", selection.instance().instanceId());
    selection.release();
  }

  @Test
  void aServiceTheSourceDropsFailsLikePickById() {
    source.answer(APP, instances(APP, 2));
    build(Duration.ofMinutes(10));
    ServiceHandle app = resolver.service(APP);
    app.pick();
    source.fail(APP, new UnknownServiceException(APP, "404"));
    source.listener.onRemoved(APP);
    UnknownServiceException e = assertThrows(UnknownServiceException.class, app::pick);
    assertEquals(APP, e.serviceId());
    assertThrows(UnknownServiceException.class, () -> resolver.pick(APP));

    source.answer(APP, instances(APP, 1)); // deployed again
    assertEquals("task-1", app.pick().instanceId());
  }

  @Test
  void noInstanceAvailableIsSharedAndStacklessOnThePickPathButNotInCall() {
    source.answer(APP, List.of(instance(APP, 1, HealthStatus.UNHEALTHY)));
    build(Duration.ofMinutes(10));
    ServiceHandle app = resolver.service(APP);
    NoInstanceAvailableException first =
        assertThrows(NoInstanceAvailableException.class, app::pick);
    NoInstanceAvailableException second =
        assertThrows(NoInstanceAvailableException.class, () -> resolver.pick(APP));
    assertSame(first, second, "one exception per routing state");
    assertEquals(0, first.getStackTrace().length);
    first.addSuppressed(new RuntimeException("ignored"));
    assertEquals(0, first.getSuppressed().length, "a shared exception does not grow");
    assertTrue(first.getMessage().contains(APP));

    NoInstanceAvailableException fromCall = assertThrows(NoInstanceAvailableException.class,
        () -> app.call(instance -> "never"));
    assertNotSame(first, fromCall);
    assertSame(first, fromCall.getCause());
    assertTrue(fromCall.getStackTrace().length > 0, "call() keeps the caller's stack");

    source.listener.onSnapshot(ServiceSnapshot.of(APP, instances(APP, 1), "pushed"));
    assertEquals("task-1", app.pick().instanceId());
    source.listener.onSnapshot(ServiceSnapshot.of(APP, List.of(), "pushed"));
    NoInstanceAvailableException third =
        assertThrows(NoInstanceAvailableException.class, app::pick);
    assertNotSame(first, third, "a new state has its own");
    assertTrue(third.getMessage().contains("no instances"), third.getMessage());
  }

  @Test
  void afterCloseAHandleFailsLikePickById() {
    source.answer(APP, instances(APP, 2));
    build(Duration.ofMinutes(10));
    ServiceHandle app = resolver.service(APP);
    app.pick();
    resolver.close();
    assertThrows(IllegalStateException.class, app::pick);
    assertThrows(IllegalStateException.class, app::select);
    assertThrows(IllegalStateException.class, () -> resolver.pick(APP));
  }
}
