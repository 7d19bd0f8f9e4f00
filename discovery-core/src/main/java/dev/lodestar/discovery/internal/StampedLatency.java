package dev.lodestar.discovery.internal;

/**
 * An endpoint whose latency estimate can be read as of a given instant of the resolver's clock.
 * Lodestar's latency-aware picker compares two endpoints with it and reads no clock: decaying
 * both estimates from one instant on to now multiplies them by the same factor, so comparing them
 * as of the later of their two sample times gives the same order as comparing them now.
 *
 * <p><strong>Not API</strong>; see the package documentation.
 *
 * <p>Thread safety: implementations are read without locks from any thread; the stamp and the
 * estimate are two reads and a concurrent sample may fall between them, which a picker treats as
 * a hint like every other live value. Neither method blocks, allocates or throws.
 */
public interface StampedLatency {

  /**
   * When the estimate was last written, on the resolver's clock; meaningless while the estimate is
   * zero.
   */
  long latencyStampNanos();

  /**
   * The estimate decayed to {@code atNanos}, or undecayed if {@code atNanos} is not after its
   * stamp; zero before the first sample.
   */
  double latencyEstimateNanosAt(long atNanos);
}
