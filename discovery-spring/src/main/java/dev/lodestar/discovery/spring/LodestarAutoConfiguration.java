package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.spi.ServiceSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.cloud.client.loadbalancer.reactive.LoadBalancerClientRequestTransformer;
import org.springframework.cloud.loadbalancer.annotation.LoadBalancerClients;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ConfigurationCondition;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Spring Boot auto-configuration of Lodestar: a {@link ServiceResolver} bean built from {@link
 * LodestarProperties} (or from a {@link ServiceSource} bean you declare), a Spring Cloud {@link
 * DiscoveryClient} and {@link ReactiveDiscoveryClient}, Spring Cloud LoadBalancer choosing through
 * Lodestar for every {@code @LoadBalanced} client with outcomes fed back ({@link
 * LodestarLoadBalancerLifecycle}), an actuator health indicator and Micrometer meters when those
 * are on the class path.
 *
 * <p>Nothing is created unless {@code lodestar.marathon.urls} or {@code lodestar.dns.servers} is
 * set or a {@code ServiceSource} or {@code ServiceResolver} bean exists; {@code lodestar.enabled=false} turns it all off.
 * Every bean backs off when the application declares its own of the same type.
 */
@AutoConfiguration(
    beforeName = {
      "org.springframework.cloud.client.discovery.simple.SimpleDiscoveryClientAutoConfiguration",
      "org.springframework.cloud.client.discovery.simple.reactive.SimpleReactiveDiscoveryClientAutoConfiguration",
      "org.springframework.cloud.loadbalancer.config.LoadBalancerAutoConfiguration",
      "org.springframework.cloud.loadbalancer.config.BlockingLoadBalancerClientAutoConfiguration"
    })
@ConditionalOnProperty(prefix = "lodestar", name = "enabled", havingValue = "true", matchIfMissing = true)
@Conditional(LodestarAutoConfiguration.BackendConfigured.class)
@EnableConfigurationProperties(LodestarProperties.class)
public class LodestarAutoConfiguration {

  /** The Spring-to-Lodestar service id mapping ({@code lodestar.services}). */
  @Bean
  @ConditionalOnMissingBean
  public ServiceIdMapper lodestarServiceIdMapper(LodestarProperties properties) {
    return new ServiceIdMapper(properties.getServices());
  }

  /** The resolver; Spring closes it (and its source) when the context closes. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public ServiceResolver lodestarServiceResolver(
      LodestarProperties properties,
      ObjectProvider<ServiceSource> sources,
      ObjectProvider<LodestarResolverCustomizer> customizers) {
    ServiceSource source = sources.getIfAvailable(() -> LodestarSources.source(properties));
    ServiceResolver.Builder b = ServiceResolver.builder()
        .source(source)
        .strategy(LodestarSources.strategy(properties.getStrategy()))
        .healthPolicy(LodestarSources.healthPolicy(properties.getHealth()));
    if (properties.getRefreshInterval() != null) {
      b.refreshInterval(properties.getRefreshInterval());
    }
    if (properties.getLoadTimeout() != null) {
      b.loadTimeout(properties.getLoadTimeout());
    }
    if (properties.getIdleExpiry() != null) {
      b.idleExpiry(properties.getIdleExpiry());
    }
    if (properties.getUnknownServiceGrace() != null) {
      b.unknownServiceGrace(properties.getUnknownServiceGrace());
    }
    if (properties.getMaxAttempts() != null) {
      b.maxAttempts(properties.getMaxAttempts());
    }
    customizers.orderedStream().forEach(c -> c.customize(b));
    return b.build();
  }

  /** Spring Cloud's blocking discovery client. */
  @Bean
  @ConditionalOnMissingBean(LodestarDiscoveryClient.class)
  @ConditionalOnProperty(value = "spring.cloud.discovery.enabled", matchIfMissing = true)
  public LodestarDiscoveryClient lodestarDiscoveryClient(
      ServiceResolver resolver, ServiceIdMapper ids, LodestarProperties properties) {
    return new LodestarDiscoveryClient(resolver, ids, properties.getServices().keySet());
  }

