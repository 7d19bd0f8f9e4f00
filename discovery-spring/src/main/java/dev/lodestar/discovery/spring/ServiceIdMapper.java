package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.http.LoadBalancedHttpClient;
import java.net.URI;
import java.util.Map;

/**
 * Maps a Spring Cloud service id (the host of a {@code @LoadBalanced} URL, a {@code
 * DiscoveryClient} argument) to a Lodestar service id: {@code lodestar.services.<name>} when set,
 * else the host read backwards the way Mesos-DNS names Marathon apps ({@code checkout.shop} is
 * {@code /shop/checkout}), the same rule as {@link LoadBalancedHttpClient}.
 *
 * <p>Thread safety: immutable.
 */
public final class ServiceIdMapper {
  private final Map<String, String> explicit;

  /** A mapper over the explicit {@code spring id -> Lodestar id} entries (copied). */
  public ServiceIdMapper(Map<String, String> explicit) {
    this.explicit = Map.copyOf(explicit);
  }

  /**
   * The Lodestar service id for a Spring service id.
   *
   * @throws IllegalArgumentException if the id cannot name a service
   */
  public String toLodestarId(String springServiceId) {
    if (springServiceId == null || springServiceId.isBlank()) {
      throw new IllegalArgumentException("no service id given");
    }
    String mapped = explicit.get(springServiceId);
    if (mapped != null) {
      return mapped;
    }
    if (springServiceId.startsWith("/")) {
      return springServiceId;
    }
    return LoadBalancedHttpClient.serviceIdFromHost(URI.create("http://" + springServiceId + "/"));
  }
}
