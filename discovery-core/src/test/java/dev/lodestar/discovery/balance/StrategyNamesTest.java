package dev.lodestar.discovery.balance;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link LoadBalancingStrategy#named(String)}: every built-in name, spelling variants, unknown names. */
class StrategyNamesTest {
  @Test
  void everyBuiltInByName() {
    assertSame(LoadBalancingStrategy.roundRobin(), LoadBalancingStrategy.named("round-robin"));
    assertSame(LoadBalancingStrategy.random(), LoadBalancingStrategy.named("random"));
    assertSame(LoadBalancingStrategy.weightedRandom(), LoadBalancingStrategy.named("weighted-random"));
    assertSame(LoadBalancingStrategy.leastInFlight(), LoadBalancingStrategy.named("least-in-flight"));
    assertSame(LoadBalancingStrategy.peakEwma(), LoadBalancingStrategy.named("PEAK_EWMA"));
    assertSame(LoadBalancingStrategy.sticky(), LoadBalancingStrategy.named(" sticky "));
  }

  @Test
  void anUnknownNameListsTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LoadBalancingStrategy.named("fastest"));
    assertTrue(e.getMessage().contains("unknown strategy 'fastest'"), e.getMessage());
    assertTrue(e.getMessage().contains("peak-ewma"), e.getMessage());
  }
}
