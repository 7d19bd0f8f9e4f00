package dev.lodestar.discovery;

import dev.lodestar.discovery.internal.Checks;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable list of a service's instances as one source saw them at one moment.
 *
 * <p>Instances are sorted by instance id, so two snapshots with the same content compare equal
 * whatever order the source listed them in. {@link #equals(Object)} compares the service id, the
 * origin and every field of every instance (health included), which lets the resolver drop
 * refreshes that changed nothing.
 *
 * <p>The optional {@link #ttl()} is a hint from the source (a DNS TTL, for example): the resolver
 * refreshes the snapshot before it runs out, capped by its own refresh interval.
 *
 * <p>Thread safety: immutable and safe to share between threads.
 */
public final class ServiceSnapshot {
  private static final Comparator<Instance> BY_INSTANCE_ID =
      Comparator.comparing(Instance::instanceId);

  private final String serviceId;
  private final List<Instance> instances;
  private final String origin;
  private final Duration ttl;

  private ServiceSnapshot(String serviceId, List<Instance> instances, String origin, Duration ttl) {
    this.serviceId = serviceId;
    this.instances = instances;
    this.origin = origin;
    this.ttl = ttl;
  }

  /**
   * Creates a snapshot.
   *
   * @param serviceId the service id the snapshot answers for
   * @param instances the instances; each must belong to {@code serviceId}, instance ids must be
   *     unique
   * @param origin a short description of the source that produced it (e.g. {@code
   *     marathon http://m1:8080}); shown in {@link ServiceStatus} and logs
   * @throws IllegalArgumentException if an instance belongs to another service or an instance id
   *     repeats
   */
  public static ServiceSnapshot of(String serviceId, Collection<Instance> instances, String origin) {
    return of(serviceId, instances, origin, null);
  }

  /**
   * Creates a snapshot with a time-to-live hint.
   *
   * @param ttl how long the data is valid according to the source, or {@code null} for no hint
   * @see #of(String, Collection, String)
   */
  public static ServiceSnapshot of(
      String serviceId, Collection<Instance> instances, String origin, Duration ttl) {
    Instance.requireNonBlank(serviceId, "serviceId");
    Objects.requireNonNull(origin, "origin");
    if (ttl != null) {
      Checks.notNegative(ttl, "ttl");
    }
    Instance[] sorted = instances.toArray(new Instance[0]);
    Arrays.sort(sorted, BY_INSTANCE_ID);
    for (int i = 0; i < sorted.length; i++) {
      Instance instance = sorted[i];
      if (!instance.serviceId().equals(serviceId)) {
        throw new IllegalArgumentException(
            "instance " + instance + " does not belong to service " + serviceId);
      }
      // Sorted by id, so a repeated id is next to its twin: no set needed.
      if (i > 0 && instance.instanceId().equals(sorted[i - 1].instanceId())) {
        throw new IllegalArgumentException(
            "duplicate instance id " + instance.instanceId() + " in service " + serviceId);
      }
    }
    return new ServiceSnapshot(serviceId, List.of(sorted), origin, ttl);
  }

  /** The service id. */
  public String serviceId() {
    return serviceId;
  }

  /** All instances, sorted by instance id, healthy or not; immutable, possibly empty. */
  public List<Instance> instances() {
    return instances;
  }

  /** Which source produced this snapshot. */
  public String origin() {
    return origin;
  }

  /** The source's time-to-live hint, if it gave one. */
  public Optional<Duration> ttl() {
    return Optional.ofNullable(ttl);
  }

  /** Returns the same instances tagged with another origin. */
  public ServiceSnapshot withOrigin(String origin) {
    return new ServiceSnapshot(serviceId, instances, Objects.requireNonNull(origin, "origin"), ttl);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ServiceSnapshot)) {
      return false;
    }
    ServiceSnapshot that = (ServiceSnapshot) o;
    if (!serviceId.equals(that.serviceId)
        || !origin.equals(that.origin)
        || !Objects.equals(ttl, that.ttl)
        || instances.size() != that.instances.size()) {
      return false;
    }
    for (int i = 0; i < instances.size(); i++) {
      if (!instances.get(i).sameAs(that.instances.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Objects.hash(serviceId, origin, instances);
  }

  @Override
  public String toString() {
    return "ServiceSnapshot{" + serviceId + " from " + origin + ", " + instances.size()
        + " instances" + (ttl != null ? ", ttl " + ttl : "") + "}";
  }
}
