package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.Picker;

/**
 * One immutable routing state of a service: the snapshot, the picker built from its routable
 * instances, and why nothing is routable when the picker is null. Swapped atomically by {@link
 * ServiceHolder}; read once per pick.
 */
final class ServiceState {
  final ServiceSnapshot snapshot;
  final Picker picker;
  final int routable;
  final int ejected;
  final boolean panic;
  final String unavailableReason;
  /** When this state must be rebuilt (ejection ends, slow-start step); Long.MAX_VALUE = never. */
  final long rebuildAtNanos;

  ServiceState(
      ServiceSnapshot snapshot, Picker picker, int routable, int ejected, boolean panic,
      String unavailableReason, long rebuildAtNanos) {
    this.snapshot = snapshot;
    this.picker = picker;
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
