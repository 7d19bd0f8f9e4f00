package dev.lodestar.agent.haproxy;

import dev.lodestar.agent.haproxy.ConfigModel.Backend;
import dev.lodestar.agent.haproxy.ConfigModel.Frontend;
import dev.lodestar.agent.haproxy.ConfigModel.Server;
import dev.lodestar.agent.haproxy.ConfigModel.VhostFrontend;
import dev.lodestar.agent.haproxy.ConfigModel.VhostRoute;
import dev.lodestar.agent.marathon.AppDefinition;
import dev.lodestar.agent.marathon.HealthCheck;
import dev.lodestar.agent.marathon.ServicePort;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns Marathon apps and their routable tasks into a {@link ConfigModel}: the apps of the
 * bridge's group, each TCP port slot with a frontend port (service port or {@code HAPROXY_{n}_PORT})
 * or a VHOST becoming one backend, a frontend per port, and Host-header routes in the shared
 * frontends. An app with an invalid label, or whose frontend port or vhost another app already
 * took, is left out and the reason recorded; the rest of the config is built. Output is sorted, so
 * the same cluster state gives the same text.
 *
 * <p>Blue/green pairs (apps sharing {@code HAPROXY_DEPLOYMENT_GROUP}) that ask for the same
 * frontend port share one frontend: the first app by id keeps it, and its backend already holds
 * both colours' routable tasks (Lodestar's Marathon source merges and drains them).
 *
 * <p>Thread safety: not thread-safe; one instance per render.
 */
final class ConfigBuilder {
  private static final String DEPLOYMENT_GROUP = "HAPROXY_DEPLOYMENT_GROUP";
  private static final int DEFAULT_CHECK_INTERVAL = 2;

  private final BridgeOptions options;
  private final ServerLookup lookup;
  private final List<String> problems = new ArrayList<>();

  ConfigBuilder(BridgeOptions options, ServerLookup lookup) {
    this.options = options;
    this.lookup = lookup;
  }

  /** The model, and why apps or ports were left out. */
  record Result(ConfigModel model, List<String> problems) {}

  Result build(List<AppDefinition> apps) {
    List<AppDefinition> sorted = new ArrayList<>(apps);
    sorted.sort(Comparator.comparing(AppDefinition::id));
    Map<Integer, String> portOwners = new HashMap<>();
    Map<String, String> vhostOwners = new HashMap<>();
    Map<Integer, AppDefinition> portApps = new HashMap<>();
    List<Frontend> frontends = new ArrayList<>();
    List<Backend> backends = new ArrayList<>();
    List<VhostRoute> httpRoutes = new ArrayList<>();
    List<VhostRoute> httpsRoutes = new ArrayList<>();
    Set<String> certs = new LinkedHashSet<>(options.sslCerts());
    for (AppDefinition app : sorted) {
      if (!PortLabels.inGroup(app, options.group())) {
        continue;
      }
      for (String key : PortLabels.ignored(app)) {
        problems.add("app " + app.id() + ": label " + key + " is not supported; ignored");
      }
      List<PortLabels> labels;
      try {
        labels = PortLabels.parse(app);
      } catch (LabelException e) {
        problems.add(e.getMessage() + "; app skipped");
        continue;
      }
      AppPlan plan = plan(app, labels, portOwners, portApps, vhostOwners);
      if (plan == null) {
        continue;
      }
      for (PortPlan p : plan.ports) {
        backends.add(p.backend);
        if (p.frontend != null) {
          frontends.add(p.frontend);
          portOwners.put(p.labels.frontendPort(), app.id());
          portApps.put(p.labels.frontendPort(), app);
        }
        for (String host : p.labels.vhosts()) {
          vhostOwners.put(host, app.id());
        }
        if (!p.labels.vhosts().isEmpty()) {
          String hosts = String.join(" ", p.labels.vhosts());
          String acl = "host_" + p.backend.name();
          httpRoutes.add(new VhostRoute(acl, hosts, p.backend.name(),
              p.labels.redirectToHttps()));
          httpsRoutes.add(new VhostRoute(acl, hosts, p.backend.name(), false));
          if (p.labels.sslCert() != null) {
            certs.add(p.labels.sslCert());
          }
        }
      }
    }
    frontends.sort(Comparator.comparing(Frontend::bind).thenComparing(Frontend::name));
    backends.sort(Comparator.comparing(Backend::name));
    VhostFrontend http = httpRoutes.isEmpty() ? null : new VhostFrontend("lodestar_http_in",
        bind(options.bindAddr(), options.httpPort()), null, httpRoutes);
    VhostFrontend https = null;
    if (!httpsRoutes.isEmpty() && !certs.isEmpty()) {
      StringBuilder crt = new StringBuilder();
      for (String c : certs) {
        crt.append(crt.length() == 0 ? "" : " ").append("crt ").append(c);
      }
      https = new VhostFrontend("lodestar_https_in", bind(options.bindAddr(),
          options.httpsPort()), crt.toString(), httpsRoutes);
    } else if (!httpsRoutes.isEmpty()) {
      boolean redirects = httpRoutes.stream().anyMatch(VhostRoute::redirectToHttps);
      if (redirects) {
        problems.add("HTTP is redirected to HTTPS but no certificate is configured"
            + " (--ssl-certs or HAPROXY_{n}_SSL_CERT): no HTTPS frontend");
      }
    }
    return new Result(new ConfigModel(bind(options.bindAddr(), options.statsPort()), frontends,
        http, https, backends), List.copyOf(problems));
  }

  private record PortPlan(PortLabels labels, Frontend frontend, Backend backend) {}

  private record AppPlan(List<PortPlan> ports) {}

