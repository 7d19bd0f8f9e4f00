package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.Picker;
import java.util.List;

/**
 * One immutable routing state of a service: the snapshot, the picker built from its routable
 * instances, and why nothing is routable when the picker is null. Swapped atomically by {@link
 * ServiceHolder}; read once per pick.
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
  }

  NoInstanceAvailableException failure() {
    return new NoInstanceAvailableException(snapshot.serviceId(), unavailableReason);
  }
}
