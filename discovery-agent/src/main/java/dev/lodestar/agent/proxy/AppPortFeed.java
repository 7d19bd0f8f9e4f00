package dev.lodestar.agent.proxy;

import dev.lodestar.agent.marathon.AppDefinition;
import dev.lodestar.agent.marathon.ServicePort;
import dev.lodestar.discovery.marathon.MarathonSource;
import java.lang.System.Logger.Level;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Tells the proxy which ports to listen on: a fixed {@code --port} map, or every TCP service port
 * of every Marathon app, followed as apps change.
 *
 * <p>Thread safety: {@link #start} and {@link #close} once each from one thread; updates are
 * delivered on the feed's own thread, never concurrently.
 */
abstract class AppPortFeed implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AppPortFeed.class.getName());

  /** Starts delivering port maps to the proxy. */
  abstract void start();

  @Override
  public abstract void close();

  /** A fixed map of port to app id; each port relays to the app's first port slot. */
  static AppPortFeed fixed(Map<Integer, String> ports, Consumer<Map<Integer, ProxyServer.Target>>
      proxy) {
    Map<Integer, ProxyServer.Target> targets = new TreeMap<>();
    ports.forEach((port, app) -> {
      String id = app.startsWith("/") ? app : "/" + app;
      targets.put(port, new ProxyServer.Target(id, id));
    });
    return new AppPortFeed() {
      @Override
      void start() {
        proxy.accept(targets);
      }

      @Override
      public void close() {}
    };
  }

  /**
   * The listeners for a set of apps: every TCP service port above 0 of every app, routed to the
   * resolver's {@code port:N} service (all tasks of all apps with that service port, as
   * haproxy-marathon-bridge does, so the two apps of a blue-green deployment share the port).
   * Service port 0 and UDP-only slots are skipped with a reason logged once per app and slot.
   *
   * @param logged the skips already logged (updated)
   */
  static Map<Integer, ProxyServer.Target> targets(List<AppDefinition> apps, Set<String> logged) {
    Map<Integer, Set<String>> byPort = new TreeMap<>();
    Set<String> skipsNow = new HashSet<>();
    for (AppDefinition app : apps) {
      for (ServicePort p : app.servicePorts()) {
        String skip = null;
        if (!p.isTcp()) {
          skip = "is " + p.protocol() + ", not tcp";
        } else if (p.port() == 0) {
          skip = "has service port 0 (none assigned)";
        }
        if (skip != null) {
          String key = app.id() + "#" + p.index() + " " + skip;
          skipsNow.add(key);
          if (logged.add(key)) {
            LOG.log(Level.WARNING, "not listening for {0} port slot {1}: it {2}", app.id(),
                p.index(), skip);
          }
          continue;
        }
        byPort.computeIfAbsent(p.port(), k -> new java.util.TreeSet<>()).add(app.id());
      }
    }
    logged.retainAll(skipsNow);
    Map<Integer, ProxyServer.Target> out = new LinkedHashMap<>();
    byPort.forEach((port, ids) -> out.put(port, new ProxyServer.Target(
        MarathonSource.servicePortId(port), String.join(",", ids))));
    return out;
  }
}
