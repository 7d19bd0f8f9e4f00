package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.micrometer.LodestarMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Publishes the auto-configured resolver's meters ({@link LodestarMetrics}) to the application's
 * {@link MeterRegistry}: it registers the metrics listener on the resolver's builder and binds the
 * per-service gauges once the resolver exists. Does nothing without a {@code MeterRegistry} bean.
 *
 * <p>Thread safety: used by Spring during start-up only.
 */
final class LodestarMicrometerBinding implements LodestarResolverCustomizer, BeanPostProcessor {
  private final ObjectProvider<MeterRegistry> registries;
  private volatile LodestarMetrics metrics;

  LodestarMicrometerBinding(ObjectProvider<MeterRegistry> registries) {
    this.registries = registries;
  }

  @Override
  public void customize(ServiceResolver.Builder builder) {
    MeterRegistry registry = registries.getIfAvailable();
    if (registry != null) {
      metrics = LodestarMetrics.create(registry);
      builder.listener(metrics);
    }
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    LodestarMetrics m = metrics;
    if (m != null && bean instanceof ServiceResolver) {
      m.bindTo((ServiceResolver) bean);
    }
    return bean;
  }
}
