package dev.lodestar.discovery.spring;

import java.util.Objects;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * Spring Cloud's {@link ReactiveDiscoveryClient}: {@link LodestarDiscoveryClient}'s answers as
 * {@link Flux}es. A lookup may load the service from its source, so it runs on Reactor's
 * bounded-elastic scheduler, never on the subscriber's event loop.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class LodestarReactiveDiscoveryClient implements ReactiveDiscoveryClient {
  private final LodestarDiscoveryClient blocking;

  /** A reactive view of {@code blocking}. */
  public LodestarReactiveDiscoveryClient(LodestarDiscoveryClient blocking) {
    this.blocking = Objects.requireNonNull(blocking, "blocking");
  }

  @Override
  public String description() {
    return blocking.description();
  }

  @Override
  public Flux<ServiceInstance> getInstances(String serviceId) {
    return Flux.defer(() -> Flux.fromIterable(blocking.getInstances(serviceId)))
        .subscribeOn(Schedulers.boundedElastic());
  }

  @Override
  public Flux<String> getServices() {
    return Flux.defer(() -> Flux.fromIterable(blocking.getServices()));
  }
}
