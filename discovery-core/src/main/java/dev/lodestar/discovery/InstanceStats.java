package dev.lodestar.discovery;

import dev.lodestar.discovery.internal.StampedLatency;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;

/**
 * Live feedback for one instance id: calls in flight, the peak-EWMA latency estimate and passive
 * health. Outlives snapshots: the resolver keeps one per instance id while the id is listed.
 *
 * <p>Readers (pickers) never lock. The in-flight and failure counters are atomic (any thread,
 * no lock). A latency sample is a plain read-modify-write of the estimate and its stamp, with
 * no lock and no atomic instruction: two samples of one instance written at the same moment may
 * overwrite each other (one is lost, or the estimate of one is kept with the stamp of the other,
 * microseconds apart). An estimate fed by thousands of samples a second loses nothing that
 * matters by it, and it stays within the range of the samples; a try-lock that dropped the
 * second sample instead cost an atomic compare-and-set on every report (4-14 ns of a 60-100 ns
 * select and report, measured in {@code PeerPickBenchmark}). Ejection state is written by {@link
 * OutlierDetector} under the owning {@link ServiceHolder}'s lock.
 */
final class InstanceStats {
  /** Peak-EWMA decay time ({@link StampedLatency#DECAY_NANOS}). */
  static final double DECAY_NANOS = StampedLatency.DECAY_NANOS;
  private static final VarHandle IN_FLIGHT;
  private static final VarHandle CONSECUTIVE_FAILURES;
  private static final VarHandle EWMA_NANOS;
  private static final VarHandle EWMA_STAMP;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      IN_FLIGHT = lookup.findVarHandle(InstanceStats.class, "inFlight", int.class);
      CONSECUTIVE_FAILURES = lookup.findVarHandle(InstanceStats.class, "consecutiveFailures",
          int.class);
      EWMA_NANOS = lookup.findVarHandle(InstanceStats.class, "ewmaNanos", double.class);
      EWMA_STAMP = lookup.findVarHandle(InstanceStats.class, "ewmaStamp", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String instanceId;
  private final LongSupplier ticker;

  // Counters as fields updated through VarHandles rather than AtomicInteger objects: a picker
  // reads inFlight on every pick, and a field saves the load of a second object (and 16 bytes).
  private volatile int inFlight;
  private volatile int consecutiveFailures;

  private volatile double ewmaNanos;
  private volatile long ewmaStamp;

  /** When the instance joined, for slow start; {@code Long.MIN_VALUE} = present from the start. */
  final long joinedNanos;

  // Written by OutlierDetector under the owning ServiceHolder's lock.
  long ejectedUntilNanos;
  boolean ejected;
  boolean onTrial;
  int ejectionsInARow;

  InstanceStats(String instanceId, LongSupplier ticker, long joinedNanos) {
    this.instanceId = instanceId;
    this.ticker = ticker;
    this.joinedNanos = joinedNanos;
  }

  /** Calls picked and not yet reported. */
  int inFlight() {
    return inFlight;
  }

  void callStarted() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  void callFinished() {
    IN_FLIGHT.getAndAdd(this, -1);
  }

  /** Failures since the last success or ejection. */
  int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** Counts a failure; returns the count including it. */
  int failed() {
    return (int) CONSECUTIVE_FAILURES.getAndAdd(this, 1) + 1;
  }

  /** Resets the failure count, without a write when it is already zero (the common case). */
  void resetFailures() {
    if (consecutiveFailures != 0) {
      consecutiveFailures = 0;
    }
  }

  /** The estimate decayed to now, without mutating state; reads the clock unless it is zero. */
  double latencyEstimateNanos() {
    double cost = ewmaNanos;
    return cost == 0.0 ? 0.0 : decayed(cost, ticker.getAsLong());
  }

  /** The estimate as of {@link #latencyStampNanos()}; zero before the first sample. */
  double latencyEstimateNanosAtStamp() {
    return ewmaNanos;
  }

  private double decayed(double cost, long atNanos) {
    long elapsed = atNanos - ewmaStamp;
    return elapsed <= 0 ? cost : cost * StampedLatency.decay(elapsed);
  }

  /** When the estimate was last written, on the ticker; meaningless while the estimate is zero. */
  long latencyStampNanos() {
    return ewmaStamp;
  }

  /**
   * Peak EWMA: a sample above the estimate replaces it, a lower one is blended in with decay.
   * Concurrent samples may overwrite each other (see the class comment).
   *
   * @param nowNanos when the sample completed, on the resolver's ticker
   */
  void observeLatency(long nanos, long nowNanos) {
    double cost = ewmaNanos;
    long stamp = ewmaStamp;
    // Reports can finish out of order: an earlier one blends in as of the stamp (weight 1).
    long now = cost != 0.0 && nowNanos - stamp < 0 ? stamp : nowNanos;
    double estimate;
    if (nanos > cost) {
      estimate = nanos;
    } else {
      double w = StampedLatency.decay(now - stamp);
      estimate = cost * w + nanos * (1.0 - w);
    }
    // Release stores: readers never needed the two fields to change together, so the full
    // fences of volatile stores buy nothing here.
    EWMA_NANOS.setRelease(this, estimate);
    EWMA_STAMP.setRelease(this, now);
  }
}
