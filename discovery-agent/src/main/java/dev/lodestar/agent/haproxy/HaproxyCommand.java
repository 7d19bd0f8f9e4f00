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
 * HaproxyWatcher}, {@link ConfigInstaller}, {@link HaproxyProcess}); HAProxy runs as this
 * command's child and stops with it. One-shot with {@code --config FILE} writes the file only if
 * it passes {@code haproxy -c}, then runs {@code --reload-command} if one is given.
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
      description = "Least time between two renders/reloads, 0 or more (default:"
          + " ${DEFAULT-VALUE}).")
  Duration minReloadInterval;

  @Option(names = "--poll-interval", defaultValue = "30s", paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Full re-read of Marathon's apps and tasks, at least 1ms (default:"
          + " ${DEFAULT-VALUE}).")
  Duration pollInterval;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (watch && config == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--watch needs --config");
    }
    if (credentials != null && credentials.indexOf(':') < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--credentials must be USER:PASSWORD");
    }
    // Checked here, before anything starts: the watcher's scheduler throws on a zero period.
    if (pollInterval.toMillis() < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--poll-interval must be at least 1ms, got " + pollInterval);
    }
    if (minReloadInterval.isNegative()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--min-reload-interval must not be negative, got " + minReloadInterval);
    }
    checkPorts();
    if (templates != null && !java.nio.file.Files.isDirectory(templates)) {
      // Else every template would silently be the built-in one.
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--templates " + templates + " is not a directory");
    }
    Templates t;
    try {
      t = new Templates(templates);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return 1;
    }
    try (Runtime runtime = open(t)) {
      return watch ? watch(runtime) : once(runtime.renderer());
    }
  }

  /**
   * The shared frontends' and the stats listener's ports are each in 1..65535 and distinct:
   * HAProxy would refuse the first (every render rejected), and would bind two frontends on one
   * port with SO_REUSEPORT and split the connections between them.
   */
  private void checkPorts() {
    String[] names = {"--http-port", "--https-port", "--stats-port"};
    int[] values = {httpPort, httpsPort, statsPort};
    for (int i = 0; i < names.length; i++) {
      if (values[i] < 1 || values[i] > 65535) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            names[i] + " must be in 1..65535, got " + values[i]);
      }
      for (int j = 0; j < i; j++) {
        if (values[j] == values[i]) {
          throw new CommandLine.ParameterException(spec.commandLine(),
              names[i] + " must differ from " + names[j] + ", both are " + values[i]);
        }
      }
    }
  }

  /**
   * The resolver and renderer this command line describes; the caller closes it.
   *
   * @param t the compiled templates
   */
  Runtime open(Templates t) {
    BridgeOptions options = new BridgeOptions(group, bindAddr, httpPort, httpsPort, sslCerts,
        statsPort);
    MarathonSource.Builder source = MarathonSource.builder().eventStream(watch)
        .pollInterval(watch ? pollInterval : Duration.ZERO);
    marathon.forEach(source::url);
    if (credentials != null) {
      int colon = credentials.indexOf(':');
      source.basicAuth(credentials.substring(0, colon), credentials.substring(colon + 1));
    }
    ServiceResolver resolver = ServiceResolver.builder().source(source.build()).build();
    ConfigRenderer renderer = new ConfigRenderer(new MarathonApps(marathon, credentials),
        new ResolverServerLookup(resolver), options, t);
    return new Runtime(resolver, renderer);
  }

  /**
   * A running bridge's parts: the resolver (closed with it) and the renderer over it.
   *
   * <p>Thread safety: see {@link ConfigRenderer} and {@link HaproxyWatcher}.
   */
  record Runtime(ServiceResolver resolver, ConfigRenderer renderer) implements AutoCloseable {
    /** Starts a watcher that installs into {@code installer}; the caller closes it. */
    HaproxyWatcher watch(ConfigInstaller installer, Duration minInterval, Duration poll) {
      HaproxyWatcher w = new HaproxyWatcher(renderer, installer, resolver, minInterval, poll);
      w.start();
      return w;
    }

    @Override
    public void close() {
      resolver.close();
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
      // One-shot with --config: write the file if it passes the check; run --reload-command if
      // given. HAProxy is only started and owned by --watch.
      ConfigInstaller.Reloader writeOnly = () -> { };
      try (ConfigInstaller.Reloader reloader = reloadCommand != null ? reloader() : writeOnly) {
        ConfigInstaller.Outcome o = new ConfigInstaller(haproxy, config, reloader)
            .install(r.text());
        return o == ConfigInstaller.Outcome.REJECTED ? 1 : 0;
      } catch (ConfigInstaller.ApplyFailedException e) {
        err.println("installed " + config + " but the reload failed: " + e.getMessage());
        return 1;
      } catch (java.io.IOException e) {
        // haproxy -c could not be run, or the file not written.
        err.println("cannot install " + config + ": " + e);
        return 1;
      } finally {
        err.flush();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(r.text());
    out.flush();
    return 0;
  }

  /** The built-in master-worker reloader, or {@code --reload-command}. */
  ConfigInstaller.Reloader reloader() {
    return reloadCommand != null ? new ConfigInstaller.Command(reloadCommand)
        : new ConfigInstaller.MasterWorker(haproxy, config);
  }

  /**
   * Runs until SIGTERM/SIGINT. The shutdown hook wakes this thread, which stops the watcher and
   * HAProxy, and waits for that cleanup, not for this thread to end: the caller then calls
   * {@code System.exit}, which blocks while hooks run, so joining this thread would always wait
   * out the hook's whole bound.
   */
  private int watch(Runtime runtime) throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        // Bounded: a HAProxy that ignores SIGTERM is killed after 10 + 5 s (HaproxyProcess).
        stopped.await(20, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "lodestar-haproxy-shutdown"));
    try (ConfigInstaller.Reloader reloader = reloader();
        HaproxyWatcher watcher = runtime.watch(new ConfigInstaller(haproxy, config, reloader),
            minReloadInterval, pollInterval)) {
      stop.await();
    } finally {
      stopped.countDown();
    }
    return 0;
  }

  /** Reads {@code 500ms}, {@code 2s}, {@code 1m} or an ISO-8601 duration. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(java.util.Locale.ROOT);
      try {
        // ISO first: "PT1S" also ends with "s" and would be misread as a short form.
        if (v.startsWith("p") || v.startsWith("-p")) {
          return Duration.parse(value.trim());
        }
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        if (v.endsWith("s")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        if (v.endsWith("m")) {
          return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        throw new IllegalArgumentException(value);
      } catch (RuntimeException e) {
        throw new CommandLine.TypeConversionException("not a duration: " + value
            + " (e.g. 500ms, 2s, 1m, PT1S)");
      }
    }
  }
}
