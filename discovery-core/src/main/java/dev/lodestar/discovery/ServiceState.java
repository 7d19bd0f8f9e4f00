package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.Picker;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One immutable routing state of a service: the snapshot, the picker built from its routable
 * instances, and why nothing is routable when the picker is null. Swapped atomically by {@link
 * ServiceHolder}; read once per pick. A retired state (the holder was dropped from the cache) has
 * no picker and tells handles to look the service up again.
 */
final class ServiceState {
  final ServiceSnapshot snapshot;
  final Picker picker;
  /** What the picker chooses from (empty when the picker is null). */
  final List<Endpoint> endpoints;
  final int routable;
  final int ejected;
  final boolean panic;
  final String unavailableReason;
  /** When this state must be rebuilt (ejection ends, slow-start step); Long.MAX_VALUE = never. */
  final long rebuildAtNanos;
  /** The holder was dropped from the cache: its picks must go to the current holder instead. */
  final boolean retired;
  /**
   * Thrown by every pick while this state lasts (null when the picker is not null): built once,
   * stackless, so that a caller hammering an empty service costs no stack walks.
   */
  private final NoInstanceAvailableException failure;
  /** Endpoints by instance id, for custom pickers that return their own endpoint objects. */
  private volatile Map<String, EndpointView> byId;

  ServiceState(
      ServiceSnapshot snapshot, Picker picker, List<Endpoint> endpoints, int routable, int ejected,
      boolean panic, String unavailableReason, long rebuildAtNanos) {
    this.snapshot = snapshot;
    this.picker = picker;
    this.endpoints = List.copyOf(endpoints);
    this.routable = routable;
    this.ejected = ejected;
    this.panic = panic;
    this.unavailableReason = unavailableReason;
    this.rebuildAtNanos = rebuildAtNanos;
    this.retired = false;
    this.failure = picker == null
        ? NoInstanceAvailableException.stackless(snapshot.serviceId(), unavailableReason)
        : null;
  }

  private ServiceState(ServiceState last) {
    this.snapshot = last.snapshot;
    this.picker = null;
    this.endpoints = List.of();
    this.routable = 0;
    this.ejected = 0;
    this.panic = false;
    this.unavailableReason = "dropped from the cache";
    this.rebuildAtNanos = Long.MAX_VALUE;
    this.retired = true;
    this.failure = null;
  }

  /** The state a dropped holder keeps: no picker, so every pick takes the slow path. */
  ServiceState retire() {
    return new ServiceState(this);
  }

  /** Why this state cannot pick (only when {@link #picker} is null and not retired). */
  NoInstanceAvailableException failure() {
    return failure;
  }

  /**
   * The resolver's endpoint for an instance id in this state's picker set, or null: found
   * lock-free through an immutable index built on first use (only custom pickers that return
   * their own endpoint objects, and {@code track(id, instance)}, need it).
   */
  EndpointView endpointOf(String instanceId) {
    Map<String, EndpointView> index = byId;
    if (index == null) {
      Map<String, EndpointView> built = new HashMap<>();
      for (Endpoint e : endpoints) {
        EndpointView v = (EndpointView) e;
        built.put(v.instance.instanceId(), v);
      }
      byId = index = Map.copyOf(built);
    }
    return index.get(instanceId);
  }
}
