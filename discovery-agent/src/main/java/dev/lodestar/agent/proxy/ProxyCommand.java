package dev.lodestar.agent.proxy;

import dev.lodestar.agent.admin.AdminServer;
import dev.lodestar.agent.marathon.MarathonMirror;
import dev.lodestar.agent.marathon.MarathonRelay;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ResolverListener;
import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.marathon.MarathonClient;
import dev.lodestar.discovery.marathon.MarathonSource;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lodestar proxy}: the per-host TCP proxy of Marathon's service-discovery docs. Listens on
 * service ports on the local host and relays each connection to an instance picked by a Lodestar
 * resolver (strategy, Marathon health, passive ejection), retrying another instance when a connect
 * fails. Runs until SIGTERM/SIGINT, then shuts down gracefully.
 *
 * <p>Thread safety: picocli runs {@link #call()} once on the main thread.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
    description = {
        "Per-host TCP proxy: listens on Marathon service ports and relays each connection to a"
            + " healthy instance of the app, picked by Lodestar's resolver.",
        "Without --port it listens on every service port of every Marathon app (matching"
            + " --label), opening and closing listeners as apps change.",
        "The admin port serves GET /proxy (state as JSON) and a read-only Marathon relay"
            + " (/v2/apps, /v2/apps/{id}, /v2/events) for the host's JVMs: Marathon sees one"
            + " event stream per host."})
public final class ProxyCommand implements Callable<Integer> {
  private static final System.Logger LOG = System.getLogger(ProxyCommand.class.getName());

  /** The strategies, by their command-line names. */
  enum Strategy {
    LEAST_IN_FLIGHT(LoadBalancingStrategy.leastInFlight()),
    ROUND_ROBIN(LoadBalancingStrategy.roundRobin()),
    PEAK_EWMA(LoadBalancingStrategy.peakEwma()),
    RANDOM(LoadBalancingStrategy.random()),
    WEIGHTED_RANDOM(LoadBalancingStrategy.weightedRandom());

    final LoadBalancingStrategy strategy;

    Strategy(LoadBalancingStrategy strategy) {
      this.strategy = strategy;
    }
  }

  @Option(names = "--marathon", required = true, split = ",", paramLabel = "URL",
      description = "Marathon URL(s), comma-separated; the next is tried when one fails.")
  List<String> marathon;

