package dev.lodestar.discovery.source;

import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A primary source with a fallback, e.g. Marathon first and Mesos-DNS when Marathon is
 * unreachable. Every snapshot keeps the origin of the source that produced it, so {@link
 * dev.lodestar.discovery.ServiceStatus#origin()} shows which one is in use.
 *
 * <p>A load goes to the primary; if it fails for any reason but {@link UnknownServiceException},
 * the fallback answers. The primary's "unknown service" is authoritative and is not retried on
 * the fallback. Pushes from the primary always pass; pushes from the fallback pass only for
 * services whose last load was answered by the fallback.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class FailoverSource implements ServiceSource {
  private static final System.Logger LOG = System.getLogger(FailoverSource.class.getName());

  private final ServiceSource primary;
  private final ServiceSource fallback;
  private final Set<String> onFallback = ConcurrentHashMap.newKeySet();

  private FailoverSource(ServiceSource primary, ServiceSource fallback) {
    this.primary = primary;
    this.fallback = fallback;
  }

  /** Combines two sources; closing the result closes both. */
  public static FailoverSource of(ServiceSource primary, ServiceSource fallback) {
    return new FailoverSource(
        Objects.requireNonNull(primary, "primary"), Objects.requireNonNull(fallback, "fallback"));
  }

  @Override
  public String name() {
    return primary.name() + " then " + fallback.name();
  }

  @Override
  public CompletableFuture<ServiceSnapshot> load(String serviceId) {
    return primary.load(serviceId)
        .thenApply(snapshot -> {
          onFallback.remove(serviceId);
          return snapshot;
        })
        .exceptionallyCompose(error -> {
          Throwable cause = Futures.unwrap(error);
          if (cause instanceof UnknownServiceException) {
            return CompletableFuture.failedFuture(cause);
          }
          LOG.log(Level.DEBUG, () -> primary.name() + " failed for " + serviceId
              + ", trying " + fallback.name() + ": " + cause);
          return fallback.load(serviceId).thenApply(snapshot -> {
            onFallback.add(serviceId);
            return snapshot;
          });
        });
  }

  @Override
  public void start(SnapshotListener listener) {
    Objects.requireNonNull(listener, "listener");
    primary.start(new SnapshotListener() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        onFallback.remove(snapshot.serviceId());
        listener.onSnapshot(snapshot);
      }

      @Override
      public void onRemoved(String serviceId) {
        listener.onRemoved(serviceId);
      }

      @Override
      public void onError(String serviceId, Throwable error) {
        listener.onError(serviceId, error);
      }

      @Override
      public void onResyncRequested() {
        listener.onResyncRequested();
      }
    });
    fallback.start(new SnapshotListener() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        if (onFallback.contains(snapshot.serviceId())) {
          listener.onSnapshot(snapshot);
        }
      }
    });
  }

  @Override
  public void forget(String serviceId) {
    onFallback.remove(serviceId);
    primary.forget(serviceId);
    fallback.forget(serviceId);
  }

  @Override
  public void close() {
    try {
      primary.close();
    } finally {
      fallback.close();
    }
  }
}
