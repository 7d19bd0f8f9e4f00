package dev.lodestar.discovery.spring;

import java.util.List;
import java.util.Objects;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * Spring Cloud LoadBalancer's instance list for one service, from Lodestar: the routable
 * instances of {@link LodestarDiscoveryClient#getInstances(String)}. {@link LodestarLoadBalancer}
 * does not need it (it picks through the resolver); it is there for anything else in the
 * load-balancer context that asks for a supplier (an application's own balancer for one client,
 * for example), so that such code sees Lodestar's health view rather than a second, uncached
 * discovery path. The auto-configuration gives it a discovery client of its own over the
 * resolver, so it is there even with {@code spring.cloud.discovery.enabled=false}.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class LodestarServiceInstanceListSupplier implements ServiceInstanceListSupplier {
  private final String serviceId;
  private final LodestarDiscoveryClient discovery;

  /** A supplier of {@code serviceId}'s routable instances. */
  public LodestarServiceInstanceListSupplier(String serviceId, LodestarDiscoveryClient discovery) {
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
    this.discovery = Objects.requireNonNull(discovery, "discovery");
  }

  @Override
  public String getServiceId() {
    return serviceId;
  }

  @Override
  public Flux<List<ServiceInstance>> get() {
    return Flux.defer(() -> Flux.just(discovery.getInstances(serviceId)))
        .subscribeOn(Schedulers.boundedElastic());
  }
}
