package dev.lodestar.discovery.marathon;

import java.util.List;
import java.util.Map;

/**
 * One Marathon app as read from {@code /v2/apps}: only what discovery needs.
 *
 * @param id the absolute app id, e.g. {@code /group/app}
 * @param labels the app labels
 * @param mode the networking mode, see {@link NetworkMode#of}
 * @param slots the port slots in declaration order (port definitions or port mappings)
 * @param healthChecks how many health checks the app defines
 * @param tasks the embedded tasks; {@code null} when the document carried no {@code tasks} field
 * @param instances the app's target instance count ({@code instances}), 0 when absent
 * @param lastScalingAt {@code versionInfo.lastScalingAt} as Marathon wrote it (ISO-8601), or
 *     {@code ""} when absent
 */
record MarathonApp(
    String id,
    Map<String, String> labels,
    NetworkMode mode,
    List<PortSlot> slots,
    int healthChecks,
    List<MarathonTask> tasks,
    int instances,
    String lastScalingAt) {

  /** Returns a copy with other tasks. */
  MarathonApp withTasks(List<MarathonTask> newTasks) {
    return new MarathonApp(id, labels, mode, slots, healthChecks, newTasks, instances,
        lastScalingAt);
  }

  /**
   * One port slot of an app: a port definition (host networking) or a port mapping (bridge and
   * container networking), or a legacy {@code ipAddress.discovery.ports} entry.
   *
   * @param name the slot name, or {@code null}
   * @param servicePort the service (load-balancer) port, or 0 when none
   * @param hasHostPort whether the slot allocates a host port (always true for host networking)
   * @param containerPort the container port, or 0 when none or "same as host port"
   */
  record PortSlot(String name, int servicePort, boolean hasHostPort, int containerPort) {}
}
