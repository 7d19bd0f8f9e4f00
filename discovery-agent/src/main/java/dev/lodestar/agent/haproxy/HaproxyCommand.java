package dev.lodestar.agent.haproxy;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.marathon.MarathonSource;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lodestar haproxy}: the HAProxy bridge. Without {@code --watch} it prints one complete
 * config for the current cluster state and exits (haproxy-marathon-bridge's one-shot mode). With
 * {@code --config FILE --watch} it keeps {@code FILE} current and HAProxy reloaded (see {@link
 * HaproxyWatcher}, {@link ConfigInstaller}, {@link HaproxyProcess}).
 *
 * <p>Apps and ports left out (invalid labels, port clashes) are reported on stderr, one line each
 * naming app, label, value and reason; the config holds the others.
 *
 * <p>Thread safety: picocli fills and runs one instance on one thread.
 */
@Command(
    name = "haproxy",
    mixinStandardHelpOptions = true,
    description = {
        "Generates an HAProxy config from Marathon through Lodestar's view of the cluster"
            + " (health, blue/green drain), marathon-lb's label vocabulary.",
        "One-shot: prints the config. --config FILE --watch: keeps FILE current, checks each"
            + " new config with 'haproxy -c', and reloads HAProxy (master-worker mode) or runs"
            + " --reload-command."})
public final class HaproxyCommand implements Callable<Integer> {

  @Option(names = "--marathon", required = true, split = ",", paramLabel = "URL",
      description = "Marathon base URL(s), tried in order.")
  List<String> marathon;

  @Option(names = "--credentials", paramLabel = "USER:PASSWORD",
      description = "HTTP Basic credentials for Marathon.")
  String credentials;

  @Option(names = "--group", defaultValue = "external",
      description = "HAPROXY_GROUP to expose; * exposes every app (default: ${DEFAULT-VALUE}).")
  String group;

  @Option(names = "--bind-addr", defaultValue = "*",
      description = "Default bind address of the frontends (default: ${DEFAULT-VALUE}).")
  String bindAddr;

  @Option(names = "--http-port", defaultValue = "80",
      description = "Port of the shared VHOST HTTP frontend (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--https-port", defaultValue = "443",
      description = "Port of the shared VHOST HTTPS frontend (default: ${DEFAULT-VALUE}).")
  int httpsPort;

  @Option(names = "--stats-port", defaultValue = "9090",
      description = "Port of the always-present stats listener (default: ${DEFAULT-VALUE}).")
  int statsPort;

  @Option(names = "--ssl-certs", split = ",", paramLabel = "PEM",
      description = "Certificates (PEM with key) the HTTPS frontend serves.")
  List<String> sslCerts = List.of();

  @Option(names = "--templates", paramLabel = "DIR",
      description = "Directory of replacement templates (haproxy.cfg.mustache, global.mustache,"
          + " http_frontend.mustache, https_frontend.mustache, frontend.mustache,"
          + " backend.mustache).")
  Path templates;

  @Option(names = "--config", paramLabel = "FILE", description = "Config file to keep current.")
  Path config;

  @Option(names = "--watch", description = "Follow changes (needs --config).")
  boolean watch;

  @Option(names = "--haproxy", defaultValue = "haproxy", paramLabel = "PATH",
      description = "The haproxy binary (default: ${DEFAULT-VALUE}).")
  String haproxy;

  @Option(names = "--reload-command", paramLabel = "CMD",
      description = "Run this (sh -c) after each installed config instead of managing HAProxy.")
  String reloadCommand;

  @Option(names = "--min-reload-interval", defaultValue = "2s", paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Least time between two renders/reloads (default: ${DEFAULT-VALUE}).")
  Duration minReloadInterval;

  @Option(names = "--poll-interval", defaultValue = "30s", paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Full re-read of Marathon's apps and tasks (default: ${DEFAULT-VALUE}).")
  Duration pollInterval;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (watch && config == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--watch needs --config");
    }
    BridgeOptions options = new BridgeOptions(group, bindAddr, httpPort, httpsPort, sslCerts,
        statsPort);
    Templates t;
    try {
      t = new Templates(templates);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return 1;
    }
    MarathonSource.Builder source = MarathonSource.builder().eventStream(watch)
        .pollInterval(watch ? pollInterval : Duration.ZERO);
    marathon.forEach(source::url);
    if (credentials != null) {
      int colon = credentials.indexOf(':');
      if (colon < 0) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--credentials must be USER:PASSWORD");
      }
      source.basicAuth(credentials.substring(0, colon), credentials.substring(colon + 1));
    }
    try (ServiceResolver resolver = ServiceResolver.builder().source(source.build()).build()) {
      ConfigRenderer renderer = new ConfigRenderer(new MarathonApps(marathon, credentials),
          new ResolverServerLookup(resolver), options, t);
      return watch ? watch(renderer, resolver) : once(renderer);
    }
  }

  private int once(ConfigRenderer renderer) throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    ConfigRenderer.Rendered r;
    try {
      r = renderer.render();
    } catch (java.io.IOException e) {
      err.println("cannot read Marathon's apps: " + e.getMessage());
      return 1;
    }
    r.problems().forEach(err::println);
    err.flush();
    if (config != null) {
      ConfigInstaller.Outcome o = new ConfigInstaller(haproxy, config, reloader()).install(
          r.text());
      return o == ConfigInstaller.Outcome.REJECTED ? 1 : 0;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(r.text());
    out.flush();
    return 0;
  }

  private ConfigInstaller.Reloader reloader() {
    return reloadCommand != null ? new ConfigInstaller.Command(reloadCommand)
        : new ConfigInstaller.MasterWorker(haproxy, config);
  }

  private int watch(ConfigRenderer renderer, ServiceResolver resolver) throws Exception {
    try (ConfigInstaller.Reloader reloader = reloader();
        HaproxyWatcher watcher = new HaproxyWatcher(renderer,
            new ConfigInstaller(haproxy, config, reloader), resolver, minReloadInterval,
            pollInterval)) {
      watcher.start();
      CountDownLatch forever = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
      forever.await();
    }
    return 0;
  }

  /** Reads {@code 500ms}, {@code 2s}, {@code 1m} or an ISO-8601 duration. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(java.util.Locale.ROOT);
      try {
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        if (v.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        if (v.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        return Duration.parse(value.trim());
      } catch (RuntimeException e) {
        throw new CommandLine.TypeConversionException("not a duration: " + value
            + " (e.g. 500ms, 2s, 1m)");
      }
    }
  }
}
