package dev.lodestar.discovery.marathon;

/**
 * How a Marathon app is networked, which decides the address and port of each task (see the
 * Marathon networking docs and marathon-lb's {@code get_app_networking_mode}).
 */
enum NetworkMode {
  /** The task uses the agent's network: {@code task.host} and {@code ports[i]}. */
  HOST,
  /** Docker/UCR bridge: {@code task.host} and the host port of the mapping; never the bridge IP. */
  BRIDGE,
  /** IP per task on a virtual network: the task's own IP and the container port. */
  CONTAINER;

  /**
   * Resolves the mode the way marathon-lb does: a legacy {@code ipAddress} means container, a
   * Docker {@code network} of {@code USER} or {@code BRIDGE} overrides that, and 1.5+ {@code
   * networks[].mode} (the last one; a network without mode is a container network) wins.
   */
  static NetworkMode of(boolean legacyIpAddress, String dockerNetwork, String lastNetworksMode) {
    NetworkMode mode = legacyIpAddress ? CONTAINER : HOST;
    if ("USER".equals(dockerNetwork)) {
      mode = CONTAINER;
    } else if ("BRIDGE".equals(dockerNetwork)) {
      mode = BRIDGE;
    }
    if (lastNetworksMode != null) {
      switch (lastNetworksMode) {
        case "host":
          mode = HOST;
          break;
        case "container/bridge":
          mode = BRIDGE;
          break;
        default:
          mode = CONTAINER;
      }
    }
    return mode;
  }
}
