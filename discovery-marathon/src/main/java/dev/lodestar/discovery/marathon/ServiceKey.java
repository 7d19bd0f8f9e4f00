package dev.lodestar.discovery.marathon;

/**
 * A parsed service id: a Marathon app id ({@code /group/app}; {@code group/app} is accepted and
 * normalized) or a service port ({@code port:10000}).
 *
 * @param appId the normalized app id, or {@code null} for a port key
 * @param port the service port, or 0 for an app key
 */
record ServiceKey(String appId, int port) {
  static final String PORT_PREFIX = "port:";

  /**
   * Parses a service id.
   *
   * @throws IllegalArgumentException for a malformed port or app id, with a message for the caller
   */
  static ServiceKey of(String serviceId) {
    String id = serviceId.trim();
    if (id.startsWith(PORT_PREFIX)) {
      int port;
      try {
        port = Integer.parseInt(id.substring(PORT_PREFIX.length()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a service port: " + id);
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("service port outside 1..65535: " + port);
      }
      return new ServiceKey(null, port);
    }
    String appId = id.startsWith("/") ? id : "/" + id;
    while (appId.length() > 1 && appId.endsWith("/")) {
      appId = appId.substring(0, appId.length() - 1);
    }
    if (appId.equals("/") || appId.contains("//") || appId.contains("?")
        || appId.contains("#")) {
      throw new IllegalArgumentException("not a Marathon app id: " + id);
    }
    return new ServiceKey(appId, 0);
  }

  /** Whether this key looks tasks up by service port. */
  boolean isPort() {
    return port > 0;
  }
}
