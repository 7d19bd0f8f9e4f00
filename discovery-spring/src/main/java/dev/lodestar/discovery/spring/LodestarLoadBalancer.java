package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.ServiceHandle;
import dev.lodestar.discovery.ServiceResolver;
import java.util.Objects;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Spring Cloud LoadBalancer's choice made by Lodestar: a {@linkplain ServiceHandle#pick() pick}
 * with the resolver's strategy and passive health. Choosing counts nothing: the chosen {@link
 * LodestarServiceInstance} is tracked from the moment Spring starts a call to it ({@link
 * LodestarLoadBalancerLifecycle#onStartRequest}) to its completion, which feeds in-flight counts,
 * latency estimates and ejection. A choice that no call follows (code that calls {@code
 * LoadBalancerClient.choose(serviceId)} and builds its URL by hand) leaves nothing counted.
 *
 * <p>When Lodestar cannot choose, the returned {@code Mono} fails with the library's {@link
 * dev.lodestar.discovery.DiscoveryException} (unknown service, no routable instance, discovery
 * unavailable), so the caller sees Lodestar's message instead of Spring's generic "No instances
 * available". The first request for a service may load it from the source (bounded by the
 * resolver's load timeout); that load runs on Reactor's bounded-elastic scheduler, never on the
 * caller's event loop. Later choices are lock-free and run inline.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class LodestarLoadBalancer implements ReactorServiceInstanceLoadBalancer {
  private final String springServiceId;
  private final String lodestarServiceId;
  private final ServiceResolver resolver;
  private final ServiceHandle service;

  /**
   * A load balancer for one Spring service id.
   *
   * @throws IllegalArgumentException if the id cannot name a service
   */
  public LodestarLoadBalancer(String springServiceId, ServiceResolver resolver, ServiceIdMapper ids) {
    this.springServiceId = Objects.requireNonNull(springServiceId, "springServiceId");
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.lodestarServiceId = ids.toLodestarId(springServiceId);
    this.service = resolver.service(lodestarServiceId);
  }

  @Override
  @SuppressWarnings("rawtypes")
  public Mono<Response<ServiceInstance>> choose(Request request) {
    Mono<Response<ServiceInstance>> choice = Mono.fromCallable(this::chooseNow);
    // A cached service is picked inline; a first load may block, so it leaves the caller's thread.
    return resolver.status(lodestarServiceId).isPresent()
        ? choice
        : choice.subscribeOn(Schedulers.boundedElastic());
  }

  private Response<ServiceInstance> chooseNow() {
    // A pick, not a ticket: Spring may never start a call to the choice.
    return new DefaultResponse(
        new LodestarServiceInstance(springServiceId, service.pick(), resolver, false));
  }

  @Override
  public String toString() {
    return "LodestarLoadBalancer[" + springServiceId + " -> " + lodestarServiceId + "]";
  }
}
