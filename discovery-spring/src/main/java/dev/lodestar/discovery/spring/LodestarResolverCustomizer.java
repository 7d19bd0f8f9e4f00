package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.ServiceResolver;

/**
 * Adjusts the {@link ServiceResolver.Builder} of the auto-configured resolver after the {@code
 * lodestar.*} properties have been applied: declare beans of this type to set what properties do
 * not cover (a custom strategy, a listener, an executor).
 *
 * <p>Thread safety: called once, on the thread that creates the resolver bean.
 */
@FunctionalInterface
public interface LodestarResolverCustomizer {
  /** Changes {@code builder} in place. */
  void customize(ServiceResolver.Builder builder);
}
