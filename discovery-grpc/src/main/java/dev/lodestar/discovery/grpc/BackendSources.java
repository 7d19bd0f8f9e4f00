package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.spi.ServiceSource;
import java.util.List;

/**
 * Builds the backends' sources. Kept apart from the providers so that loading a provider never
 * links a backend class that may be missing from the class path (both backends are optional).
 */
final class BackendSources {
  private BackendSources() {}

  static ServiceSource marathon(List<String> urls) {
    return MarathonSource.builder().urls(urls.toArray(String[]::new)).build();
  }

  static ServiceSource mesosDns(List<String> servers) {
    return MesosDnsSource.builder().nameServers(servers).build();
  }
}
