package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.ServiceHandle;
import dev.lodestar.discovery.ServiceResolver;
import java.util.Objects;

/**
 * What a Lodestar name resolution is about: the resolver and a handle on the service (picks
 * through it skip the service-id lookup). Passed from {@link LodestarNameResolver} to {@link
 * LodestarLoadBalancer} in the resolution's attributes.
 */
record LodestarTarget(ServiceResolver resolver, ServiceHandle service) {
  LodestarTarget {
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(service, "service");
  }

  String serviceId() {
    return service.serviceId();
  }
}
