package dev.lodestar.discovery;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the resolver currently knows about one service: the snapshot it routes on, how old that
 * snapshot is, which source produced it and the last refresh error.
 *
 * <p>Thread safety: immutable value; a new one is built for every call of {@link
 * ServiceResolver#status(String)}.
 */
public final class ServiceStatus {
  private final ServiceSnapshot snapshot;
  private final Duration age;
  private final int routable;
  private final int ejected;
  private final boolean panic;
  private final Throwable lastError;
  private final List<InstanceStatus> instances;
  private final long picks;

  ServiceStatus(
      ServiceSnapshot snapshot, Duration age, int routable, int ejected, boolean panic,
      Throwable lastError, List<InstanceStatus> instances, long picks) {
    this.snapshot = Objects.requireNonNull(snapshot, "snapshot");
    this.age = Objects.requireNonNull(age, "age");
    this.routable = routable;
    this.ejected = ejected;
    this.panic = panic;
    this.lastError = lastError;
    this.instances = List.copyOf(instances);
    this.picks = picks;
  }

  /** Every instance of the snapshot with its health, ejection state and live feedback. */
  public List<InstanceStatus> instances() {
    return instances;
  }

  /**
   * Picks made for this service since it was cached, or -1 unless {@link
   * ServiceResolver.Builder#recordPicks(boolean)} is on.
   */
  public long picks() {
    return picks;
  }

  /** The service id. */
  public String serviceId() {
    return snapshot.serviceId();
  }

  /** The snapshot picks are made from. */
  public ServiceSnapshot snapshot() {
    return snapshot;
  }

  /** Which source produced the snapshot (e.g. the fallback of a failover source). */
  public String origin() {
    return snapshot.origin();
  }

  /** Time since the snapshot was last confirmed by its source (a refresh or a push). */
  public Duration age() {
    return age;
  }

  /**
   * Instances that are routable on their own merits: not unhealthy by the source and not ejected.
   * In {@link #panic() panic mode} the picker also chooses the others; {@link
   * InstanceStatus#routable()} says per instance what the picker really uses.
   */
  public int routableInstances() {
    return routable;
  }

  /** Instances currently ejected by passive health. */
  public int ejectedInstances() {
    return ejected;
  }

  /** Whether the picker is in panic mode (routing over every instance). */
  public boolean panic() {
    return panic;
  }

  /** The error of the last refresh if it failed and no refresh has succeeded since. */
  public Optional<Throwable> lastError() {
    return Optional.ofNullable(lastError);
  }

  @Override
  public String toString() {
    return "ServiceStatus{" + serviceId() + ", origin=" + origin() + ", age=" + age
        + ", instances=" + snapshot.instances().size() + ", routable=" + routable
        + ", ejected=" + ejected + (panic ? ", PANIC" : "")
        + (picks >= 0 ? ", picks=" + picks : "")
        + (lastError != null ? ", lastError=" + lastError : "") + "}";
  }
}
