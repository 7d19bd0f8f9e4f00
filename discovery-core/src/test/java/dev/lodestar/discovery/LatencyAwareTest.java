package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instance;
import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.balance.Picker;
import dev.lodestar.discovery.source.StaticSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
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

  @Test
  void peakEwmaOrdersEstimatesAsOfNowWithoutReadingTheClock() {
    AtomicLong clock = new AtomicLong(1_000_000_000L);
    AtomicInteger clockReads = new AtomicInteger();
    LongSupplier ticker = () -> {
      clockReads.incrementAndGet();
      return clock.get();
    };
    InstanceStats oldSlow = new InstanceStats("a", ticker, Long.MIN_VALUE);
    InstanceStats recent = new InstanceStats("b", ticker, Long.MIN_VALUE);
    long t0 = clock.get();
    long decayTime = (long) InstanceStats.DECAY_NANOS;
    oldSlow.observeLatency(20_000_000, t0); // 20 ms, one decay time before the picks
    recent.observeLatency(8_000_000, t0 + decayTime); // 8 ms, just now
    clock.set(t0 + decayTime);
    EndpointView a = new EndpointView(instance(APP, 1), oldSlow, 1.0);
    EndpointView b = new EndpointView(instance(APP, 2), recent, 1.0);
    Picker picker = LoadBalancingStrategy.peakEwma().newPicker(List.<Endpoint>of(a, b), null);

    // As of now a costs 20 ms x e^-1 = 7.4 ms, below b's 8 ms (undecayed, a would lose).
    assertEquals(20_000_000 * Math.exp(-1), a.latencyEstimateNanos(), 1.0);
    clockReads.set(0);
    for (int i = 0; i < 100; i++) {
      assertSame(a, picker.pick(null));
    }
    // One call in flight doubles a's cost to 14.7 ms, above b's 8 ms.
    oldSlow.callStarted();
    for (int i = 0; i < 100; i++) {
      assertSame(b, picker.pick(null));
    }
    // Time passing decays both by the same factor: the order stays.
    clock.addAndGet(3 * decayTime);
    for (int i = 0; i < 100; i++) {
      assertSame(b, picker.pick(null));
    }
    // Weight divides the cost: at weight 2, a's 14.7 ms counts as 7.4 ms, below b's 8 ms again.
    EndpointView heavyA = new EndpointView(instance(APP, 1), oldSlow, 2.0);
    Picker weighted =
        LoadBalancingStrategy.peakEwma().newPicker(List.<Endpoint>of(heavyA, b), null);
    for (int i = 0; i < 100; i++) {
      assertSame(heavyA, weighted.pick(null));
    }
    assertEquals(0, clockReads.get(), "picks over two sampled instances read the clock");

    // A candidate with no sample and a call in flight costs the penalty (1 s) against b's
    // estimate as of now, which takes one clock read.
    InstanceStats fresh = new InstanceStats("c", ticker, Long.MIN_VALUE);
    fresh.callStarted();
    EndpointView c = new EndpointView(instance(APP, 3), fresh, 1.0);
    Picker withFresh = LoadBalancingStrategy.peakEwma().newPicker(List.<Endpoint>of(b, c), null);
    for (int i = 0; i < 100; i++) {
      assertSame(b, withFresh.pick(null));
    }
    assertTrue(clockReads.get() > 0, "the penalty comparison needs b's estimate as of now");
  }

  @Test
  void peakEwmaOrdersEstimatesSampledHoursApartInEitherOrder() {
    AtomicLong clock = new AtomicLong(1_000_000_000L);
    long t0 = clock.get();
    long hours = 20 * 3_600_000_000_000L; // exp(-7,200): the old estimate decays to 0 (underflow)
    for (boolean oldFirst : new boolean[] {true, false}) {
      InstanceStats old = new InstanceStats("old", clock::get, Long.MIN_VALUE);
      InstanceStats recent = new InstanceStats("recent", clock::get, Long.MIN_VALUE);
      old.observeLatency(900_000_000, t0); // 900 ms, 20 hours ago: worth nothing now
      recent.observeLatency(1_000_000, t0 + hours); // 1 ms, just now
      clock.set(t0 + hours);
      EndpointView o = new EndpointView(instance(APP, 1), old, 1.0);
      EndpointView r = new EndpointView(instance(APP, 2), recent, 1.0);
      Picker picker = LoadBalancingStrategy.peakEwma()
          .newPicker(oldFirst ? List.<Endpoint>of(o, r) : List.<Endpoint>of(r, o), null);
      for (int i = 0; i < 100; i++) {
        assertSame(o, picker.pick(null), "old first: " + oldFirst);
      }
      clock.set(t0);
    }
  }
}
