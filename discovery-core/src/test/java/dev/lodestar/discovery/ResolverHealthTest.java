package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instance;
import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.HealthPolicy.PanicMode;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ResolverHealthTest {
  private static final String APP = "/app";
  private final FakeTicker ticker = new FakeTicker();
  private final StaticSource source = StaticSource.create();
  private DefaultServiceResolver resolver;

  private DefaultServiceResolver resolver(HealthPolicy policy, LoadBalancingStrategy strategy) {
    resolver = (DefaultServiceResolver) ServiceResolver.builder()
        .source(source)
        .strategy(strategy)
        .healthPolicy(policy)
        .ticker(ticker)
        .executor(Runnable::run)
        .build();
    return resolver;
  }

  @AfterEach
  void close() {
    if (resolver != null) {
      resolver.close();
    }
  }

  private Map<String, Integer> pickCounts(int picks) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(resolver.pick(APP).instanceId(), 1, Integer::sum);
    }
    return counts;
  }

  private void fail(String instanceId, Throwable error) {
    for (int i = 0; i < 100; i++) {
      Selection s = resolver.select(APP);
      if (s.instance().instanceId().equals(instanceId)) {
        s.failure(error);
        return;
      }
      s.release();
    }
    throw new AssertionError(instanceId + " was never picked");
  }

  @Test
  void ejectionAndSlowStartTimesPastWhatNanosecondsHoldDoNotBreakReportsOrLoads() {
    // The builder takes any positive duration: "no cap" is naturally written as FOREVER.
    Duration forever = java.time.temporal.ChronoUnit.FOREVER.getDuration();
    source.set(APP, instances(APP, 3));
    resolver(HealthPolicy.custom().maxEjectionTime(forever).slowStartWindow(forever).build(),
        LoadBalancingStrategy.roundRobin());
    pickCounts(3);

    fail("task-1", new ConnectException("refused")); // threw ArithmeticException (toNanos)
    assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());
    // A later joiner slow-starts over that window: the rebuild neither throws nor stops picks.
    source.set(APP, instances(APP, 4));
    assertEquals(3, resolver.status(APP).orElseThrow().routableInstances());
    assertTrue(pickCounts(40).containsKey("task-4"));
  }

  @Test
  void sourceUnhealthyInstancesAreNeverPicked() {
    source.set(APP, instance(APP, 1), instance(APP, 2, HealthStatus.UNHEALTHY),
        instance(APP, 3, HealthStatus.UNKNOWN));
    resolver(HealthPolicy.ofDefaults(), LoadBalancingStrategy.random());
    Map<String, Integer> counts = pickCounts(3000);
    assertEquals(Set.of("task-1", "task-3"), counts.keySet());
    assertEquals(2, resolver.status(APP).orElseThrow().routableInstances());
  }

  @Test
  void consecutiveFailuresEjectWithGrowingBackoffThenTrial() {
    source.set(APP, instances(APP, 3));
    HealthPolicy policy = HealthPolicy.custom().consecutiveFailures(3)
        .baseEjectionTime(Duration.ofSeconds(10)).maxEjectionTime(Duration.ofSeconds(25)).build();
    resolver(policy, LoadBalancingStrategy.roundRobin());
    IOException boom = new IOException("500 from app");

    fail("task-1", boom);
    fail("task-1", boom);
    assertTrue(pickCounts(30).containsKey("task-1"), "two failures do not eject");
    fail("task-1", boom);
    assertFalse(pickCounts(30).containsKey("task-1"), "the third failure ejects");
    assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());

    ticker.advance(Duration.ofSeconds(9));
    resolver.runMaintenance();
    assertFalse(pickCounts(30).containsKey("task-1"), "still ejected after 9 s");
    ticker.advance(Duration.ofSeconds(1));
    resolver.runMaintenance();
    assertTrue(pickCounts(30).containsKey("task-1"), "back on trial after 10 s");

    // On trial, one failure ejects again, for twice as long.
    fail("task-1", boom);
    assertFalse(pickCounts(30).containsKey("task-1"));
    ticker.advance(Duration.ofSeconds(19));
    resolver.runMaintenance();
    assertFalse(pickCounts(30).containsKey("task-1"), "second ejection lasts 20 s");
    ticker.advance(Duration.ofSeconds(1));
    resolver.runMaintenance();
    assertTrue(pickCounts(30).containsKey("task-1"));

    // Third in a row: capped at the 25 s maximum.
    fail("task-1", boom);
    ticker.advance(Duration.ofSeconds(24));
    resolver.runMaintenance();
    assertFalse(pickCounts(30).containsKey("task-1"));
    ticker.advance(Duration.ofSeconds(1));
    resolver.runMaintenance();
    assertTrue(pickCounts(30).containsKey("task-1"));

    // A success on trial clears the record: the next ejection is back to the base time.
    Selection ok;
    do {
      ok = resolver.select(APP);
    } while (!ok.instance().instanceId().equals("task-1") && release(ok));
    ok.success(Duration.ofMillis(1));
    fail("task-1", boom);
    fail("task-1", boom);
    assertTrue(pickCounts(30).containsKey("task-1"), "off trial, one failure does not eject");
    fail("task-1", boom);
    ticker.advance(Duration.ofSeconds(10));
    resolver.runMaintenance();
    assertTrue(pickCounts(30).containsKey("task-1"), "base time again after a success");
  }

  private static boolean release(Selection s) {
    s.release();
    return true;
  }

  @Test
  void connectionRefusedEjectsAtOnce() {
    source.set(APP, instances(APP, 3));
    resolver(HealthPolicy.ofDefaults(), LoadBalancingStrategy.roundRobin());
    fail("task-2", new IOException("wrapped", new ConnectException("Connection refused")));
    assertEquals(Set.of("task-1", "task-3"), pickCounts(30).keySet());
  }

  @Test
  void atMostTheConfiguredShareIsEjected() {
    source.set(APP, instances(APP, 4));
    HealthPolicy policy = HealthPolicy.custom().maxEjectionPercent(50).build();
    resolver(policy, LoadBalancingStrategy.roundRobin());
    for (String id : List.of("task-1", "task-2", "task-3")) {
      fail(id, new ConnectException("refused"));
    }
    assertEquals(2, resolver.status(APP).orElseThrow().ejectedInstances());
    assertEquals(Set.of("task-3", "task-4"), pickCounts(40).keySet());
  }

  @Test
  void theEjectionCapCountsOnlyInstancesTheSourceCallsRoutable() {
    // Two routable, two never routed: the 50% cap is one of the two routable instances.
    source.set(APP, instance(APP, 1), instance(APP, 2), instance(APP, 3, HealthStatus.UNHEALTHY),
        instance(APP, 4, HealthStatus.UNHEALTHY));
    resolver(HealthPolicy.ofDefaults(), LoadBalancingStrategy.roundRobin());
    fail("task-1", new ConnectException("refused"));
    fail("task-2", new ConnectException("refused"));
    ServiceStatus status = resolver.status(APP).orElseThrow();
    assertEquals(1, status.ejectedInstances(), "50% of the 2 routable instances: " + status);
    assertEquals(1, status.routableInstances(), status.toString());
    assertEquals(Set.of("task-2"), pickCounts(10).keySet(), "task-2 stays routable");
  }

  @Test
  void ejectionNeverTakesTheLastRoutableInstance() {
    source.set(APP, instance(APP, 1), instance(APP, 2), instance(APP, 3, HealthStatus.UNHEALTHY));
    resolver(HealthPolicy.custom().maxEjectionPercent(100).build(),
        LoadBalancingStrategy.roundRobin());
    fail("task-1", new ConnectException("refused"));
    assertEquals(Set.of("task-2"), pickCounts(10).keySet(), "task-1 ejected");
    fail("task-2", new ConnectException("refused"));
    assertEquals(Set.of("task-2"), pickCounts(10).keySet(),
        "a 100% cap still leaves the last routable instance in the picker");
    assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());
  }

  @Test
  void panicRoutesOverAllInstancesWhenConfigured() {
    source.set(APP, instance(APP, 1), instance(APP, 2, HealthStatus.UNHEALTHY),
        instance(APP, 3, HealthStatus.UNHEALTHY));
    resolver(HealthPolicy.custom().panic(0.5, PanicMode.ROUTE_ALL).build(),
        LoadBalancingStrategy.roundRobin());
    assertEquals(Set.of("task-1", "task-2", "task-3"), pickCounts(30).keySet());
    assertTrue(resolver.status(APP).orElseThrow().panic());

    source.set(APP, instance(APP, 1), instance(APP, 2), instance(APP, 3, HealthStatus.UNHEALTHY));
    assertEquals(Set.of("task-1", "task-2"), pickCounts(30).keySet(), "2 of 3 is above 50%");
    assertFalse(resolver.status(APP).orElseThrow().panic());
  }

  @Test
  void panicFailsWhenConfigured() {
    source.set(APP, instance(APP, 1), instance(APP, 2, HealthStatus.UNHEALTHY),
        instance(APP, 3, HealthStatus.UNHEALTHY));
    resolver(HealthPolicy.custom().panic(0.5, PanicMode.FAIL).build(),
        LoadBalancingStrategy.roundRobin());
    NoInstanceAvailableException e =
        assertThrows(NoInstanceAvailableException.class, () -> resolver.pick(APP));
    assertEquals(APP, e.serviceId());
    assertTrue(e.getMessage().contains("1 of 3"), e.getMessage());
  }

  @Test
  void allUnhealthyFailsByDefault() {
    source.set(APP, instance(APP, 1, HealthStatus.UNHEALTHY));
    resolver(HealthPolicy.ofDefaults(), LoadBalancingStrategy.roundRobin());
    assertThrows(NoInstanceAvailableException.class, () -> resolver.pick(APP));
  }

  @Test
  void slowStartRampsANewInstanceUp() {
    source.set(APP, instances(APP, 2));
    resolver(HealthPolicy.custom().slowStartWindow(Duration.ofSeconds(10)).build(),
        LoadBalancingStrategy.roundRobin());
    assertEquals(2, pickCounts(10).size(), "the first snapshot gets full weight at once");
    source.set(APP, instances(APP, 3));
    // Weight 0.1 against 1 + 1: about 4.8% of picks.
    int early = pickCounts(21_000).getOrDefault("task-3", 0);
    assertEquals(1000, early, 250);
    ticker.advance(Duration.ofSeconds(5));
    resolver.runMaintenance();
    // Weight 0.55 against 2: about 21.6%.
    int middle = pickCounts(25_500).getOrDefault("task-3", 0);
    assertEquals(5500, middle, 400);
    ticker.advance(Duration.ofSeconds(5));
    resolver.runMaintenance();
    int full = pickCounts(30_000).getOrDefault("task-3", 0);
    assertEquals(10_000, full, 10, "a full third after the window");
  }

  @Test
  void perInstanceStateSurvivesARebuildWithTheSameIds() {
    source.set(APP, instances(APP, 3));
    resolver(HealthPolicy.ofDefaults(), LoadBalancingStrategy.leastInFlight());
    // Calls in flight everywhere, then only those on task-1 left unfinished.
    List<Selection> open = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      open.add(resolver.select(APP));
    }
    open.removeIf(s -> !s.instance().instanceId().equals("task-1") && release(s));
    assertFalse(open.isEmpty(), "task-1 has calls in flight");
    fail("task-2", new ConnectException("refused"));
    // A new snapshot with the same ids (a health detail changed) and a newcomer.
    source.set(APP, instance(APP, 1), instance(APP, 2), instance(APP, 3, HealthStatus.UNKNOWN),
        instance(APP, 4));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 2000; i++) {
      Selection s = resolver.select(APP);
      counts.merge(s.instance().instanceId(), 1, Integer::sum);
      s.release();
    }
    assertFalse(counts.containsKey("task-2"), "the ejection survived the rebuild");
    assertEquals(0, counts.getOrDefault("task-1", 0), "in-flight count survived the rebuild");
    open.forEach(s -> s.success(Duration.ofMillis(1)));
  }

  @Test
  void removedInstanceFinishesItsInFlightCall() {
    source.set(APP, instances(APP, 2));
    resolver(HealthPolicy.ofDefaults(), LoadBalancingStrategy.roundRobin());
    Selection inFlight = resolver.select(APP);
    String gone = inFlight.instance().instanceId();
    List<Instance> remaining = new ArrayList<>(instances(APP, 2));
    remaining.removeIf(i -> i.instanceId().equals(gone));
    source.set(APP, remaining);
    inFlight.failure(new ConnectException("refused")); // must not throw or eject anything left
    Set<String> seen = new HashSet<>(pickCounts(10).keySet());
    assertEquals(Set.of(remaining.get(0).instanceId()), seen);
    assertNotEquals(gone, resolver.pick(APP).instanceId());
  }
}
