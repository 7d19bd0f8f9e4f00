package dev.lodestar.discovery.internal;

/**
 * An endpoint whose latency estimate can be read as of a given instant of the resolver's clock.
 * Lodestar's latency-aware picker compares two endpoints with it and reads no clock: decaying
 * both estimates from one instant on to now multiplies them by the same factor, so comparing them
 * as of the later of their two sample times gives the same order as comparing them now. That
 * comparison needs one factor, not a decay of each: estimate A as of B's stamp against B's
 * undecayed is A x {@link #decay decay(stampB - stampA)} against B, whichever stamp is later (a
 * negative gap gives a factor above 1, which is B decayed to A's stamp, moved to A's side).
 *
 * <p><strong>Not API</strong>; see the package documentation.
 *
 * <p>Thread safety: implementations are read without locks from any thread; the stamp and the
 * estimate are two reads and a concurrent sample may fall between them, which a picker treats as
 * a hint like every other live value. Neither method blocks, allocates or throws.
 */
public interface StampedLatency {
  /** Peak-EWMA decay time, as Finagle's default: an estimate falls to 1/e in this time. */
  double DECAY_NANOS = 10e9;

  /**
   * {@code exp(-nanos / DECAY_NANOS)}, for either sign of {@code nanos}. Samples come
   * microseconds apart, where {@code |x| < 10^-3} and the series {@code 1 - x + x^2/2} is exact
   * to 2 * 10^-10 of it, at a fraction of {@link Math#exp}'s cost. Gaps of hours give 0 or
   * infinity, which still order two costs correctly.
   */
  static double decay(long nanos) {
    double x = nanos * (1 / DECAY_NANOS);
    return Math.abs(x) < 1e-3 ? 1.0 - x + 0.5 * x * x : Math.exp(-x);
  }

  /**
   * When the estimate was last written, on the resolver's clock; meaningless while the estimate is
   * zero.
   */
  long latencyStampNanos();

  /** The estimate as of its own stamp (undecayed); zero before the first sample. */
  double latencyEstimateNanosAtStamp();
}
