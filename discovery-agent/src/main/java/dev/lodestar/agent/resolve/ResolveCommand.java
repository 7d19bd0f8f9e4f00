package dev.lodestar.agent.resolve;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.spi.ServiceSource;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lodestar resolve}: prints the instances Lodestar sees for one app, with their health and
 * the source that answered, like {@code dig} for Marathon apps.
 *
 * <p>Exit codes: 0 the app has at least one instance; 1 the app is unknown (the reason is
 * printed); 2 bad arguments; 3 the source is unreachable or answered badly (timeout, connection
 * refused, 5xx, malformed answer, 401/403); 4 the app exists but has no instance.
 *
 * <p>Thread safety: one run per instance (picocli creates one per command line).
 */
@Command(name = "resolve", mixinStandardHelpOptions = true,
    description = "Print the instances Lodestar sees for an app, with health and source.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the app has instances", "1:unknown app", "2:bad arguments",
        "3:Marathon / Mesos-DNS unreachable or answered badly", "4:the app has no instance"})
public final class ResolveCommand implements Callable<Integer> {
  /** The app has at least one instance. */
  public static final int OK = 0;
  /** The app is unknown. */
  public static final int UNKNOWN = 1;
  /** The source could not answer. */
  public static final int UNREACHABLE = 3;
  /** The app exists but has no instance. */
  public static final int EMPTY = 4;

  @Option(names = "--marathon", split = ",", paramLabel = "URL",
      description = "Marathon URL(s), tried in order (an agent's relay may come first).")
  List<String> marathon = new ArrayList<>();

  @Option(names = "--dns", paramLabel = "HOST:PORT",
      description = "Ask Mesos-DNS at this IP[:port] instead of Marathon.")
  String dns;

  @Option(names = "--domain", defaultValue = MesosDnsSource.DEFAULT_DOMAIN,
      description = "Mesos-DNS domain (default: ${DEFAULT-VALUE}).")
  String domain;

  @Option(names = "--port-name", paramLabel = "NAME",
      description = "Use the port slot with this name (default: the first slot; with --dns,"
          + " every port the agent form lists). With --dns it asks _NAME._app._tcp.marathon.mesos"
          + " (task addresses), where Mesos-DNS lists named ports.")
  String portName;

  @Option(names = "--timeout", defaultValue = "10", paramLabel = "SECONDS",
      description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  private Duration timeout;

  @Parameters(paramLabel = "APP_ID", description = "The Marathon app id, e.g. /prod/web.")
  String appId;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (marathon.isEmpty() == (dns == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "give exactly one of --marathon URL and --dns HOST:PORT");
    }
    if (timeoutSeconds < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be >= 1");
    }
    try {
      // Checked here: the sources refuse such an id with a failed load, which would read as
      // "unreachable" (3).
      ServiceIds.check(appId);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    timeout = Duration.ofSeconds(timeoutSeconds);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ServiceSource source;
    try {
      source = dns != null ? dnsSource() : marathonSource();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try (source) {
      ServiceSnapshot s = source.load(appId).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      out.printf("%s from %s: %d instance%s%n", s.serviceId(), s.origin(), s.instances().size(),
          s.instances().size() == 1 ? "" : "s");
      for (Instance i : s.instances()) {
        out.printf("  %-22s %-9s %s%s%n", i.address(), i.health(), i.instanceId(),
            i.namedPorts().isEmpty() ? "" : "  ports " + i.namedPorts());
      }
      out.flush();
      return s.instances().isEmpty() ? EMPTY : OK;
    } catch (TimeoutException e) {
      err.printf("lodestar resolve: %s: no answer from %s within %s%n", appId, source.name(),
          timeout);
      return UNREACHABLE;
    } catch (ExecutionException e) {
      Throwable cause = Futures.unwrap(e);
      err.printf("lodestar resolve: %s%n", cause.getMessage());
      // Unavailable, authentication refused, anything else: the source could not answer.
      return cause instanceof UnknownServiceException ? UNKNOWN : UNREACHABLE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return UNREACHABLE;
    } finally {
      err.flush();
    }
  }

  private ServiceSource marathonSource() {
    MarathonSource.Builder b = MarathonSource.builder().urls(marathon.toArray(String[]::new))
        .eventStream(false)
        .requestTimeout(timeout)
        .connectTimeout(timeout);
    if (portName != null) {
      b.portName(portName);
    }
    return b.build();
  }

  private ServiceSource dnsSource() {
    MesosDnsSource.Builder b = MesosDnsSource.builder().nameServer(dns).domain(domain)
        .timeout(timeout);
    if (portName != null) {
      // Mesos-DNS publishes named ports only under the task form (_name._task._tcp.fw.domain.).
      b.addressing(MesosDnsSource.Addressing.TASK).portName(portName);
    }
    return b.build();
  }
}
