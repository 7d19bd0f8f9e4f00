package dev.lodestar.agent.marathon;

import java.util.Objects;

/**
 * One port slot of a Marathon app: a {@code portDefinitions[i]} entry (host networking), a {@code
 * container.portMappings[i]} / {@code container.docker.portMappings[i]} entry (bridge and container
 * networking), a legacy {@code ports[i]} value, or a legacy {@code ipAddress.discovery.ports[i]}
 * entry. The index is what {@code healthChecks[].portIndex} and marathon-lb's {@code HAPROXY_{n}_*}
 * labels refer to.
 *
 * <p>Thread safety: an immutable value.
 *
 * @param index the slot's position, from 0
 * @param port the service (load-balancer) port, or 0 when Marathon assigns none / has not yet
 * @param name the slot name, or {@code null} when it has none
 * @param protocol {@code tcp}, {@code udp} or {@code udp,tcp}; {@code tcp} when not given
 * @param containerPort the container port of a mapping, or 0 ("same as the host port", or no
 *     mapping)
 * @param hostPort whether a task gets a host port for this slot (always for host and bridge
 *     networking; for container networking only when the mapping names a {@code hostPort})
 */
public record ServicePort(int index, int port, String name, String protocol, int containerPort,
    boolean hostPort) {

  /** Validates the ranges; {@code protocol} must not be null. */
  public ServicePort {
    if (index < 0) {
      throw new IllegalArgumentException("index " + index + " < 0");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " outside 0..65535");
    }
    if (containerPort < 0 || containerPort > 65535) {
      throw new IllegalArgumentException("containerPort " + containerPort + " outside 0..65535");
    }
    Objects.requireNonNull(protocol, "protocol == null");
  }

  /** A host-networking slot: a host port per task, no container port. */
  public ServicePort(int index, int port, String name, String protocol) {
    this(index, port, name, protocol, 0, true);
  }

  /** Whether this slot carries TCP traffic ({@code tcp} or {@code udp,tcp}). */
  public boolean isTcp() {
    for (String p : protocol.split(",")) {
      if (p.trim().equalsIgnoreCase("tcp")) {
        return true;
      }
    }
    return false;
  }
}
