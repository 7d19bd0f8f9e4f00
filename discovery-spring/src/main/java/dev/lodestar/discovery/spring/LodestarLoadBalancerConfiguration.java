package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.ServiceResolver;
import java.util.Set;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The per-client configuration that Spring Cloud LoadBalancer's child contexts get from {@link
 * LodestarAutoConfiguration}: a {@link LodestarLoadBalancer} for the client's service id, over the
 * application's {@link ServiceResolver}, and a {@link LodestarServiceInstanceListSupplier}. Not a
 * component to scan; it is named in {@code @LoadBalancerClients(defaultConfiguration = ...)}.
 *
 * <p>Both beans back off when the client context already has one of their type, as Spring Cloud's
 * own {@code LoadBalancerClientConfiguration} does: a configuration given with {@code
 * @LoadBalancerClient(name = ..., configuration = ...)} is registered first, so the application's
 * own balancer or instance list for that client wins (two balancers would leave Spring with none).
 */
@Configuration(proxyBeanMethods = false)
public class LodestarLoadBalancerConfiguration {

  /** The load balancer of one load-balancer client context. */
  @Bean
  @ConditionalOnMissingBean
  public ReactorLoadBalancer<ServiceInstance> lodestarLoadBalancer(
      Environment environment, ServiceResolver resolver, ServiceIdMapper ids) {
    String name = LoadBalancerClientFactory.getName(environment);
    return new LodestarLoadBalancer(name, resolver, ids);
  }

  /**
   * The instance list of one load-balancer client context, from Lodestar. Built on the resolver
   * itself, not on the {@link LodestarDiscoveryClient} bean, which {@code
   * spring.cloud.discovery.enabled=false} removes while load balancing stays on.
   */
  @Bean
  @ConditionalOnMissingBean
  public ServiceInstanceListSupplier lodestarServiceInstanceListSupplier(
      Environment environment, ServiceResolver resolver, ServiceIdMapper ids) {
    return new LodestarServiceInstanceListSupplier(LoadBalancerClientFactory.getName(environment),
        new LodestarDiscoveryClient(resolver, ids, Set.of()));
  }
}
