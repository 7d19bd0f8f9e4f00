package dev.lodestar.discovery.source;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A source whose instance lists are set in code: for tests, demos and fixed topologies.
 *
 * <p>{@link #set(String, Collection)} replaces a service's instances and pushes the new snapshot
 * to the resolver at once; {@link #remove(String)} makes the service unknown.
 *
 * <p>Thread safety: safe for concurrent use; updates are pushed in the order they were made
 * (calls are serialized on this source).
 */
public final class StaticSource implements ServiceSource {
  private final String name;
  private final Map<String, ServiceSnapshot> services = new ConcurrentHashMap<>();
  private volatile SnapshotListener listener = new SnapshotListener() {};

  private StaticSource(String name) {
    this.name = name;
  }

  /** Creates an empty source named {@code static}. */
  public static StaticSource create() {
    return new StaticSource("static");
  }

  /** Creates an empty source with a name that shows as the snapshots' origin. */
  public static StaticSource named(String name) {
    return new StaticSource(Objects.requireNonNull(name, "name"));
  }

  /**
   * Replaces the instances of a service and pushes the change.
   *
   * @throws IllegalArgumentException if an instance belongs to another service or ids repeat
   */
  public synchronized StaticSource set(String serviceId, Collection<Instance> instances) {
    ServiceSnapshot snapshot = ServiceSnapshot.of(serviceId, instances, name);
    services.put(serviceId, snapshot);
    listener.onSnapshot(snapshot);
    return this;
  }

  /** Varargs form of {@link #set(String, Collection)}. */
  public StaticSource set(String serviceId, Instance... instances) {
    return set(serviceId, List.of(instances));
  }

  /** Removes a service and pushes the removal. */
  public synchronized StaticSource remove(String serviceId) {
    if (services.remove(serviceId) != null) {
      listener.onRemoved(serviceId);
    }
    return this;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletableFuture<ServiceSnapshot> load(String serviceId) {
    ServiceSnapshot snapshot = services.get(serviceId);
    if (snapshot == null) {
      return CompletableFuture.failedFuture(
          new UnknownServiceException(serviceId, "not defined in static source " + name));
    }
    return CompletableFuture.completedFuture(snapshot);
  }

  @Override
  public void start(SnapshotListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public String toString() {
    return "StaticSource{" + name + ", services=" + services.keySet() + "}";
  }
}