  /** The frontends and backends of one app, or {@code null} (reason recorded) to skip it. */
  private AppPlan plan(AppDefinition app, List<PortLabels> labels, Map<Integer, String> portOwners,
      Map<Integer, AppDefinition> portApps, Map<String, String> vhostOwners) {
    List<PortPlan> out = new ArrayList<>();
    Set<Integer> ownPorts = new java.util.HashSet<>();
    Set<String> ownHosts = new java.util.HashSet<>();
    for (PortLabels l : labels) {
      ServicePort sp = app.servicePorts().get(l.index());
      if (!sp.isTcp()) {
        problems.add("app " + app.id() + ": port index " + l.index() + " is " + sp.protocol()
            + " only; HAProxy proxies TCP; port skipped");
        continue;
      }
      if (l.frontendPort() == 0 && l.vhosts().isEmpty()) {
        problems.add("app " + app.id() + ": port index " + l.index() + " has no service port,"
            + " HAPROXY_" + l.index() + "_PORT or VHOST; port skipped");
        continue;
      }
      boolean mergedFrontend = false;
      if (l.frontendPort() > 0) {
        int port = l.frontendPort();
        String owner = portOwners.get(port);
        if (port == options.httpPort() || port == options.httpsPort()
            || port == options.statsPort()) {
          problems.add("app " + app.id() + ": frontend port " + port + " is the shared"
              + " HTTP/HTTPS frontend's or the stats listener's; app skipped");
          return null;
        }
        if (owner != null && sameDeploymentGroup(app, portApps.get(port))) {
          mergedFrontend = true;
        } else if (owner != null || !ownPorts.add(port)) {
          problems.add("app " + app.id() + ": frontend port " + port + " is already used by "
              + (owner != null ? "app " + owner : "another port of this app") + "; app skipped");
          return null;
        }
      }
      if (mergedFrontend) {
        // The partner colour's backend already lists both colours' tasks.
        continue;
      }
      for (String host : l.vhosts()) {
        String owner = vhostOwners.get(host);
        if (owner != null || !ownHosts.add(host)) {
          problems.add("app " + app.id() + ": VHOST " + host + " is already routed to "
              + (owner != null ? "app " + owner : "another port of this app") + "; app skipped");
          return null;
        }
      }
      String name = backendName(app, l);
      List<ServerLookup.Target> targets;
      try {
        targets = lookup.routable(app, l.index());
      } catch (ServerLookup.LookupException e) {
        problems.add("app " + app.id() + ": port index " + l.index() + ": " + e.getMessage()
            + "; port skipped");
        continue;
      }
      HealthCheck check = httpCheck(app, l.index());
      Backend backend = new Backend(name, app.id(), l.index(), l.mode(), l.balance(), l.sticky(),
          check == null ? null : escape(check.path()), check != null && check.protocol().isTls(),
          check == null ? DEFAULT_CHECK_INTERVAL : Math.max(1, check.intervalSeconds()),
          servers(targets, l.sticky()));
      Frontend frontend = l.frontendPort() == 0 ? null : new Frontend(name,
          bind(l.bindAddr() != null ? l.bindAddr() : options.bindAddr(), l.frontendPort()),
          l.mode(), name, app.id());
      out.add(new PortPlan(l, frontend, backend));
    }
    return new AppPlan(out);
  }

  private static boolean sameDeploymentGroup(AppDefinition a, AppDefinition b) {
    String g = a.label(DEPLOYMENT_GROUP);
    return b != null && g != null && !g.isEmpty() && g.equals(b.label(DEPLOYMENT_GROUP));
  }

  /** The app's HTTP-like check of slot {@code slot}: HAProxy repeats it as {@code httpchk}. */
  private static HealthCheck httpCheck(AppDefinition app, int slot) {
    for (HealthCheck c : app.healthChecks()) {
      if (c.protocol().isHttp() && c.portIndex() == slot && isHttpPath(c.path())) {
        return c;
      }
    }
    return null;
  }

  /** A path HAProxy's {@code option httpchk} line can carry: no spaces or control characters. */
  private static boolean isHttpPath(String path) {
    return path != null && path.startsWith("/") && path.chars().allMatch(ch -> ch > 32 && ch < 127);
  }

  /**
   * {@code s} as one word of an HAProxy config line: a backslash before each character HAProxy
   * would otherwise read as a quote, a comment or an escape ({@code " ' # \}). An unmatched quote
   * makes HAProxy refuse the whole config.
   */
  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'' || c == '#' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  private static List<Server> servers(List<ServerLookup.Target> targets, boolean sticky) {
    Map<String, Server> byName = new TreeMap<>();
    for (ServerLookup.Target t : targets) {
      String address = t.host().indexOf(':') >= 0 ? "[" + t.host() + "]:" + t.port()
          : t.host() + ":" + t.port();
      String base = sanitize(t.host() + "_" + t.port());
      String name = base;
      for (int n = 2; byName.containsKey(name); n++) {
        name = base + "_" + n;
      }
      byName.put(name, new Server(name, address, t.taskId(), sticky ? name : null));
    }
    return List.copyOf(byName.values());
  }

  private static String backendName(AppDefinition app, PortLabels l) {
    String base = sanitize(app.id().substring(1).replace('/', '_'));
    return base + "_" + (l.frontendPort() > 0 ? String.valueOf(l.frontendPort())
        : "p" + l.index());
  }

  /** Keeps the characters HAProxy allows in names: letters, digits, {@code - _ . :}. */
  static String sanitize(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '.' ? c : '_');
    }
    return b.toString();
  }

  private static String bind(String addr, int port) {
    return addr + ":" + port;
  }
}
