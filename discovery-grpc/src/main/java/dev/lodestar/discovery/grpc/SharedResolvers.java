package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.spi.ServiceSource;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The resolvers that the {@code ServiceLoader} providers create: one per backend address list,
 * made on first use and shared by every channel of the JVM. They live as long as the JVM (their
 * threads are daemons); an application that wants to control a resolver's life registers its own
 * with {@link LodestarNameResolverProvider#of}.
 *
 * <p>Thread safety: a concurrent map; each resolver is built once.
 */
final class SharedResolvers {
  private static final ConcurrentHashMap<String, ServiceResolver> RESOLVERS = new ConcurrentHashMap<>();

  private SharedResolvers() {}

  static ServiceResolver get(String key, Supplier<ServiceSource> source) {
    return RESOLVERS.computeIfAbsent(key, k -> ServiceResolver.builder().source(source.get()).build());
  }

  /**
   * The backend addresses for a target: its authority when it has one, else the system property,
   * else the environment variable, split at commas.
   *
   * @throws IllegalArgumentException when none of them is set
   */
  static List<String> addresses(String authority, String property, String env, String scheme) {
    String value = authority != null && !authority.isEmpty() ? authority : System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(env);
    }
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("no backend for " + scheme + ": targets: " + scheme
          + "://<host:port>/<app id>, or set -D" + property + " or " + env);
    }
    return List.of(value.trim().split("\\s*,\\s*"));
  }
}
