package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instance;
import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.source.FailoverSource;
import dev.lodestar.discovery.source.StaticSource;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ResolverCachingTest {
  private static final String APP = "/app";
  private final FakeTicker ticker = new FakeTicker();
  private final ScriptedSource source = new ScriptedSource();
  private DefaultServiceResolver resolver;

  private DefaultServiceResolver build(ServiceResolver.Builder builder) {
    resolver = (DefaultServiceResolver) builder.ticker(ticker).executor(Runnable::run).build();
    return resolver;
  }

  private DefaultServiceResolver build() {
    return build(ServiceResolver.builder().source(source)
        .refreshInterval(Duration.ofSeconds(30)).idleExpiry(Duration.ofMinutes(10)));
  }

  @AfterEach
  void close() {
    if (resolver != null) {
      resolver.close();
    }
  }

  @Test
  void firstPickLoadsAndLaterPicksHitTheCache() {
    source.answer(APP, instances(APP, 2));
    build();
    resolver.pick(APP);
    for (int i = 0; i < 100; i++) {
      resolver.pick(APP);
    }
    assertEquals(1, source.loads.get());
    assertEquals(Set.of(APP), resolver.cachedServices());
    assertEquals("scripted", resolver.status(APP).orElseThrow().origin());
  }

  @Test
  void durationsPastWhatNanosecondsHoldAreTakenAsVeryLong() {
    // The setters take any positive duration; "never" is naturally written as FOREVER.
    Duration forever = java.time.temporal.ChronoUnit.FOREVER.getDuration();
    source.answer(APP, instances(APP, 2));
    build(ServiceResolver.builder().source(source).refreshInterval(forever).loadTimeout(forever)
        .unknownServiceGrace(forever).idleExpiry(forever).maxStaleness(forever));
    resolver.pick(APP);
    ticker.advance(Duration.ofDays(365));
    resolver.runMaintenance();
    resolver.pick(APP);
    assertEquals(1, source.loads.get(), "no refresh within a year of a FOREVER interval");
    // A source's TTL hint may be as long (ServiceSnapshot takes any non-negative one).
    source.answer(ServiceSnapshot.of(APP, instances(APP, 3), "scripted", forever));
    resolver.refresh(resolver.holder(APP));
    assertEquals(3, resolver.instances(APP).size());
  }

  @Test
  void staleWhileRevalidate() {
    source.answer(APP, instances(APP, 2));
    build();
    assertEquals(2, resolver.instances(APP).size());
    source.holdLoads = true;
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals(2, source.loads.get(), "a background refresh started");
    // While the refresh is pending, picks are answered from the old snapshot at once.
    for (int i = 0; i < 10; i++) {
      assertTrue(resolver.pick(APP).instanceId().startsWith("task-"));
    }
    assertEquals(Duration.ofSeconds(31), resolver.status(APP).orElseThrow().age());
    source.pending.get(0).complete(ServiceSnapshot.of(APP, instances(APP, 3), "scripted"));
    assertEquals(3, resolver.instances(APP).size());
    assertEquals(Duration.ZERO, resolver.status(APP).orElseThrow().age());
  }

  @Test
  void failedRefreshKeepsTheLastGoodSnapshotAndRecovers() {
    source.answer(APP, instances(APP, 2));
    build();
    resolver.pick(APP);
    IOException down = new IOException("connection refused by marathon");
    source.fail(APP, down);
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals(2, source.loads.get());
    assertEquals(2, resolver.instances(APP).size());
    resolver.pick(APP);
    ServiceStatus status = resolver.status(APP).orElseThrow();
    assertSame(down, status.lastError().orElseThrow());
    assertEquals(Duration.ofSeconds(31), status.age());

    // Retries back off instead of hammering the source on every maintenance tick.
    resolver.runMaintenance();
    assertEquals(2, source.loads.get());

    source.answer(APP, instances(APP, 3));
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals(3, resolver.instances(APP).size());
    assertTrue(resolver.status(APP).orElseThrow().lastError().isEmpty());
  }

  @Test
  void maxStalenessDropsASnapshotThatCannotBeRefreshed() {
    source.answer(APP, instances(APP, 2));
    build(ServiceResolver.builder().source(source).refreshInterval(Duration.ofSeconds(10))
        .maxStaleness(Duration.ofMinutes(1)));
    resolver.pick(APP);
    source.fail(APP, new IOException("down"));
    for (int i = 0; i < 5; i++) {
      ticker.advance(Duration.ofSeconds(11));
      resolver.runMaintenance();
      resolver.pick(APP); // still served while younger than a minute
    }
    ticker.advance(Duration.ofSeconds(10));
    resolver.runMaintenance();
    DiscoveryUnavailableException e =
        assertThrows(DiscoveryUnavailableException.class, () -> resolver.pick(APP));
    assertEquals(APP, e.serviceId());
  }

  @Test
  void aLateUnknownAnswerToADroppedHoldersRefreshLeavesTheServiceLoadedSinceAlone() {
    source.answer(APP, instances(APP, 2));
    build(ServiceResolver.builder().source(source).refreshInterval(Duration.ofSeconds(30))
        .idleExpiry(Duration.ofMinutes(2)).unknownServiceGrace(Duration.ZERO));
    resolver.pick(APP);
    source.holdLoads = true;
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance(); // the refresh is sent and left pending
    assertEquals(1, source.pending.size());
    ticker.advance(Duration.ofMinutes(3));
    resolver.runMaintenance(); // unused for 3 minutes: dropped while its refresh is out
    assertTrue(resolver.status(APP).isEmpty());

    source.holdLoads = false;
    resolver.pick(APP); // loaded again, fresh
    int loads = source.loads.get();
    // The dropped holder's refresh answers at last, and says what was true back then.
    source.pending.get(0).completeExceptionally(new UnknownServiceException(APP, "was gone"));

    assertTrue(resolver.status(APP).isPresent(), "the fresh holder was dropped");
    resolver.pick(APP);
    assertEquals(loads, source.loads.get(), "no reload");
  }

  @Test
  void aSourceThatReturnsNoFutureFailsThatLoadOrRefreshOnly() {
    java.util.concurrent.atomic.AtomicBoolean broken =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    ScriptedSource nulls = new ScriptedSource() {
      @Override
      public java.util.concurrent.CompletableFuture<ServiceSnapshot> load(String serviceId) {
        return broken.get() ? null : super.load(serviceId); // breaks the SPI's contract
      }
    };
    nulls.answer(APP, instances(APP, 1));
    build(ServiceResolver.builder().source(nulls).refreshInterval(Duration.ofSeconds(30))
        .loadTimeout(Duration.ofSeconds(5)));

    // A typed error, as for a source that throws; the next load is not left waiting on it.
    assertThrows(DiscoveryUnavailableException.class, () -> resolver.pick(APP));
    broken.set(false);
    assertEquals("task-1", resolver.pick(APP).instanceId());

    // A refresh that gets no future keeps the snapshot and does not stop later refreshes.
    broken.set(true);
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    broken.set(false);
    nulls.answer(APP, instances(APP, 2));
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals(2, resolver.instances(APP).size());
  }

  @Test
  void backgroundMaintenanceOutlivesAnErrorThrownInOneOfItsRounds() throws Exception {
    java.util.concurrent.atomic.AtomicInteger asked =
        new java.util.concurrent.atomic.AtomicInteger();
    ScriptedSource source = new ScriptedSource() {
      @Override
      public boolean keepsSnapshotsFresh() {
        if (asked.incrementAndGet() == 1) {
          throw new AssertionError("a source's bug"); // an Error, not an exception
        }
        return false;
      }
    };
    source.answer(APP, instances(APP, 1));
    // The real clock and the resolver's own scheduler: rounds every 10 ms, refreshes every 20 ms.
    try (ServiceResolver real = ServiceResolver.builder().source(source)
        .refreshInterval(Duration.ofMillis(20)).build()) {
      real.pick(APP);
      // The round that threw ended the scheduled task (a ScheduledExecutorService runs no more
      // rounds of a task that threw): no refresh ever came.
      while (source.loads.get() < 2) {
        Thread.sleep(10);
      }
      assertTrue(asked.get() > 1);
    }
  }

  @Test
  void idleServicesExpireAndUsedOnesStay() {
    source.answer(APP, instances(APP, 2)).answer("/other", instances("/other", 1));
    build(ServiceResolver.builder().source(source).refreshInterval(Duration.ofMinutes(5))
        .idleExpiry(Duration.ofMinutes(2)));
    resolver.pick(APP);
    resolver.pick("/other");
    for (int minute = 0; minute < 3; minute++) {
      ticker.advance(Duration.ofMinutes(1));
      resolver.pick(APP);
      resolver.runMaintenance();
    }
    assertEquals(Set.of(APP), resolver.cachedServices());
    assertTrue(resolver.status("/other").isEmpty());
    assertEquals(List.of("/other"), source.forgotten, "the source may stop tracking it");
    resolver.pick("/other"); // loads again on demand
    assertEquals(Set.of(APP, "/other"), resolver.cachedServices());
  }

  @Test
  void refreshesAndPushesDoNotCountAsUse() {
    // Refreshed every 30 s and pushed to, but picked only once: it must still idle-expire, or a
    // resolver would poll every service it ever looked up for as long as it runs.
    source.answer(APP, instances(APP, 2));
    build(ServiceResolver.builder().source(source).refreshInterval(Duration.ofSeconds(30))
        .idleExpiry(Duration.ofMinutes(2)));
    resolver.pick(APP);
    for (int halfMinute = 0; halfMinute < 6; halfMinute++) {
      ticker.advance(Duration.ofSeconds(30));
      resolver.runMaintenance();
      source.listener.onSnapshot(
          ServiceSnapshot.of(APP, List.of(instance(APP, halfMinute + 10)), "pushed"));
    }
    assertTrue(source.loads.get() >= 4, "refreshed meanwhile: " + source.loads.get());
    assertEquals(Set.of(), resolver.cachedServices(), "unused for 3 minutes, idleExpiry 2");
  }

  @Test
  void lookupsByIdFollowReloadsAndIdsThatShareARecentSlot() {
    // Two ids that share a slot of the resolver's table of recent lookups.
    String other = null;
    for (int i = 0; other == null; i++) {
      if (DefaultServiceResolver.recentSlot("/s" + i) == DefaultServiceResolver.recentSlot(APP)) {
        other = "/s" + i;
      }
    }
    source.answer(APP, instances(APP, 2)).answer(other, instances(other, 2));
    build(ServiceResolver.builder().source(source).refreshInterval(Duration.ofMinutes(5))
        .idleExpiry(Duration.ofMinutes(2)));
    for (int i = 0; i < 10; i++) {
      assertEquals(APP, resolver.pick(APP).serviceId());
      assertEquals(other, resolver.pick(other).serviceId());
      assertEquals(APP, resolver.pick(new String(APP)).serviceId(), "an equal id, another String");
    }
    // Both expire; the reloaded holders, not the dropped ones, answer the same id Strings.
    ticker.advance(Duration.ofMinutes(3));
    resolver.runMaintenance();
    assertEquals(Set.of(), resolver.cachedServices());
    source.answer(APP, List.of(instance(APP, 7))).answer(other, List.of(instance(other, 8)));
    assertEquals(instance(APP, 7), resolver.pick(APP));
    assertEquals(instance(other, 8), resolver.pick(other));
    assertEquals(instance(APP, 7), resolver.pick(APP));
    assertEquals(4, source.loads.get());
  }

  @Test
  void pushReplacesTheSnapshotAtOnce() {
    StaticSource pushing = StaticSource.create();
    pushing.set(APP, instances(APP, 1));
    build(ServiceResolver.builder().source(pushing));
    assertEquals("task-1", resolver.pick(APP).instanceId());
    pushing.set(APP, instance(APP, 7));
    assertEquals("task-7", resolver.pick(APP).instanceId());
    pushing.set("/not-used", instance("/not-used", 1));
    assertFalse(resolver.cachedServices().contains("/not-used"), "pushes do not load services");
    pushing.remove(APP);
    assertThrows(UnknownServiceException.class, () -> resolver.pick(APP));
  }

  @Test
  void aSourceThatKeepsSnapshotsFreshIsNotPolled() {
    source.answer(APP, instances(APP, 2));
    source.keepsFresh = true;
    build();
    resolver.pick(APP);
    for (int i = 0; i < 5; i++) {
      ticker.advance(Duration.ofSeconds(31));
      resolver.runMaintenance();
      resolver.pick(APP);
    }
    assertEquals(1, source.loads.get(), "no timer-driven refresh for a pushing source");
    source.listener.onSnapshot(ServiceSnapshot.of(APP, instances(APP, 3), "pushed"));
    assertEquals(3, resolver.instances(APP).size());
    source.listener.onResyncRequested();
    assertEquals(2, source.loads.get(), "a requested resync still reloads");

    source.keepsFresh = false; // e.g. its push path broke and it does not poll by itself
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals(3, source.loads.get(), "polled again once the source stops pushing");
  }

  @Test
  void aPushedUnknownIsServedForTheGraceThenDropped() {
    source.answer(APP, instances(APP, 2));
    source.keepsFresh = true;
    build(ServiceResolver.builder().source(source).unknownServiceGrace(Duration.ofSeconds(60)));
    resolver.pick(APP);
    source.listener.onError(APP, new UnknownServiceException(APP, "200 with no app"));
    ticker.advance(Duration.ofSeconds(59));
    resolver.runMaintenance();
    assertEquals(2, resolver.instances(APP).size(), "served through the grace");
    source.listener.onSnapshot(ServiceSnapshot.of(APP, instances(APP, 2), "pushed"));
    ticker.advance(Duration.ofSeconds(59));
    resolver.runMaintenance();
    assertEquals(Set.of(APP), resolver.cachedServices(), "a snapshot ends the grace clock");

    source.listener.onError(APP, new UnknownServiceException(APP, "404"));
    ticker.advance(Duration.ofSeconds(61));
    resolver.runMaintenance();
    assertTrue(resolver.cachedServices().isEmpty(), "dropped once the grace is over");
    assertEquals(List.of(APP), source.forgotten);
  }

  @Test
  void ttlShortensTheRefreshInterval() {
    source.answer(ServiceSnapshot.of(APP, instances(APP, 1), "dns", Duration.ofSeconds(4)));
    build();
    resolver.pick(APP);
    ticker.advance(Duration.ofSeconds(2));
    resolver.runMaintenance();
    assertEquals(1, source.loads.get());
    ticker.advance(Duration.ofSeconds(1));
    resolver.runMaintenance();
    assertEquals(2, source.loads.get(), "refreshed at 3/4 of the 4 s TTL");
  }

  @Test
  void typedErrorsNameTheService() {
    source.answer("/empty", List.of());
    source.fail("/broken", new IOException("garbage body"));
    build();
    UnknownServiceException unknown =
        assertThrows(UnknownServiceException.class, () -> resolver.pick("/nope"));
    assertEquals("/nope", unknown.serviceId());
    NoInstanceAvailableException none =
        assertThrows(NoInstanceAvailableException.class, () -> resolver.pick("/empty"));
    assertTrue(none.getMessage().contains("/empty"), none.getMessage());
    assertTrue(resolver.instances("/empty").isEmpty());
    DiscoveryUnavailableException unavailable =
        assertThrows(DiscoveryUnavailableException.class, () -> resolver.pick("/broken"));
    assertTrue(unavailable.getMessage().contains("garbage body"), unavailable.getMessage());
    assertTrue(unavailable.getCause() instanceof IOException);
  }

  @Test
  void firstLoadIsBoundedByTheLoadTimeout() {
    source.holdLoads = true;
    build(ServiceResolver.builder().source(source).loadTimeout(Duration.ofMillis(50)));
    DiscoveryUnavailableException e =
        assertThrows(DiscoveryUnavailableException.class, () -> resolver.pick(APP));
    assertTrue(e.getMessage().contains("no answer within"), e.getMessage());
    // The load keeps going; once it lands, picks work.
    source.pending.get(0).complete(ServiceSnapshot.of(APP, instances(APP, 1), "late"));
    assertEquals("task-1", resolver.pick(APP).instanceId());
  }

  @Test
  void refreshesThatSayUnknownAreServedStaleUntilTheGraceEnds() {
    source.answer(APP, instances(APP, 1));
    build(ServiceResolver.builder().source(source).unknownServiceGrace(Duration.ofMinutes(1)));
    resolver.pick(APP);
    source.fail(APP, new UnknownServiceException(APP, "NXDOMAIN"));
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals("task-1", resolver.pick(APP).instanceId(), "a vanished name is served stale");
    assertTrue(resolver.status(APP).orElseThrow().lastError().orElseThrow()
        instanceof UnknownServiceException);

    // The name comes back: the grace clock resets.
    source.answer(APP, instances(APP, 2));
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals(2, resolver.instances(APP).size());

    // Gone for good: dropped once the answers have said so for a minute.
    source.fail(APP, new UnknownServiceException(APP, "app deleted"));
    for (int i = 0; i < 3; i++) {
      ticker.advance(Duration.ofSeconds(31));
      resolver.runMaintenance();
    }
    assertThrows(UnknownServiceException.class, () -> resolver.pick(APP));
    assertTrue(source.forgotten.contains(APP));
  }

  @Test
  void zeroGraceDropsAtTheFirstUnknownAnswer() {
    source.answer(APP, instances(APP, 1));
    build(ServiceResolver.builder().source(source).unknownServiceGrace(Duration.ZERO));
    resolver.pick(APP);
    source.fail(APP, new UnknownServiceException(APP, "app deleted"));
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertThrows(UnknownServiceException.class, () -> resolver.pick(APP));
  }

  @Test
  void failoverSourceFallsBackAndTagsTheOrigin() {
    ScriptedSource dns = new ScriptedSource() {
      @Override
      public String name() {
        return "dns";
      }
    };
    source.fail(APP, new IOException("marathon unreachable"));
    dns.answer(ServiceSnapshot.of(APP, instances(APP, 2), "mesos-dns"));
    build(ServiceResolver.builder().source(FailoverSource.of(source, dns)));
    assertEquals(2, resolver.instances(APP).size());
    assertEquals("mesos-dns", resolver.status(APP).orElseThrow().origin());

    source.answer(APP, instances(APP, 3));
    ticker.advance(Duration.ofSeconds(31));
    resolver.runMaintenance();
    assertEquals("scripted", resolver.status(APP).orElseThrow().origin());
    assertEquals(3, resolver.instances(APP).size());

    // The primary's "unknown" is authoritative: no fallback.
    dns.answer(ServiceSnapshot.of("/gone", instances("/gone", 1), "mesos-dns"));
    assertThrows(UnknownServiceException.class, () -> resolver.pick("/gone"));
  }

  @Test
  void closeClosesTheSourceAndRejectsNewServices() {
    source.answer(APP, instances(APP, 1));
    build();
    resolver.pick(APP);
    resolver.close();
    assertTrue(source.closed);
    assertThrows(IllegalStateException.class, () -> resolver.pick(APP));
  }
}
