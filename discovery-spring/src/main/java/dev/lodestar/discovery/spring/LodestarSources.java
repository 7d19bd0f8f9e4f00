package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.source.FailoverSource;
import dev.lodestar.discovery.spi.ServiceSource;
import org.springframework.util.ClassUtils;

/**
 * Turns {@link LodestarProperties} into the library's objects: the source (Marathon, Mesos-DNS,
 * or Marathon with Mesos-DNS as fallback), the strategy and the health policy.
 */
final class LodestarSources {
  private static final String MARATHON = "dev.lodestar.discovery.marathon.MarathonSource";
  private static final String DNS = "dev.lodestar.discovery.dns.MesosDnsSource";

  private LodestarSources() {}

  /** Whether the properties name a backend: a Marathon URL or a DNS server. */
  static boolean configured(LodestarProperties p) {
    return !p.getMarathon().getUrls().isEmpty() || !p.getDns().getServers().isEmpty();
  }

  /**
   * The source the properties describe. Both backends set: Marathon first, Mesos-DNS while
   * Marathon cannot answer ({@link FailoverSource}).
   *
   * @throws IllegalStateException if no backend is set or its module is not on the class path
   */
  static ServiceSource source(LodestarProperties p) {
    ServiceSource marathon = p.getMarathon().getUrls().isEmpty() ? null : marathon(p.getMarathon());
    ServiceSource dns = p.getDns().getServers().isEmpty() ? null : dns(p.getDns());
    if (marathon != null && dns != null) {
      return FailoverSource.of(marathon, dns);
    }
    if (marathon != null) {
      return marathon;
    }
    if (dns != null) {
      return dns;
    }
    throw new IllegalStateException(
        "Lodestar has no backend: set lodestar.marathon.urls or lodestar.dns.servers, "
            + "or define a ServiceSource bean");
  }

  private static ServiceSource marathon(LodestarProperties.Marathon m) {
    requireClass(MARATHON, "lodestar.marathon.urls", "discovery-marathon");
    MarathonSource.Builder b = MarathonSource.builder().urls(m.getUrls().toArray(String[]::new));
    if (m.getUsername() != null) {
      b.basicAuth(m.getUsername(), m.getPassword() == null ? "" : m.getPassword());
    }
    if (m.getDcosToken() != null) {
      b.dcosToken(m.getDcosToken());
    }
    if (m.getEventStream() != null) {
      b.eventStream(m.getEventStream());
    }
    if (m.getPollInterval() != null) {
      b.pollInterval(m.getPollInterval());
    }
    if (m.getPortIndex() != null) {
      b.portIndex(m.getPortIndex());
    }
    if (m.getPortName() != null) {
      b.portName(m.getPortName());
    }
    if (m.getConnectTimeout() != null) {
      b.connectTimeout(m.getConnectTimeout());
    }
    if (m.getRequestTimeout() != null) {
      b.requestTimeout(m.getRequestTimeout());
    }
    return b.build();
  }

  private static ServiceSource dns(LodestarProperties.Dns d) {
    requireClass(DNS, "lodestar.dns.servers", "discovery-dns");
    MesosDnsSource.Builder b = MesosDnsSource.builder().nameServers(d.getServers());
    if (d.getDomain() != null) {
      b.domain(d.getDomain());
    }
    if (d.getFramework() != null) {
      b.framework(d.getFramework());
    }
    if (d.getPortName() != null) {
      // Mesos-DNS publishes named ports only under the task form (_name._task._tcp.fw.domain.),
      // and the builder refuses a port name with agent addressing.
      b.addressing(MesosDnsSource.Addressing.TASK).portName(d.getPortName());
    }
    if (d.getTimeout() != null) {
      b.timeout(d.getTimeout());
    }
    return b.build();
  }

  private static void requireClass(String className, String property, String module) {
    if (!ClassUtils.isPresent(className, LodestarSources.class.getClassLoader())) {
      throw new IllegalStateException(
          property + " is set but " + module + " is not on the class path: add the dependency "
              + "dev.lodestar:" + module);
    }
  }

  /**
   * The strategy named by {@code lodestar.strategy}.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  static LoadBalancingStrategy strategy(String name) {
    try {
      return LoadBalancingStrategy.named(name == null ? "round-robin" : name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("lodestar.strategy: " + e.getMessage(), e);
    }
  }

  /** The health policy: the library's defaults with whatever {@code lodestar.health.*} sets. */
  static HealthPolicy healthPolicy(LodestarProperties.Health h) {
    HealthPolicy.Builder b = HealthPolicy.custom();
    if (h.getConsecutiveFailures() != null) {
      b.consecutiveFailures(h.getConsecutiveFailures());
    }
    if (h.getEjectOnConnectionRefused() != null) {
      b.ejectOnConnectionRefused(h.getEjectOnConnectionRefused());
    }
    if (h.getBaseEjectionTime() != null) {
      b.baseEjectionTime(h.getBaseEjectionTime());
    }
    if (h.getMaxEjectionTime() != null) {
      b.maxEjectionTime(h.getMaxEjectionTime());
    }
    if (h.getMaxEjectionPercent() != null) {
      b.maxEjectionPercent(h.getMaxEjectionPercent());
    }
    if (h.getSlowStartWindow() != null) {
      b.slowStartWindow(h.getSlowStartWindow());
    }
    return b.build();
  }
}
