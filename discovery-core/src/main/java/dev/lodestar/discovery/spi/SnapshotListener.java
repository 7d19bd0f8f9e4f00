package dev.lodestar.discovery.spi;

import dev.lodestar.discovery.ServiceSnapshot;

/**
 * Receives updates a {@link ServiceSource} pushes.
 *
 * <p>Calls from one source never overlap (the source serializes them). Implementations return
 * quickly and never throw; the resolver's implementation only swaps an immutable snapshot.
 * Snapshots for services nobody has asked for are ignored by the resolver, so a source may push
 * every service it learns about.
 *
 * <p>Thread safety: called from the source's own thread(s), one call at a time.
 */
public interface SnapshotListener {

  /** A fresh snapshot of one service; replaces the cached one at once. */
  default void onSnapshot(ServiceSnapshot snapshot) {}

  /** The service no longer exists (e.g. a Marathon {@code app_terminated_event}). */
  default void onRemoved(String serviceId) {}

  /**
   * The source hit a problem; {@code serviceId} is null when it concerns the source as a whole
   * (e.g. the event stream dropped). Cached snapshots stay as they are.
   */
  default void onError(String serviceId, Throwable error) {}

  /**
   * The source may have missed updates (e.g. after an event-stream reconnect) and asks for every
   * cached service to be reloaded.
   */
  default void onResyncRequested() {}
}