  /** Spring Cloud's reactive discovery client (when Reactor is on the class path). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "reactor.core.publisher.Flux")
  @ConditionalOnProperty(value = "spring.cloud.discovery.reactive.enabled", matchIfMissing = true)
  static class Reactive {
    @Bean
    @ConditionalOnMissingBean(LodestarReactiveDiscoveryClient.class)
    LodestarReactiveDiscoveryClient lodestarReactiveDiscoveryClient(
        ServiceResolver resolver, ServiceIdMapper ids, LodestarProperties properties) {
      return new LodestarReactiveDiscoveryClient(
          new LodestarDiscoveryClient(resolver, ids, properties.getServices().keySet()));
    }
  }

  /**
   * Spring Cloud LoadBalancer through Lodestar: every load-balancer client context gets a {@link
   * LodestarLoadBalancer} ({@link LodestarLoadBalancerConfiguration}), and the lifecycle bean
   * reports outcomes.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer",
        "org.springframework.http.client.ClientHttpResponse"
      })
  @ConditionalOnProperty(prefix = "lodestar.loadbalancer", name = "enabled", matchIfMissing = true)
  @LoadBalancerClients(defaultConfiguration = LodestarLoadBalancerConfiguration.class)
  static class LoadBalancing {
    @Bean
    @ConditionalOnMissingBean
    LodestarLoadBalancerLifecycle lodestarLoadBalancerLifecycle(LodestarProperties properties) {
      return new LodestarLoadBalancerLifecycle(properties.getLoadbalancer().isServerErrorIsFailure());
    }

    /**
     * WebClient calls cancelled before their response are counted out ({@link
     * LodestarWebClientSupport}); Spring's load-balancer filter never reports them.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.web.reactive.function.client.WebClient")
    static class WebClientCancellation {
      // Static: a BeanPostProcessor must not need its configuration class instantiated first.
      @Bean
      static LodestarWebClientSupport.BuilderPostProcessor lodestarWebClientBuilderPostProcessor(
          ApplicationContext context) {
        return new LodestarWebClientSupport.BuilderPostProcessor(context);
      }

      @Bean
      LoadBalancerClientRequestTransformer lodestarRequestTransformer() {
        return LodestarWebClientSupport.requestTransformer();
      }
    }
  }

  /**
   * The actuator health indicator, as the {@code lodestar} component; off with {@code
   * management.health.lodestar.enabled=false}, as every Spring Boot indicator.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class HealthIndicatorConfiguration {
    @Bean(name = "lodestarHealthIndicator")
    @ConditionalOnMissingBean(name = "lodestarHealthIndicator")
    @ConditionalOnEnabledHealthIndicator("lodestar")
    LodestarHealthIndicator lodestarHealthIndicator(ServiceResolver resolver) {
      return new LodestarHealthIndicator(resolver);
    }
  }

  /** Micrometer meters (discovery-micrometer and a MeterRegistry bean needed). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "dev.lodestar.discovery.micrometer.LodestarMetrics",
        "io.micrometer.core.instrument.MeterRegistry"
      })
  static class Metrics {
    // Static: a BeanPostProcessor must not need its configuration class instantiated first.
    @Bean
    static LodestarMicrometerBinding lodestarMicrometerBinding(
        ObjectProvider<io.micrometer.core.instrument.MeterRegistry> registries) {
      return new LodestarMicrometerBinding(registries);
    }
  }

  /**
   * True when a backend is configured by properties or a {@code ServiceSource} or {@code
   * ServiceResolver} bean exists (auto-configuration runs after the application's own beans are
   * registered, so those are visible here).
   */
  static final class BackendConfigured extends SpringBootCondition
      implements ConfigurationCondition {
    @Override
    public ConfigurationPhase getConfigurationPhase() {
      // Bean phase: the application's own @Bean methods are registered by then.
      return ConfigurationPhase.REGISTER_BEAN;
    }

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      Binder binder = Binder.get(context.getEnvironment());
      boolean marathon = binder.bind("lodestar.marathon.urls", Bindable.listOf(String.class))
          .map(l -> !l.isEmpty()).orElse(false);
      boolean dns = binder.bind("lodestar.dns.servers", Bindable.listOf(String.class))
          .map(l -> !l.isEmpty()).orElse(false);
      boolean sourceBean = context.getBeanFactory() != null
          && (context.getBeanFactory().getBeanNamesForType(ServiceSource.class, true, false).length > 0
              || context.getBeanFactory().getBeanNamesForType(ServiceResolver.class, true, false).length > 0);
      if (marathon || dns || sourceBean) {
        return ConditionOutcome.match("Lodestar backend: marathon=" + marathon + " dns=" + dns
            + " beans=" + sourceBean);
      }
      return ConditionOutcome.noMatch(
          "no lodestar.marathon.urls, no lodestar.dns.servers, no ServiceSource or ServiceResolver bean");
    }
  }
}
