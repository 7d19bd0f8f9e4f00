package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.balance.Picker;
import dev.lodestar.discovery.source.StaticSource;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A custom strategy that throws (or returns null) while building a picker: the service stays
 * routable (round-robin over the same instances) and consistent, and the exception reaches neither
 * the source's push nor the caller whose failure report triggered an ejection.
 */
@Timeout(30)
class StrategyFailureTest {
  private static final String APP = "/app";

  /** Random until {@link #broken} is set; then throws, or returns null with {@link #nulls}. */
  private static final class Flaky implements LoadBalancingStrategy {
    final AtomicBoolean broken = new AtomicBoolean();
    final AtomicBoolean nulls = new AtomicBoolean();

    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      if (broken.get()) {
        if (nulls.get()) {
          return null;
        }
        throw new IllegalStateException("a bug in the strategy");
      }
      return LoadBalancingStrategy.random().newPicker(endpoints, previous);
    }

    @Override
    public String name() {
      return "flaky";
    }
  }

  @Test
  void aStrategyThatFailsFallsBackToRoundRobinAndNeverReachesPushesOrReports() {
    FakeTicker ticker = new FakeTicker();
    StaticSource source = StaticSource.create().set(APP, instances(APP, 3));
    Flaky strategy = new Flaky();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).strategy(strategy)
        .healthPolicy(HealthPolicy.custom().consecutiveFailures(1).build())
        .ticker(ticker).executor(Runnable::run).build()) {
      assertEquals(APP, resolver.pick(APP).serviceId());

      // A pushed snapshot whose picker the strategy cannot build: applied, round-robin.
      strategy.broken.set(true);
      assertDoesNotThrow(() -> source.set(APP, instances(APP, 4)));
      assertEquals(4, resolver.instances(APP).size());
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        seen.add(resolver.pick(APP).instanceId());
      }
      assertEquals(4, seen.size(), "round-robin over the new snapshot's 4 instances: " + seen);

      // An ejection rebuilds the picker: the failure report does not throw the strategy's bug,
      // and the ejected instance is no longer picked.
      Selection s = resolver.select(APP);
      String ejected = s.instance().instanceId();
      assertDoesNotThrow(() -> s.failure(new IOException("refused")));
      for (int i = 0; i < 12; i++) {
        assertNotEquals(ejected, resolver.pick(APP).instanceId());
      }

      // Null from the strategy is handled alike; once it builds again, its pickers are used.
      strategy.nulls.set(true);
      assertDoesNotThrow(() -> source.set(APP, instances(APP, 5)));
      assertEquals(5, resolver.instances(APP).size());
      strategy.broken.set(false);
      source.set(APP, instances(APP, 2));
      assertEquals(2, resolver.instances(APP).size());
      assertTrue(resolver.pick(APP).instanceId().startsWith("task-"));
    }
  }
}
