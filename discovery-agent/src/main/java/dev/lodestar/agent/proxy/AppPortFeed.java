package dev.lodestar.agent.proxy;

import dev.lodestar.agent.marathon.AppDefinition;
import dev.lodestar.agent.marathon.MarathonMirror;
import dev.lodestar.agent.marathon.ServicePort;
import dev.lodestar.discovery.internal.DaemonThreads;
import dev.lodestar.discovery.marathon.MarathonSource;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
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
   * Every TCP service port of every app the mirror lists (with label {@code key=value} when
   * {@code key} is not null), recomputed after each change the mirror applies. Nothing is
   * delivered before the mirror's first full list, so an unreachable Marathon at start leaves no
   * listener closed by mistake; a failed re-read keeps the mirror's last good state and so the
   * listeners.
   */
  static AppPortFeed allApps(MarathonMirror mirror, String key, String value,
      Consumer<Map<Integer, ProxyServer.Target>> proxy) {
    return new AppPortFeed() {
      /** Skips already logged; touched on the worker thread only. */
      private final Set<String> logged = new HashSet<>();
      private final AtomicBoolean pending = new AtomicBoolean();
      private final ExecutorService worker =
          Executors.newSingleThreadExecutor(DaemonThreads.named("lodestar-proxy-ports"));
      private final Runnable onChange = () -> {
        if (pending.compareAndSet(false, true)) {
          worker.execute(this::apply);
        }
      };

      @Override
      void start() {
        mirror.addListener(onChange);
        worker.execute(() -> {
          try {
            while (!mirror.awaitFirstSync(Duration.ofSeconds(1))) {
              // Marathon not listed yet (unreachable, or answering garbage): keep waiting.
            }
          } catch (InterruptedException e) {
            return; // closed
          }
          onChange.run();
        });
      }

      private void apply() {
        pending.set(false);
        if (!mirror.isSynced()) {
          return;
        }
        List<AppDefinition> apps = new ArrayList<>();
        for (AppDefinition app : mirror.apps()) {
          if (key == null || value.equals(app.label(key))) {
            apps.add(app);
          }
        }
        proxy.accept(targets(apps, logged));
      }

      @Override
      public void close() {
        mirror.removeListener(onChange);
        worker.shutdownNow();
      }
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
