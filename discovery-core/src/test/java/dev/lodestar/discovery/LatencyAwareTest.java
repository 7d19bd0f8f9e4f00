package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The feedback loop end to end: reported latencies steer peak EWMA away from a slow instance. */
@Timeout(30)
class LatencyAwareTest {
  private static final String APP = "/app";

  private Map<String, Integer> simulate(LoadBalancingStrategy strategy) {
    FakeTicker ticker = new FakeTicker();
    StaticSource source = StaticSource.create().set(APP, instances(APP, 4));
    Map<String, Integer> counts = new HashMap<>();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).strategy(strategy)
        .ticker(ticker).executor(Runnable::run).build()) {
      for (int i = 0; i < 8000; i++) {
        Selection s = resolver.select(APP);
        boolean slow = s.instance().instanceId().equals("task-1");
        Duration latency = Duration.ofMillis(slow ? 10 : 1);
        // Two calls overlap at a time: the clock moves by half a fast call per pick.
        ticker.advance(Duration.ofMillis(1).dividedBy(2));
        s.success(latency);
        counts.merge(s.instance().instanceId(), 1, Integer::sum);
      }
    }
    return counts;
  }

  @Test
  void peakEwmaSendsClearlyLessTrafficToATenTimesSlowerInstance() {
    Map<String, Integer> ewma = simulate(LoadBalancingStrategy.peakEwma());
    Map<String, Integer> roundRobin = simulate(LoadBalancingStrategy.roundRobin());
    assertEquals(2000, roundRobin.get("task-1"), "round-robin ignores latency");
    int slow = ewma.getOrDefault("task-1", 0);
    assertTrue(slow < 8000 * 0.05, "slow instance got " + slow + " of 8000: " + ewma);
    assertTrue(slow > 0, "the slow instance is still probed as its estimate decays");
  }
}
