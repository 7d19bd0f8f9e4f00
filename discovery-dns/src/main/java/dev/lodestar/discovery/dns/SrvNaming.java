package dev.lodestar.discovery.dns;

import dev.lodestar.discovery.UnknownServiceException;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Turns a service id into the SRV name Mesos-DNS publishes for it; shared by {@link
 * MesosDnsSource} and {@link MesosDnsHttpSource}. See {@link MesosDnsSource} for the rules.
 *
 * <p>Thread safety: immutable.
 */
final class SrvNaming {
  private final String domain;
  private final String framework;
  private final MesosDnsSource.Protocol protocol;
  private final MesosDnsSource.Naming naming;
  private final MesosDnsSource.Addressing addressing;
  private final String portName;

  SrvNaming(
      String domain,
      String framework,
      MesosDnsSource.Protocol protocol,
      MesosDnsSource.Naming naming,
      MesosDnsSource.Addressing addressing,
      String portName) {
    this.domain = domain;
    this.framework = Labels.domainFragment(framework, naming);
    this.protocol = protocol;
    this.naming = naming;
    this.addressing = addressing;
    this.portName = portName;
  }

  static boolean isRaw(String serviceId) {
    return serviceId.trim().startsWith("_");
  }

  /** The port name to record on instances of {@code serviceId}, or null. */
  String portNameFor(String serviceId) {
    return isRaw(serviceId) ? null : portName;
  }

  /**
   * The SRV name asked for a service id, with its trailing dot.
   *
   * @throws UnknownServiceException if a Marathon id mangles to an empty label
   */
  String srvName(String serviceId) {
    String id = serviceId.trim();
    if (isRaw(id)) {
      return id.endsWith(".") ? id : id + ".";
    }
    String task = Labels.label(Labels.marathonTaskName(id), naming);
    if (task.isEmpty()) {
      throw new UnknownServiceException(serviceId, "the id has no Mesos-DNS name");
    }
    StringBuilder sb = new StringBuilder();
    if (portName != null) {
      sb.append('_').append(Labels.label(portName, naming)).append('.');
    }
    sb.append('_').append(task)
        .append("._").append(protocol == MesosDnsSource.Protocol.UDP ? "udp" : "tcp")
        .append('.').append(framework)
        .append(addressing == MesosDnsSource.Addressing.AGENT ? ".slave." : ".")
        .append(domain).append('.');
    return sb.toString();
  }

  /**
   * The SRV name of {@link #srvName} as a DNS name to query.
   *
   * @throws UnknownServiceException if it is not a valid DNS name
   */
  Name queryName(String serviceId) {
    String srvName = srvName(serviceId);
    try {
      return Name.fromString(srvName, Name.root);
    } catch (TextParseException e) {
      throw new UnknownServiceException(serviceId, "not a valid DNS name: " + e.getMessage());
    }
  }

  /**
   * The SRV name of {@link #srvName} for a URL path (Mesos-DNS's HTTP API): letters, digits,
   * dots, underscores and hyphens only.
   *
   * @throws UnknownServiceException otherwise
   */
  String pathName(String serviceId) {
    String srvName = srvName(serviceId);
    if (!srvName.matches("[A-Za-z0-9._-]+")) {
      throw new UnknownServiceException(serviceId, "'" + srvName + "' is not a DNS name");
    }
    return srvName;
  }
}
