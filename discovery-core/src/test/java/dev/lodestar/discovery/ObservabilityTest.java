package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instance;
import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ObservabilityTest {
  private static final String APP = "/app";
  private final FakeTicker ticker = new FakeTicker();
  private final ScriptedSource source = new ScriptedSource();
  private final List<String> events = new CopyOnWriteArrayList<>();

  private final ResolverListener recorder = new ResolverListener() {
    @Override
    public void onLoad(String serviceId, Duration latency, Throwable error) {
      events.add("load " + serviceId + " " + (error == null ? "ok" : error.getMessage()));
    }

    @Override
    public void onSnapshot(ServiceSnapshot snapshot) {
      events.add("snapshot " + snapshot.serviceId() + " " + snapshot.instances().size());
    }

    @Override
    public void onEjection(Instance instance, Duration duration, Throwable cause) {
      events.add("ejection " + instance.instanceId() + " " + duration.toSeconds() + "s");
    }

    @Override
    public void onCallFinished(Instance instance, Duration latency, Throwable error) {
      events.add("call " + instance.instanceId() + " " + latency.toMillis() + "ms "
          + (error == null ? "ok" : "failed"));
    }
  };

  @Test
  void statusShowsEveryInstanceWithItsHealthEjectionAndFeedback() {
    source.answer(APP, List.of(instance(APP, 1), instance(APP, 2),
        instance(APP, 3, HealthStatus.UNHEALTHY)));
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).ticker(ticker)
        .executor(Runnable::run).strategy(LoadBalancingStrategy.roundRobin())
        .recordPicks(true).listener(recorder).build()) {
      Selection first = resolver.select(APP); // task-1, left in flight
      Selection second = resolver.select(APP); // task-2
      second.failure(new ConnectException("refused"));
      ticker.advance(Duration.ofSeconds(2));

      ServiceStatus during = resolver.status(APP).orElseThrow();
      InstanceStatus one = during.instances().get(0);
      InstanceStatus two = during.instances().get(1);
      InstanceStatus three = during.instances().get(2);
      assertTrue(one.routable());
      assertEquals(1, one.inFlight());
      assertTrue(two.ejected());
      assertFalse(two.routable());
      assertEquals(Duration.ofSeconds(28), two.ejectedFor().orElseThrow());
      assertEquals(1, during.ejectedInstances());
      assertFalse(three.routable(), "source-unhealthy");
      assertSame(HealthStatus.UNHEALTHY, three.instance().health());

      first.success(Duration.ofMillis(7));
      // The sample is stamped at pick + latency (7 ms after t0), read 2 s after t0: decayed.
      assertEquals(7 * Math.exp(-1.993 / 10), resolver.status(APP).orElseThrow().instances()
          .get(0).latencyEstimate().toNanos() / 1e6, 0.001);
      source.fail(APP, new IOException("marathon down"));
      ticker.advance(Duration.ofSeconds(31));
      ((DefaultServiceResolver) resolver).runMaintenance();
      resolver.pick(APP);

      ServiceStatus status = resolver.status(APP).orElseThrow();
      assertEquals(List.of(status.toString()),
          resolver.statuses().stream().map(ServiceStatus::toString).toList());
      assertEquals(3, status.picks());
      assertEquals(Duration.ofSeconds(33), status.age());
      assertEquals("marathon down", status.lastError().orElseThrow().getMessage());
      one = status.instances().get(0);
      two = status.instances().get(1);
      assertEquals(0, one.inFlight());
      // Peak EWMA decays with a 10 s time constant.
      assertEquals(7 * Math.exp(-32.993 / 10), one.latencyEstimate().toNanos() / 1e6, 0.001);
      assertFalse(two.ejected(), "the 30 s ejection is over");
      assertTrue(two.onTrial());
      assertTrue(two.routable());
    }
    assertEquals(List.of("load /app ok", "snapshot /app 3", "ejection task-2 30s",
        "call task-2 0ms failed", "call task-1 7ms ok", "load /app marathon down"), events);
  }

  @Test
  void picksAreNotCountedUnlessAskedFor() {
    source.answer(APP, instances(APP, 2));
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      resolver.pick(APP);
      assertEquals(-1, resolver.status(APP).orElseThrow().picks());
    }
  }

  @Test
  void aThrowingListenerDoesNotBreakTheResolver() {
    source.answer(APP, instances(APP, 2));
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .listener(new ResolverListener() {
          @Override
          public void onSnapshot(ServiceSnapshot snapshot) {
            throw new IllegalStateException("broken metrics");
          }

          @Override
          public void onCallFinished(Instance instance, Duration latency, Throwable error) {
            throw new IllegalStateException("broken metrics");
          }
        }).build()) {
      Selection s = resolver.select(APP);
      s.success();
      assertNull(resolver.status(APP).orElseThrow().lastError().orElse(null));
    }
  }
}
