package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.Selection;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.cloud.client.loadbalancer.reactive.LoadBalancerClientRequestTransformer;
import org.springframework.context.ApplicationContext;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * Ends the tracking of a {@code @LoadBalanced} WebClient call that is cancelled before its
 * response arrives ({@code timeout()}, a disposed subscription, a cancelled {@code zip}). Spring
 * Cloud's load-balancer exchange filter starts the call ({@link
 * LodestarLoadBalancerLifecycle#onStartRequest}) but completes it only on a response or an error,
 * never on a cancellation, which would leave the call counted in flight for good.
 *
 * <p>Two parts, both registered by {@link LodestarAutoConfiguration} when WebFlux is on the class
 * path: a {@link LoadBalancerClientRequestTransformer} (Spring's hook that sees the chosen
 * instance) puts a Lodestar choice on the rewritten request as the {@link #INSTANCE_ATTRIBUTE}
 * attribute, and an {@link ExchangeFilterFunction}, added to every {@code @LoadBalanced} {@link
 * WebClient.Builder} bean after Spring's load-balancer filter (so it sees the rewritten request),
 * releases that choice's ticket with no verdict when the exchange is cancelled. A call that
 * completed first has already been reported and its ticket taken, so a late cancellation changes
 * nothing.
 *
 * <p>Limits: only {@code WebClient.Builder} beans marked {@code @LoadBalanced} get the filter; a
 * builder made otherwise (or configured by Spring's HTTP service groups) and given Spring's
 * load-balancer filter by hand needs {@link #cancellationFilter()} added after it. Cancelling once
 * the response has arrived, while the body is read, changes nothing: Spring reported the call as
 * completed when the response arrived.
 *
 * <p>Thread safety: stateless; safe for concurrent use.
 */
public final class LodestarWebClientSupport {
  /** The request attribute holding the {@link LodestarServiceInstance} a request goes to. */
  public static final String INSTANCE_ATTRIBUTE = LodestarServiceInstance.class.getName();

  private LodestarWebClientSupport() {}

  /** The transformer that puts a Lodestar choice on the load-balanced request. */
  public static LoadBalancerClientRequestTransformer requestTransformer() {
    return new Tagging();
  }

  /**
   * The filter that releases a cancelled call's ticket; it must come after Spring's load-balancer
   * filter in the builder's filter list.
   */
  public static ExchangeFilterFunction cancellationFilter() {
    return new ReleaseOnCancel();
  }

  private static final class Tagging implements LoadBalancerClientRequestTransformer {
    @Override
    public ClientRequest transformRequest(ClientRequest request, ServiceInstance instance) {
      if (!(instance instanceof LodestarServiceInstance)) {
        return request;
      }
      return ClientRequest.from(request).attribute(INSTANCE_ATTRIBUTE, instance).build();
    }

    @Override
    public String toString() {
      return "LodestarWebClientSupport.requestTransformer()";
    }
  }

  private static final class ReleaseOnCancel implements ExchangeFilterFunction {
    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
      Object chosen = request.attribute(INSTANCE_ATTRIBUTE).orElse(null);
      if (!(chosen instanceof LodestarServiceInstance)) {
        return next.exchange(request);
      }
      LodestarServiceInstance instance = (LodestarServiceInstance) chosen;
      return next.exchange(request).doOnCancel(() -> {
        Selection selection = instance.endCall();
        if (selection != null) {
          selection.release(); // cancelled: says nothing about the instance
        }
      });
    }

    @Override
    public String toString() {
      return "LodestarWebClientSupport.cancellationFilter()";
    }
  }

  /**
   * Adds {@link #cancellationFilter()} to {@code @LoadBalanced} {@link WebClient.Builder} beans.
   * After initialization: Spring Cloud adds its load-balancer filter before initialization, so
   * this one comes after it, nearer the exchange.
   */
  static final class BuilderPostProcessor implements BeanPostProcessor {
    private final ApplicationContext context;

    BuilderPostProcessor(ApplicationContext context) {
      this.context = context;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
      if (bean instanceof WebClient.Builder
          && context.containsBeanDefinition(beanName)
          && context.findAnnotationOnBean(beanName, LoadBalanced.class) != null) {
        ((WebClient.Builder) bean).filter(cancellationFilter());
      }
      return bean;
    }
  }
}
