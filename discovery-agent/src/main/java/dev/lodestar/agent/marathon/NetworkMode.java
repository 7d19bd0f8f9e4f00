package dev.lodestar.agent.marathon;

/**
 * How a Marathon app is networked; it decides the address and port of each task's port slot.
 *
 * <p>Thread safety: an enum, immutable.
 */
public enum NetworkMode {
  /** The agent's network: a task is reached at {@code task.host} and {@code task.ports[i]}. */
  HOST,
  /**
   * Docker or UCR bridge: {@code task.host} and the host port the mapping allocated; the bridge IP
   * in {@code ipAddresses} is not routable and never used.
   */
  BRIDGE,
  /**
   * IP per task on a virtual network: the task's own IP ({@code ipAddresses[0]}) and the
   * container port, or {@code task.host} and the host port for a mapping that has one.
   */
  CONTAINER
}
