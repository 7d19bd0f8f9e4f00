package dev.lodestar.discovery.marathon;

import java.util.List;

/**
 * One Marathon task as read from an embedded {@code tasks} array or a {@code /v2/tasks} list.
 *
 * @param id the Mesos task id
 * @param appId the app id (for a task read inside an app's {@code tasks} array, that app's id),
 *     or {@code null} in the oldest shapes that omit it
 * @param host the agent host, possibly {@code null} or empty
 * @param state the Mesos state ({@code TASK_RUNNING}, ...), or {@code null} before Marathon 1.2
 * @param ports the host ports
 * @param servicePorts the service ports (only {@code /v2/tasks} fills them)
 * @param ipAddresses the task's container IP addresses, possibly empty
 * @param healthResults how many health-check results the task carries
 * @param aliveResults how many of those are alive
 * @param zone the fault-domain zone (1.6+), or {@code null}
 * @param region the fault-domain region (1.6+), or {@code null}
 */
record MarathonTask(
    String id,
    String appId,
    String host,
    String state,
    int[] ports,
    int[] servicePorts,
    List<String> ipAddresses,
    int healthResults,
    int aliveResults,
    String zone,
    String region) {

  static final String RUNNING = "TASK_RUNNING";

  /** Returns a copy with another state, as an event reported it. */
  MarathonTask withState(String newState) {
    return new MarathonTask(id, appId, host, newState, ports, servicePorts, ipAddresses,
        healthResults, aliveResults, zone, region);
  }

  /** Returns a copy whose health results are replaced by {@code count} results, all alive or not. */
  MarathonTask withResults(int count, boolean alive) {
    return new MarathonTask(id, appId, host, state, ports, servicePorts, ipAddresses, count,
        alive ? count : 0, zone, region);
  }

  /**
   * The Marathon instance id this task belongs to: {@code a.instance-<uuid>._app.1} belongs to
   * {@code a.instance-<uuid>}, and a legacy task {@code a.<uuid>} to {@code a.marathon-<uuid>}.
   */
  static String instanceIdOf(String taskId) {
    int i = taskId.indexOf(".instance-");
    if (i >= 0) {
      int end = taskId.indexOf("._", i + 10);
      return end >= 0 ? taskId.substring(0, end) : taskId;
    }
    int dot = taskId.lastIndexOf('.');
    if (dot > 0 && !taskId.startsWith("marathon-", dot + 1)) {
      return taskId.substring(0, dot) + ".marathon-" + taskId.substring(dot + 1);
    }
    return taskId;
  }
}