  @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
      description = "Address the service-port listeners and the admin port bind (default:"
          + " ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", paramLabel = "PORT=APP_ID",
      description = "Listen only on PORT, relaying to the first port of APP_ID (repeatable).")
  Map<Integer, String> ports = new LinkedHashMap<>();

  @Option(names = "--label", paramLabel = "KEY=VALUE",
      description = "Only apps with this label.")
  Map<String, String> label = new LinkedHashMap<>();

  @Option(names = "--strategy", defaultValue = "LEAST_IN_FLIGHT",
      description = "Load balancing: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
      converter = StrategyConverter.class)
  Strategy strategy;

  @Option(names = "--admin-port", defaultValue = "9990", paramLabel = "PORT",
      description = "Admin HTTP port: GET /proxy is the proxy's state as JSON (default:"
          + " ${DEFAULT-VALUE}; 0 picks a free one).")
  int adminPort;

  @Option(names = "--connect-timeout", defaultValue = "PT1S", paramLabel = "DURATION",
      description = "Bound on one connect attempt (ISO-8601, default: ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  @Option(names = "--idle-timeout", defaultValue = "PT5M", paramLabel = "DURATION",
      description = "Close connections silent both ways this long (default: ${DEFAULT-VALUE}).")
  Duration idleTimeout;

  @Option(names = "--max-attempts", defaultValue = "3", paramLabel = "N",
      description = "Connect attempts per connection, on different instances (default:"
          + " ${DEFAULT-VALUE}).")
  int maxAttempts;

  @Option(names = "--shutdown-grace", defaultValue = "PT10S", paramLabel = "DURATION",
      description = "On SIGTERM, how long open connections may finish (default:"
          + " ${DEFAULT-VALUE}).")
  Duration shutdownGrace;

  @Option(names = "--workers", defaultValue = "0", paramLabel = "N",
      description = "Relaying event loops (default 0: one per core).")
  int workers;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (label.size() > 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--label takes one KEY=VALUE");
    }
    if (adminPort < 0 || adminPort > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--admin-port " + adminPort + ": port outside 0..65535");
    }
    for (Map.Entry<Integer, String> e : ports.entrySet()) {
      if (e.getKey() < 1 || e.getKey() > 65535) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--port " + e.getKey() + "=" + e.getValue() + ": port outside 1..65535");
      }
      try {
        // As AppPortFeed.fixed makes it absolute; checked before anything starts.
        ServiceIds.check(e.getValue().startsWith("/") ? e.getValue() : "/" + e.getValue());
      } catch (IllegalArgumentException invalid) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--port " + e.getKey() + "=" + e.getValue() + ": " + invalid.getMessage());
      }
    }
    ProxyConfig config;
    try {
      config = new ProxyConfig(bind, connectTimeout, idleTimeout, maxAttempts, shutdownGrace,
          workers);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    MarathonClient client;
    try {
      client = MarathonClient.builder().urls(marathon.toArray(String[]::new)).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--marathon: "
          + e.getMessage());
    }
    MarathonMirror mirror = MarathonMirror.builder(client).build();
    AdminServer admin = new AdminServer(bind, adminPort);
    MarathonRelay relay = MarathonRelay.builder(mirror).install(admin);
    int boundAdmin;
    try {
      boundAdmin = admin.start();
    } catch (IllegalStateException e) {
      LOG.log(Level.ERROR, e.getMessage());
      relay.close();
      return 1;
    }
    mirror.start();
    // The proxy's own resolver reads Marathon through the relay: one upstream stream per host.
    // The relay closes its streams on purpose once the mirror re-listed after its own (already
    // spread) reconnect, and reads from it cost Marathon nothing: no long spreads here.
    String relayUrl = "http://" + urlHost(bind) + ":" + boundAdmin;
    MarathonSource.Builder source = MarathonSource.builder().url(relayUrl)
        .reconnectSpread(Duration.ofSeconds(1))
        .reconnectResyncWindow(Duration.ofSeconds(5));
    label.forEach(source::labelFilter);
    ServiceResolver resolver = ServiceResolver.builder()
        .source(source.build())
        .strategy(strategy.strategy)
        .listener(new EjectionLog())
        .build();
    ProxyServer proxy = new ProxyServer(config, resolver);
    admin.route("/proxy", (ctx, req, path) ->
        AdminServer.sendJson(ctx, req, HttpResponseStatus.OK, proxy.state()));
    Map.Entry<String, String> only = label.isEmpty() ? null : label.entrySet().iterator().next();
    AppPortFeed feed = ports.isEmpty()
        ? AppPortFeed.allApps(mirror, only == null ? null : only.getKey(),
            only == null ? null : only.getValue(), proxy::update)
        : AppPortFeed.fixed(ports, proxy::update);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.log(Level.INFO, "signal received: shutting down");
      feed.close();
      proxy.shutdown();
      resolver.close();
      relay.close();
      admin.close();
      mirror.close();
      stopped.countDown();
    }, "lodestar-proxy-shutdown"));
    feed.start();
    stopped.await();
    return 0;
  }

  /** The host part of a URL reaching the admin port bound on {@code bind}. */
  private static String urlHost(String bind) {
    if (isWildcard(bind)) {
      return "127.0.0.1";
    }
    // An IPv6 literal needs brackets in a URL ("http://::1:9990" is no URL).
    return bind.indexOf(':') >= 0 && !bind.startsWith("[") ? "[" + bind + "]" : bind;
  }

  private static boolean isWildcard(String address) {
    return address.equals("0.0.0.0") || address.equals("::") || address.equals("[::]");
  }

  /** Logs one line per ejection. */
  private static final class EjectionLog implements ResolverListener {
    @Override
    public void onEjection(Instance instance, Duration duration, Throwable cause) {
      LOG.log(Level.WARNING, "{0}: ejected {1} for {2}s after {3}", instance.serviceId(),
          instance.address(), duration.toSeconds(), String.valueOf(cause));
    }
  }

  /** Accepts the strategy names in any case, with dashes or underscores. */
  static final class StrategyConverter implements CommandLine.ITypeConverter<Strategy> {
    @Override
    public Strategy convert(String value) {
      return Strategy.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
  }
}
