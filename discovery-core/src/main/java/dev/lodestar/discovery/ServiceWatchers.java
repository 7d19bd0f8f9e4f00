package dev.lodestar.discovery;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The resolver's {@link ServiceWatcher}s, by service id. {@link ServiceHolder} reports every
 * applied snapshot change here; the resolver reports removals.
 *
 * <p>Thread safety: a concurrent map of copy-on-write sets; no lock of its own. Callbacks run on
 * the caller's thread, each guarded so that a throwing watcher is logged and skipped.
 */
final class ServiceWatchers {
  private final ConcurrentHashMap<String, Set<ServiceWatcher>> byService = new ConcurrentHashMap<>();

  void add(String serviceId, ServiceWatcher watcher) {
    byService.computeIfAbsent(serviceId, id -> new CopyOnWriteArraySet<>()).add(watcher);
  }

  void remove(String serviceId, ServiceWatcher watcher) {
    byService.computeIfPresent(serviceId, (id, set) -> {
      set.remove(watcher);
      return set.isEmpty() ? null : set;
    });
  }

  boolean watched(String serviceId) {
    return !byService.isEmpty() && byService.containsKey(serviceId);
  }

  void onSnapshot(ServiceSnapshot snapshot) {
    if (byService.isEmpty()) {
      return;
    }
    Set<ServiceWatcher> set = byService.get(snapshot.serviceId());
    if (set != null) {
      for (ServiceWatcher w : set) {
        Notify.run(() -> w.onSnapshot(snapshot));
      }
    }
  }

  /** A watched service left the resolver. */
  void onError(String serviceId, DiscoveryException why) {
    Set<ServiceWatcher> set = byService.get(serviceId);
    if (set != null) {
      for (ServiceWatcher w : set) {
        Notify.run(() -> w.onError(why));
      }
    }
  }
}
