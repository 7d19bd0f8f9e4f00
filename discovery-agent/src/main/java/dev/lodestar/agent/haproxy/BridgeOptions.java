package dev.lodestar.agent.haproxy;

import java.util.List;
import java.util.Objects;

/**
 * What the command line decides about the generated config.
 *
 * <p>Thread safety: an immutable value.
 *
 * @param group the {@code HAPROXY_GROUP} exposed ({@code *} = every app)
 * @param bindAddr the default bind address of every frontend ({@code *} = all)
 * @param httpPort the shared HTTP frontend's port (VHOST routes)
 * @param httpsPort the shared HTTPS frontend's port
 * @param sslCerts certificates (PEM paths) the HTTPS frontend always offers
 * @param statsPort the port of the stats listener (marathon-lb's 9090)
 */
record BridgeOptions(String group, String bindAddr, int httpPort, int httpsPort,
    List<String> sslCerts, int statsPort) {

  BridgeOptions {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(bindAddr, "bindAddr");
    sslCerts = List.copyOf(sslCerts);
  }

  /** marathon-lb's defaults: group external, every address, ports 80, 443, 9090, no certificate. */
  static BridgeOptions defaults() {
    return new BridgeOptions("external", "*", 80, 443, List.of(), 9090);
  }
}
