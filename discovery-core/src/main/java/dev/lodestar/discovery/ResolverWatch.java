package dev.lodestar.discovery;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@link DefaultServiceResolver#watch} registration. It stands between the resolver and the
 * application's watcher so that a snapshot reaches the watcher once, whether it came from the
 * first load that the watch triggered or from the initial delivery.
 *
 * <p>Thread safety: safe for concurrent use; deliveries are deduplicated under this object's lock.
 */
final class ResolverWatch implements ServiceWatch, ServiceWatcher {
  private final DefaultServiceResolver resolver;
  private final String serviceId;
  private final ServiceWatcher watcher;
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private ServiceSnapshot delivered; // guarded by this

  ResolverWatch(DefaultServiceResolver resolver, String serviceId, ServiceWatcher watcher) {
    this.resolver = resolver;
    this.serviceId = serviceId;
    this.watcher = watcher;
  }

  @Override
  public void onSnapshot(ServiceSnapshot snapshot) {
    synchronized (this) {
      if (cancelled.get() || snapshot.equals(delivered)) {
        return;
      }
      delivered = snapshot;
    }
    watcher.onSnapshot(snapshot);
  }

  @Override
  public void onError(DiscoveryException error) {
    synchronized (this) {
      if (cancelled.get()) {
        return;
      }
      delivered = null; // the next snapshot is news again
    }
    watcher.onError(error);
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
      ServiceSnapshot snapshot;
      try {
        snapshot = resolver.holder(serviceId).state().snapshot;
      } catch (DiscoveryException e) {
        Notify.run(() -> onError(e));
        return;
      } catch (IllegalStateException e) {
        return; // closed meanwhile
      }
      Notify.run(() -> onSnapshot(snapshot));
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
