package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.internal.StampedLatency;
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
      for (long signed : new long[] {e, -e}) { // the picker's factor takes gaps of either sign
        double exact = Math.exp(-signed / InstanceStats.DECAY_NANOS);
        assertEquals(exact, StampedLatency.decay(signed), 1e-9 * exact, "elapsed " + signed);
      }
    }
    // Gaps of hours: 0 and infinity, no NaN.
    assertEquals(0.0, StampedLatency.decay(Long.MAX_VALUE / 2), 0.0);
    assertEquals(Double.POSITIVE_INFINITY, StampedLatency.decay(-Long.MAX_VALUE / 2), 0.0);
  }

  @Test
  void aHigherSampleReplacesTheEstimateAndALowerOneIsBlendedIn() {
    stats.observeLatency(5_000_000, clock.get());
    assertEquals(5_000_000, stats.latencyEstimateNanos(), 0.0);
    stats.observeLatency(9_000_000, clock.get());
    assertEquals(9_000_000, stats.latencyEstimateNanos(), 0.0); // the peak wins at once
    // One decay time later, a 1 ms sample: weight exp(-1) on the old estimate.
    clock.addAndGet((long) InstanceStats.DECAY_NANOS);
    stats.observeLatency(1_000_000, clock.get());
    double w = Math.exp(-1);
    assertEquals(9_000_000 * w + 1_000_000 * (1 - w), stats.latencyEstimateNanos(), 1.0);
  }

  @Test
  void theEstimateAsOfItsStampIsUndecayedAndNowIsDecayed() {
    long stamp = clock.get();
    assertEquals(0.0, stats.latencyEstimateNanosAtStamp(), 0.0, "no sample");
    stats.observeLatency(6_000_000, stamp);
    assertEquals(stamp, stats.latencyStampNanos());
    clock.addAndGet((long) (InstanceStats.DECAY_NANOS / 2));
    assertEquals(6_000_000, stats.latencyEstimateNanosAtStamp(), 0.0);
    assertEquals(6_000_000 * Math.exp(-0.5), stats.latencyEstimateNanos(), 1.0);
    clock.set(stamp + 100_000);
    assertEquals(6_000_000 * Math.exp(-1e-5), stats.latencyEstimateNanos(), 1e-3);
    clock.set(stamp - 5_000_000_000L); // a clock behind the stamp: undecayed
    assertEquals(6_000_000, stats.latencyEstimateNanos(), 0.0);
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
  void concurrentReportsKeepTheEstimateWithinTheSamples() throws InterruptedException {
    // Two writers race on one instance with no lock: samples may overwrite each other, but
    // every value written is a sample or a blend of a written value and a sample, so the
    // estimate never leaves the samples' range, whatever the interleaving.
    int perThread = 200_000;
    // Read as of its own stamp (undecayed): exactly the samples' range.
    double lowest = 1_000_000;
    AtomicInteger outOfRange = new AtomicInteger();
    Runnable reporter = () -> {
      for (int i = 0; i < perThread; i++) {
        stats.observeLatency(1_000_000 + (i % 1_000) * 1_000, clock.get() + i);
        double seen = stats.latencyEstimateNanosAtStamp();
        if (seen < lowest || seen > 1_999_000) {
          outOfRange.incrementAndGet();
        }
      }
    };
    onTwoThreads(reporter);
    assertEquals(0, outOfRange.get(), "estimates outside the samples' range");
    double estimate = stats.latencyEstimateNanosAtStamp();
    assertTrue(estimate >= 1_000_000 && estimate <= 1_999_000, "estimate " + estimate);
    // Alone, a higher sample replaces the estimate at once.
    stats.observeLatency(2_500_000, clock.get() + perThread);
    assertEquals(2_500_000, stats.latencyEstimateNanos(), 0.0);
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
