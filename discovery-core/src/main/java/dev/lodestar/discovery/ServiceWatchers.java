package dev.lodestar.discovery;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The resolver's watches, by service id. {@link ServiceHolder} reports every applied snapshot
 * change here, with the sequence number it took from {@link #nextSequence()}; the resolver
 * reports removals.
 *
 * <p>Thread safety: a concurrent map of copy-on-write sets and an atomic counter; no lock of its
 * own. Callbacks run on the caller's thread, under each watch's own monitor (see {@link
 * ResolverWatch}), never under a holder's; a throwing watcher is logged and skipped.
 */
final class ServiceWatchers {
  private final ConcurrentHashMap<String, Set<ResolverWatch>> byService = new ConcurrentHashMap<>();
  /**
   * Numbers applied snapshots in the order they were applied. Resolver-wide rather than per
   * holder, so a service reloaded into a new holder numbers above everything its old holder
   * applied and its watches do not take its snapshots for old ones.
   */
  private final AtomicLong sequence = new AtomicLong();

  /** The number of a snapshot being applied; the caller holds the applying holder's monitor. */
  long nextSequence() {
    return sequence.incrementAndGet();
  }

  void add(String serviceId, ResolverWatch watch) {
    byService.computeIfAbsent(serviceId, id -> new CopyOnWriteArraySet<>()).add(watch);
  }

  void remove(String serviceId, ResolverWatch watch) {
    byService.computeIfPresent(serviceId, (id, set) -> {
      set.remove(watch);
      return set.isEmpty() ? null : set;
    });
  }

  boolean watched(String serviceId) {
    return !byService.isEmpty() && byService.containsKey(serviceId);
  }

  /** A snapshot applied with {@code sequence}; each watch drops it if it has a newer one. */
  void onSnapshot(ServiceSnapshot snapshot, long sequence) {
    if (byService.isEmpty()) {
      return;
    }
    Set<ResolverWatch> set = byService.get(snapshot.serviceId());
    if (set != null) {
      for (ResolverWatch w : set) {
        w.onSnapshot(snapshot, sequence);
      }
    }
  }

  /** A watched service left the resolver. */
  void onError(String serviceId, DiscoveryException why) {
    Set<ResolverWatch> set = byService.get(serviceId);
    if (set != null) {
      for (ResolverWatch w : set) {
        w.onError(why);
      }
    }
  }
}
