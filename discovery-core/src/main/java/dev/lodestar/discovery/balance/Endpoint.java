package dev.lodestar.discovery.balance;

import dev.lodestar.discovery.Instance;

/**
 * An instance as a {@link Picker} sees it: the immutable {@link Instance} plus the live feedback
 * the resolver gathers for it (calls in flight, latency estimate).
 *
 * <p>The live values are read without locks and may change between two reads; pickers use them
 * as hints. The per-instance state behind an endpoint is keyed by instance id and carries over
 * when a snapshot is rebuilt with the same id.
 *
 * <p>Thread safety: safe for concurrent use; every method is lock-free and allocation-free.
 */
public interface Endpoint {

  /** The instance. */
  Instance instance();

  /**
   * The effective weight for this picker's lifetime: the instance's weight, scaled down while the
   * instance is in its slow-start window. Always greater than zero.
   */
  double weight();

  /** Calls started through the outcome-reporting API and not finished yet. */
  int inFlight();

  /**
   * The peak-EWMA latency estimate in nanoseconds, decayed to now; zero before the first sample
   * (so a new instance is tried early). Only fed by the outcome-reporting API.
   */
  double latencyEstimateNanos();
}
