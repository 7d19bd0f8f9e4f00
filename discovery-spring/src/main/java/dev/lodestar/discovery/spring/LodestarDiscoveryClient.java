package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.InstanceStatus;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.UnknownServiceException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;

/**
 * Spring Cloud's {@link DiscoveryClient} over a {@link ServiceResolver}.
 *
 * <p>{@link #getInstances(String)} loads the service if needed and lists its <em>routable</em>
 * instances (healthy and not ejected; every instance in panic mode), so that callers that pick for
 * themselves get Lodestar's health view. An unknown service, and a Spring id that names no
 * Lodestar service (one that is not a host name, such as {@code my_service}), give an empty list,
 * as Spring's contract expects; other discovery failures are thrown as Lodestar's {@link
 * dev.lodestar.discovery.DiscoveryException}.
 *
 * <p>{@link #getServices()} lists the Spring ids configured in {@code lodestar.services} plus the
 * services the resolver has cached (as Lodestar ids): Lodestar discovers per service on demand and
 * does not read the whole cluster.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class LodestarDiscoveryClient implements DiscoveryClient {
  private final ServiceResolver resolver;
  private final ServiceIdMapper ids;
  private final Set<String> configured;

  /** A client over {@code resolver}; {@code configured} are the ids of {@code lodestar.services}. */
  public LodestarDiscoveryClient(ServiceResolver resolver, ServiceIdMapper ids, Set<String> configured) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.ids = Objects.requireNonNull(ids, "ids");
    this.configured = Set.copyOf(configured);
  }

  @Override
  public String description() {
    return "Lodestar (" + resolver + ")";
  }

  @Override
  public List<ServiceInstance> getInstances(String serviceId) {
    String id;
    try {
      id = ids.toLodestarId(serviceId);
      resolver.instances(id); // loads the service if it is not cached yet
    } catch (UnknownServiceException | IllegalArgumentException e) {
      // Unknown, or an id that names no Lodestar service (not a host name, an invalid id): for
      // Spring both are a service this client does not know, so a composite asks the others.
      return List.of();
    }
    List<ServiceInstance> out = new ArrayList<>();
    ServiceStatus status = resolver.status(id).orElse(null);
    if (status != null) {
      for (InstanceStatus s : status.instances()) {
        if (s.routable()) {
          out.add(new LodestarServiceInstance(serviceId, s.instance(), null, false));
        }
      }
    }
    return out;
  }

  @Override
  public List<String> getServices() {
    Set<String> all = new LinkedHashSet<>(configured);
    all.addAll(resolver.cachedServices());
    return new ArrayList<>(all);
  }

  @Override
  public void probe() {
    resolver.statuses();
  }
}
