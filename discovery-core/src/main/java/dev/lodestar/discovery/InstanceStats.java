package dev.lodestar.discovery;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Live feedback for one instance id: calls in flight, the peak-EWMA latency estimate and passive
 * health. Outlives snapshots: the resolver keeps one per instance id while the id is listed.
 *
 * <p>Readers (pickers) never lock. Latency writes lock this object; ejection state is written
 * by {@link OutlierDetector} under the owning {@link ServiceHolder}'s lock.
 */
final class InstanceStats {
  /** Peak-EWMA decay time, as Finagle's default. */
  static final double DECAY_NANOS = 10e9;

  final String instanceId;
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final LongSupplier ticker;

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

  /** The estimate decayed to now, without mutating state (pickers call this). */
  double latencyEstimateNanos() {
    double cost = ewmaNanos;
    if (cost == 0.0) {
      return 0.0;
    }
    long elapsed = ticker.getAsLong() - ewmaStamp;
    return elapsed <= 0 ? cost : cost * Math.exp(-elapsed / DECAY_NANOS);
  }

  /**
   * Peak EWMA: a sample above the estimate replaces it, a lower one is blended in with decay.
   *
   * @param nowNanos when the sample completed, on the resolver's ticker
   */
  synchronized void observeLatency(long nanos, long nowNanos) {
    double cost = ewmaNanos;
    // Reports can finish out of order; the stamp never moves backwards.
    long now = cost != 0.0 && nowNanos - ewmaStamp < 0 ? ewmaStamp : nowNanos;
    if (nanos > cost) {
      ewmaNanos = nanos;
    } else {
      double w = Math.exp(-(now - ewmaStamp) / DECAY_NANOS);
      ewmaNanos = cost * w + nanos * (1.0 - w);
    }
    ewmaStamp = now;
  }
}
