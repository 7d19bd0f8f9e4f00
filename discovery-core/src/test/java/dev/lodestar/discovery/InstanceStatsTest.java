package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The peak-EWMA estimate: its decay, peaks, blending and out-of-order reports. */
class InstanceStatsTest {
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final InstanceStats stats = new InstanceStats("i", clock::get, Long.MIN_VALUE);

  @Test
  void decayIsExpWhereverItIsUsed() {
    long[] elapsed = {0, 1, 1_000, 1_000_000, 9_999_999, 10_000_000, 10_000_001, 1_000_000_000L,
        10_000_000_000L, 100_000_000_000L};
    for (long e : elapsed) {
      double exact = Math.exp(-e / InstanceStats.DECAY_NANOS);
      assertEquals(exact, InstanceStats.decay(e), 1e-9 * exact, "elapsed " + e);
    }
  }

  @Test
  void aHigherSampleReplacesTheEstimateAndALowerOneIsBlendedIn() {
    assertTrue(stats.observeLatency(5_000_000, clock.get()));
    assertEquals(5_000_000, stats.latencyEstimateNanos(), 0.0);
    assertTrue(stats.observeLatency(9_000_000, clock.get()));
    assertEquals(9_000_000, stats.latencyEstimateNanos(), 0.0); // the peak wins at once
    // One decay time later, a 1 ms sample: weight exp(-1) on the old estimate.
    clock.addAndGet((long) InstanceStats.DECAY_NANOS);
    stats.observeLatency(1_000_000, clock.get());
    double w = Math.exp(-1);
    assertEquals(9_000_000 * w + 1_000_000 * (1 - w), stats.latencyEstimateNanos(), 1.0);
  }

  @Test
  void theEstimateDecaysWithTimeAndALateReportDoesNotMoveTheStampBack() {
    stats.observeLatency(8_000_000, clock.get());
    clock.addAndGet((long) InstanceStats.DECAY_NANOS * 2);
    assertEquals(8_000_000 * Math.exp(-2), stats.latencyEstimateNanos(), 1.0);
    long now = clock.get();
    stats.observeLatency(1_000, now);
    double after = stats.latencyEstimateNanos();
    // A report stamped before the last one blends with weight 1 (no time passed), never negative.
    stats.observeLatency(1_000, now - 5_000_000_000L);
    assertEquals(after, stats.latencyEstimateNanos(), 1e-6);
  }

  @Test
  void concurrentReportsKeepTheEstimateWithinTheSamplesAndNeitherReporterStarves()
      throws InterruptedException {
    // A report that finds another one being written drops its sample and returns at once. How
    // many are dropped depends on scheduling (a writer descheduled inside its write makes the
    // other drop everything meanwhile), so the test asks for progress, bounded in time: each
    // thread gets `wanted` samples kept, and the estimate stays within the samples.
    int wanted = 20_000;
    long deadline = System.nanoTime() + 10_000_000_000L;
    AtomicInteger starved = new AtomicInteger();
    Runnable reporter = () -> {
      int kept = 0;
      for (int i = 0; kept < wanted && System.nanoTime() - deadline < 0; i++) {
        if (stats.observeLatency(1_000_000 + (i % 1_000) * 1_000, clock.get() + i)) {
          kept++;
        }
      }
      if (kept < wanted) {
        starved.incrementAndGet();
      }
    };
    onTwoThreads(reporter);
    assertEquals(0, starved.get(), "reporters that kept fewer than " + wanted + " in 10 s");
    double estimate = stats.latencyEstimateNanos();
    assertTrue(estimate >= 1_000_000 && estimate <= 1_999_000, "estimate " + estimate);
    // Alone, no sample is dropped.
    for (int i = 0; i < 1_000; i++) {
      assertTrue(stats.observeLatency(1_500_000, clock.get()));
    }
  }

  @Test
  void countersAreExactUnderConcurrentUpdates() throws InterruptedException {
    int perThread = 100_000;
    Runnable worker = () -> {
      for (int i = 0; i < perThread; i++) {
        stats.callStarted();
        stats.failed();
        stats.callFinished();
      }
    };
    onTwoThreads(worker);
    assertEquals(0, stats.inFlight());
    assertEquals(2 * perThread, stats.consecutiveFailures());
    stats.callStarted();
    assertEquals(1, stats.inFlight());
    assertEquals(2 * perThread + 1, stats.failed());
    stats.resetFailures();
    assertEquals(0, stats.consecutiveFailures());
  }

  /** Runs {@code task} on two threads at once and waits for both. */
  private static void onTwoThreads(Runnable task) throws InterruptedException {
    Thread a = new Thread(task);
    Thread b = new Thread(task);
    a.start();
    b.start();
    a.join();
    b.join();
  }
}
