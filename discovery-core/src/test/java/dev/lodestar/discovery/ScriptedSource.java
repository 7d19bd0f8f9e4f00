package dev.lodestar.discovery;

import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A source whose answers the test scripts: a snapshot, a failure, or a load left pending until
 * the test completes it. Counts loads so tests can see refreshes happen.
 */
class ScriptedSource implements ServiceSource {
  private final Map<String, ServiceSnapshot> snapshots = new ConcurrentHashMap<>();
  private final Map<String, Throwable> failures = new ConcurrentHashMap<>();
  final List<CompletableFuture<ServiceSnapshot>> pending = new CopyOnWriteArrayList<>();
  final AtomicInteger loads = new AtomicInteger();
  volatile boolean holdLoads;
  volatile SnapshotListener listener;
  volatile boolean closed;
  volatile boolean keepsFresh;
  final List<String> forgotten = new CopyOnWriteArrayList<>();

  ScriptedSource answer(String serviceId, List<Instance> instances) {
    snapshots.put(serviceId, ServiceSnapshot.of(serviceId, instances, "scripted"));
    failures.remove(serviceId);
    return this;
  }

  ScriptedSource answer(ServiceSnapshot snapshot) {
    snapshots.put(snapshot.serviceId(), snapshot);
    failures.remove(snapshot.serviceId());
    return this;
  }

  ScriptedSource fail(String serviceId, Throwable error) {
    failures.put(serviceId, error);
    return this;
  }

  @Override
  public String name() {
    return "scripted";
  }

  @Override
  public CompletableFuture<ServiceSnapshot> load(String serviceId) {
    loads.incrementAndGet();
    if (holdLoads) {
      CompletableFuture<ServiceSnapshot> future = new CompletableFuture<>();
      pending.add(future);
      return future;
    }
    Throwable failure = failures.get(serviceId);
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    ServiceSnapshot snapshot = snapshots.get(serviceId);
    if (snapshot == null) {
      return CompletableFuture.failedFuture(new UnknownServiceException(serviceId, "not scripted"));
    }
    return CompletableFuture.completedFuture(snapshot);
  }

  @Override
  public void start(SnapshotListener listener) {
    this.listener = listener;
  }

  @Override
  public boolean keepsSnapshotsFresh() {
    return keepsFresh;
  }

  @Override
  public void forget(String serviceId) {
    forgotten.add(serviceId);
  }

  @Override
  public void close() {
    closed = true;
  }
}
