package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.ServiceResolver;
import java.util.Objects;

/**
 * What a Lodestar name resolution is about: the resolver and the service id. Passed from {@link
 * LodestarNameResolver} to {@link LodestarLoadBalancer} in the resolution's attributes.
 */
record LodestarTarget(ServiceResolver resolver, String serviceId) {
  LodestarTarget {
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(serviceId, "serviceId");
  }
}
