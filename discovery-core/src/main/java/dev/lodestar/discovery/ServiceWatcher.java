package dev.lodestar.discovery;

/**
 * Follows one service's snapshots; registered with {@link ServiceResolver#watch}. For integrations
 * that keep their own view of the instances (a gRPC name resolver, a proxy's listener set) and
 * want it pushed rather than polled.
 *
 * <p>Thread safety: callbacks come from the resolver's and the source's threads, not from one
 * fixed thread, but the callbacks of one watch never run concurrently, and snapshots arrive in the
 * order the resolver applied them: one that a newer one overtook on its way is skipped, so the
 * last snapshot a watcher got is the one the resolver routes over. Implementations must be
 * thread-safe, fast, and must not block: a callback runs on the thread delivering to its watch,
 * which can be the source's own thread (Marathon's source pushes every app's changes from one
 * serial thread) or the resolver's executor, so a blocked callback holds up that thread and
 * everything it would deliver next, other services' updates included, not only the next callback
 * of its watch. Hand slow work (lookups, I/O) to an executor of your own. An exception thrown by a
 * callback is logged and ignored.
 */
public interface ServiceWatcher {

  /**
   * The service's current snapshot: once when the watch starts (as soon as the service is
   * loaded), then on every change the resolver applies (a push from the source or a refresh that
   * found a difference). The resolver's own refreshes that find no change are not reported; {@link
   * ServiceWatch#refresh()} is different: it delivers the current snapshot again, changed or not.
   */
  void onSnapshot(ServiceSnapshot snapshot);

  /**
   * Discovery failed for the watched service: the first load failed (then the watch stays
   * registered and {@link ServiceWatch#refresh()} tries again), or the source says the service no
   * longer exists ({@link UnknownServiceException}, after the resolver's unknown-service grace).
   * While a snapshot is cached, failed background refreshes are not reported: the last good
   * snapshot stays in use.
   */
  void onError(DiscoveryException error);
}
