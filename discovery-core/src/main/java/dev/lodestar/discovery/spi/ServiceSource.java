package dev.lodestar.discovery.spi;

import dev.lodestar.discovery.ServiceSnapshot;
import java.util.concurrent.CompletableFuture;

/**
 * Where instance lists come from: a backend such as Marathon or Mesos-DNS.
 *
 * <p>A source answers {@link #load(String)} for one service on demand, and may push updates to
 * the listener given to {@link #start(SnapshotListener)} when it learns of changes (the Marathon
 * event stream does). The resolver calls {@code load} for the first pick of a service and for
 * every background refresh; it calls {@code start} once, before any {@code load}, and {@code close}
 * once when it closes.
 *
 * <p>Failure contract:
 *
 * <ul>
 *   <li>An unknown service completes the future with {@link
 *       dev.lodestar.discovery.UnknownServiceException}.
 *   <li>Any other failure (unreachable, timeout, bad document) completes it exceptionally with a
 *       descriptive exception; the resolver then keeps its last good snapshot.
 *   <li>Bad entries inside a good document (an invalid host or port) are skipped with a logged
 *       reason; they never fail the whole load.
 *   <li>{@code load} must not throw; it must not block the calling thread for I/O.
 * </ul>
 *
 * <p>Thread safety: implementations must be safe for concurrent use; {@code load} may be called
 * from several threads at once, for different or the same services.
 */
public interface ServiceSource extends AutoCloseable {

  /** A short human-readable name, e.g. {@code marathon[http://m1:8080]}; never contains secrets. */
  String name();

  /**
   * Loads the current snapshot of one service.
   *
   * @param serviceId the service id as the caller spelled it; the returned snapshot must carry
   *     exactly this id. The library's sources apply {@link dev.lodestar.discovery.ServiceIds#check}
   *     first and complete the future with its {@link IllegalArgumentException} (or {@link
   *     NullPointerException}) without sending a request; the resolver checks before calling.
   * @return a future completed with the snapshot, or exceptionally as described above
   */
  CompletableFuture<ServiceSnapshot> load(String serviceId);

  /**
   * Starts the source and registers the listener that receives pushed updates. Sources that
   * cannot push ignore the listener. Called once by the resolver that owns this source.
   *
   * @param listener receives snapshots, removals and errors, serialized per source
   */
  default void start(SnapshotListener listener) {}

  /**
   * Whether this source keeps every service it loaded fresh by itself, pushing each change to the
   * listener given to {@link #start(SnapshotListener)} (an event stream, or its own polling when
   * the stream is down). When true, the resolver does not refresh services on its {@code
   * refreshInterval} timer: it loads a service on first use, applies pushes, and reloads
   * everything when the source calls {@link SnapshotListener#onResyncRequested()}. When false
   * (the default), the resolver polls every cached service itself.
   *
   * <p>The resolver asks on every maintenance tick, so a source may change its answer at any
   * time; a source whose push path breaks and that will not poll by itself should return false
   * until it recovers. Must be cheap (a field read), must not block or throw.
   *
   * <p>A pushing source reports a service that no longer exists with {@link
   * SnapshotListener#onError} and an {@link dev.lodestar.discovery.UnknownServiceException}; the
   * resolver keeps serving it for its unknown-service grace and drops it if no snapshot arrives
   * meanwhile ({@link SnapshotListener#onRemoved} drops it at once).
   *
   * <p>A pushing source that should also satisfy the resolver's {@code maxStaleness} pushes a
   * snapshot (changed or not) more often than that bound, e.g. on its safety resync.
   */
  default boolean keepsSnapshotsFresh() {
    return false;
  }

  /**
   * The resolver dropped the service from its cache (idle, removed or closed); the source may
   * stop tracking it, e.g. stop re-reading it on every resync. A later {@link #load} of the same
   * id starts tracking it again. Must not block or throw.
   */
  default void forget(String serviceId) {}

  /** Releases connections and threads. Idempotent; never throws. */
  @Override
  default void close() {}
}
