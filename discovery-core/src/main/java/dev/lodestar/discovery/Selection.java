package dev.lodestar.discovery;

import java.time.Duration;

/**
 * One picked instance plus the ticket to report how the call to it went. Reporting feeds the
 * in-flight count, the latency estimate and passive health (ejection).
 *
 * <p>Exactly one of {@link #success(Duration)}, {@link #failure(Throwable)} or {@link #release()}
 * should be called once the call ends; later calls are ignored. A selection that is never
 * finished leaves the instance's in-flight count one too high, which biases load-aware strategies
 * against it. If the instance leaves the service while the call runs, the report is still
 * accepted and simply has no further effect.
 *
 * <p>Thread safety: safe for concurrent use; the first report wins.
 */
public interface Selection {

  /** The picked instance. */
  Instance instance();

  /** The call succeeded after {@code latency}. */
  void success(Duration latency);

  /**
   * The call succeeded; the latency is measured from the moment of the pick. Same as {@code
   * success(elapsed since pick)}.
   */
  void success();

  /**
   * The call failed. Connection-level failures ({@link java.net.ConnectException} anywhere in the
   * cause chain) may eject the instance at once; other failures count towards the
   * consecutive-failure limit.
   */
  void failure(Throwable error);

  /** The call ended with no verdict about the instance (cancelled, for example). */
  void release();
}
