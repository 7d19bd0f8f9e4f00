package dev.lodestar.agent.haproxy;

import java.util.List;

/**
 * What the templates render: every value already validated and in HAProxy's syntax, so templates
 * only place them. Field names are the template variables (see the built-in templates under
 * {@code dev/lodestar/agent/haproxy/templates/}).
 *
 * <p>Thread safety: immutable values.
 *
 * @param stats the bind ({@code address:port}) of the always-present stats listener
 * @param frontends one per exposed service port, sorted by port
 * @param http the shared HTTP frontend for VHOST routes, or {@code null} when no app has one
 * @param https the shared HTTPS frontend, or {@code null} without VHOST routes or certificates
 * @param backends one per exposed app port, sorted by name
 */
record ConfigModel(String stats, List<Frontend> frontends, VhostFrontend http, VhostFrontend https,
    List<Backend> backends) {

  /**
   * A frontend on one service port.
   *
   * @param name e.g. {@code group_app_10000}
   * @param bind {@code address:port}
   * @param mode {@code tcp} or {@code http}
   * @param backend the backend it sends everything to
   * @param appId the Marathon app, for a comment
   */
  record Frontend(String name, String bind, String mode, String backend, String appId) {
    /** Whether the frontend is in HTTP mode (templates add HTTP-only options). */
    public boolean httpMode() {
      return "http".equals(mode);
    }
  }

  /**
   * The shared :80 or :443 frontend that routes by Host header.
   *
   * @param name {@code lodestar_http_in} or {@code lodestar_https_in}
   * @param bind {@code address:port}
   * @param certificates the {@code crt} arguments ({@code crt a.pem crt b.pem}), {@code null} for
   *     plain HTTP
   * @param routes the Host-header routes, sorted by backend
   */
  record VhostFrontend(String name, String bind, String certificates, List<VhostRoute> routes) {}

  /**
   * Requests whose Host (without port) is one of {@code hosts} go to {@code backend}.
   *
   * @param acl the ACL name
   * @param hosts space-separated lowercase host names
   * @param backend the backend
   * @param redirectToHttps answer 301 to https:// instead (HTTP frontend only)
   */
  record VhostRoute(String acl, String hosts, String backend, boolean redirectToHttps) {}

  /**
   * One app port's servers.
   *
   * @param name e.g. {@code group_app_10000}
   * @param appId the Marathon app
   * @param portIndex the app's port slot
   * @param mode {@code tcp} or {@code http}
   * @param balance the balance algorithm
   * @param sticky whether the {@code LODESTAR_SERVERID} cookie pins clients
   * @param httpCheckPath the path of the app's HTTP health check on this port (quotes, {@code #}
   *     and backslashes escaped for the config), or {@code null}
   * @param checkSsl whether that check uses TLS
   * @param checkInterval seconds between HAProxy's checks ({@code inter})
   * @param servers the routable tasks, sorted by name
   */
  record Backend(String name, String appId, int portIndex, String mode, String balance,
      boolean sticky, String httpCheckPath, boolean checkSsl, int checkInterval,
      List<Server> servers) {}

  /**
   * One routable task.
   *
   * @param name unique in its backend, from the address ({@code 10_0_0_1_31000})
   * @param address {@code host:port}
   * @param taskId the Marathon task id, for a comment
   * @param cookie the sticky cookie value, or {@code null} when the backend is not sticky
   */
  record Server(String name, String address, String taskId, String cookie) {}
}
