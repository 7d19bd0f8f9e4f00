package dev.lodestar.discovery;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@link DefaultServiceResolver#watch} registration. It stands between the resolver and the
 * application's watcher so that the watcher sees the service's snapshots once each and in the
 * order the resolver applied them, whether one came from the first load that the watch
 * triggered, the initial delivery or a push; and so that {@link #refresh()} delivers the current
 * snapshot again, as {@link ServiceWatch#refresh()} promises, even when the watcher has it.
 *
 * <p>Why a sequence number: a holder applies snapshots under its lock but hands them to watchers
 * after releasing it (watcher code never runs under a holder's lock), so two threads that applied
 * s1 then s2 can arrive here as s2 then s1. Each applied snapshot carries the number the holder
 * gave it under its lock ({@link ServiceWatchers#nextSequence()}, resolver-wide, so a reloaded
 * service's holder numbers above its predecessor). A push ({@link #onSnapshot}) is delivered only
 * if its number is above every one that reached this watch and its snapshot differs from the one
 * the watcher has. A refresh ({@link #onRefresh}) is delivered if its number is not below any that
 * reached this watch, equal snapshot and equal number included, unless the watcher got an equal
 * snapshot after {@link #refresh()} was called (the load the first refresh of a watch triggers
 * delivers it already). Neither path ever delivers a snapshot older than one delivered, so the
 * watcher ends on the snapshot the resolver applied last.
 *
 * <p>Thread safety: safe for concurrent use. Locking rule: {@link #lastSequence} and {@link
 * #delivered} are guarded by this object's monitor, and so are the writes of {@link
 * #deliveries} ({@link #refresh()} reads it without the monitor, so that it returns at once). The
 * check and the watcher's callback run together under the monitor, so that callbacks of one watch
 * never run concurrently nor overtake each other. Only this watch's own monitor is held (never a
 * holder's). A callback that blocks holds up the thread delivering to this watch, which can be the
 * source's own thread (Marathon's serial thread, and with it every other service's updates) or the
 * resolver's executor, and every other thread that waits for this monitor to deliver to this
 * watch; {@link ServiceWatcher} asks callbacks not to block.
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
  /**
   * How many snapshots were handed to the watcher; written under this object's monitor, read by
   * {@link #refresh()} without it.
   */
  private volatile long deliveries;

  ResolverWatch(DefaultServiceResolver resolver, String serviceId, ServiceWatcher watcher) {
    this.resolver = resolver;
    this.serviceId = serviceId;
    this.watcher = watcher;
  }

  /**
   * A pushed snapshot: handed to the watcher unless one applied as late or later (a {@code
   * sequence} as high or higher) has reached this watch, or it is the one the watcher has already.
   */
  synchronized void onSnapshot(ServiceSnapshot snapshot, long sequence) {
    if (cancelled.get() || sequence <= lastSequence) {
      return; // cancelled, a repeat, or older than one already delivered
    }
    lastSequence = sequence;
    if (snapshot.equals(delivered)) {
      return;
    }
    deliver(snapshot);
  }

  /**
   * The current snapshot read by {@link #refresh()}: handed to the watcher again even if it has
   * it, unless one applied later (a higher {@code sequence}) has reached this watch, or the
   * watcher got an equal snapshot after the refresh was asked for ({@code deliveriesAsked} is
   * {@link #deliveries} read then).
   */
  synchronized void onRefresh(ServiceSnapshot snapshot, long sequence, long deliveriesAsked) {
    if (cancelled.get() || sequence < lastSequence) {
      return; // cancelled, or older than one already delivered
    }
    lastSequence = sequence;
    if (deliveries != deliveriesAsked && snapshot.equals(delivered)) {
      return; // delivered since the refresh was asked for
    }
    deliver(snapshot);
  }

  /** Hands {@code snapshot} to the watcher; the caller holds this object's monitor. */
  private void deliver(ServiceSnapshot snapshot) {
    delivered = snapshot;
    deliveries = deliveries + 1; // written under the monitor only; volatile for refresh()
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
    long asked = deliveries;
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
      onRefresh(current.snapshot(), current.sequence(), asked);
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
