package dev.lodestar.discovery;

import java.time.Duration;

/**
 * Hears what a {@link ServiceResolver} does, for metrics and logs: loads and refreshes, snapshot
 * changes, ejections, and reported call outcomes. Register with {@link
 * ServiceResolver.Builder#listener(ResolverListener)}; the optional {@code discovery-micrometer}
 * module implements it.
 *
 * <p>Every method has a no-op default. Implementations must be fast, must not block and must not
 * throw (a thrown exception is logged and swallowed). Plain {@code pick()} calls are never
 * reported here, to keep the pick path free; see {@link ServiceResolver.Builder#recordPicks(boolean)}
 * for counting them.
 *
 * <p>Thread safety: called from any thread, possibly concurrently.
 */
public interface ResolverListener {

  /**
   * A load or background refresh of a service finished.
   *
   * @param error the failure, or {@code null} on success
   */
  default void onLoad(String serviceId, Duration latency, Throwable error) {}

  /** A new snapshot replaced the previous one (pushes included). */
  default void onSnapshot(ServiceSnapshot snapshot) {}

  /** Passive health ejected an instance. */
  default void onEjection(Instance instance, Duration duration, Throwable cause) {}

  /** A reported call finished; {@code error} is null on success, latency null if unknown. */
  default void onCallFinished(Instance instance, Duration latency, Throwable error) {}
}
