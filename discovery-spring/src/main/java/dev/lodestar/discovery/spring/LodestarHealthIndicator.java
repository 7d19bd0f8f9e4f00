package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The resolver's state on Spring Boot's health endpoint (component {@code lodestar}).
 *
 * <p>UP while every cached service has at least one routable instance (or nothing is cached yet);
 * DOWN, naming the services, when a cached service has none. Details per service: routable,
 * ejected and listed instances, panic, the snapshot's origin and age, and the last refresh error.
 * It reads the resolver's status only: it never loads a service or calls a source.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class LodestarHealthIndicator implements HealthIndicator {
  private final ServiceResolver resolver;

  /** An indicator over {@code resolver}. */
  public LodestarHealthIndicator(ServiceResolver resolver) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
  }

  @Override
  public Health health() {
    List<ServiceStatus> statuses = resolver.statuses();
    Map<String, Object> services = new LinkedHashMap<>();
    StringBuilder unroutable = new StringBuilder();
    for (ServiceStatus s : statuses) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("routable", s.routableInstances());
      d.put("ejected", s.ejectedInstances());
      d.put("instances", s.instances().size());
      d.put("panic", s.panic());
      d.put("origin", s.origin());
      d.put("ageMillis", s.age().toMillis());
      s.lastError().ifPresent(e -> d.put("lastError", String.valueOf(e.getMessage())));
      services.put(s.serviceId(), d);
      if (s.routableInstances() == 0) {
        unroutable.append(unroutable.length() == 0 ? "" : ", ").append(s.serviceId());
      }
    }
    Health.Builder health = unroutable.length() == 0 ? Health.up() : Health.down();
    if (unroutable.length() > 0) {
      health.withDetail("unroutable", unroutable.toString());
    }
    return health.withDetail("services", services).build();
  }
}
