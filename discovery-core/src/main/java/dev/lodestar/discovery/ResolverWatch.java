package dev.lodestar.discovery;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@link DefaultServiceResolver#watch} registration. It stands between the resolver and the
 * application's watcher so that the watcher sees the service's snapshots once each and in the
 * order the resolver applied them, whether one came from the first load that the watch
 * triggered, the initial delivery, a refresh or a push.
 *
 * <p>Why a sequence number: a holder applies snapshots under its lock but hands them to watchers
 * after releasing it (watcher code never runs under a holder's lock), so two threads that applied
 * s1 then s2 can arrive here as s2 then s1. Each applied snapshot carries the number the holder
 * gave it under its lock ({@link ServiceWatchers#nextSequence()}, resolver-wide, so a reloaded
 * service's holder numbers above its predecessor); a delivery older than the last one delivered
 * is dropped, so the watcher ends on the snapshot the resolver applied last.
 *
 * <p>Thread safety: safe for concurrent use. Locking rule: {@link #lastSequence} and {@link
 * #delivered} are guarded by this object's monitor, and the check and the watcher's callback run
 * together under it, so that callbacks of one watch never run concurrently nor overtake each
 * other. Only this watch's own monitor is held (never a holder's); a callback that blocks holds
 * up the other deliveries to this watcher, as {@link ServiceWatcher} asks it not to.
 */
final class ResolverWatch implements ServiceWatch {
  private final DefaultServiceResolver resolver;
  private final String serviceId;
  private final ServiceWatcher watcher;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  /** The sequence number of the newest snapshot that reached this watch; guarded by this. */
  private long lastSequence;
  /** The snapshot last handed to the watcher, null after an error; guarded by this. */
  private ServiceSnapshot delivered;

  ResolverWatch(DefaultServiceResolver resolver, String serviceId, ServiceWatcher watcher) {
    this.resolver = resolver;
    this.serviceId = serviceId;
    this.watcher = watcher;
  }

  /**
   * Hands {@code snapshot} to the watcher unless a snapshot applied later (a higher {@code
   * sequence}) has reached this watch, or it is the one the watcher has already.
   */
  synchronized void onSnapshot(ServiceSnapshot snapshot, long sequence) {
    if (cancelled.get() || sequence <= lastSequence) {
      return; // cancelled, or older than one already delivered
    }
    lastSequence = sequence;
    if (snapshot.equals(delivered)) {
      return;
    }
    delivered = snapshot;
    Notify.run(() -> watcher.onSnapshot(snapshot));
  }

  /** Hands an error to the watcher; the next snapshot is news again, even an equal one. */
  synchronized void onError(DiscoveryException error) {
    if (cancelled.get()) {
      return;
    }
    delivered = null;
    Notify.run(() -> watcher.onError(error));
  }

  @Override
  public void refresh() {
    if (cancelled.get() || resolver.isClosed()) {
      return;
    }
    resolver.executor().execute(() -> {
      if (cancelled.get() || resolver.isClosed()) {
        return;
      }
      ServiceHolder.Applied current;
      try {
        // The snapshot and its number, read together: a newer one delivered meanwhile wins.
        current = resolver.holder(serviceId).applied();
      } catch (DiscoveryException e) {
        onError(e);
        return;
      } catch (IllegalStateException e) {
        return; // closed meanwhile
      }
      onSnapshot(current.snapshot(), current.sequence());
    });
  }

  @Override
  public void close() {
    if (cancelled.compareAndSet(false, true)) {
      resolver.watchers().remove(serviceId, this);
    }
  }

  @Override
  public String toString() {
    return "ServiceWatch[" + serviceId + "]";
  }
}
