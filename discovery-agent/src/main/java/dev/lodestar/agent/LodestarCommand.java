package dev.lodestar.agent;

import dev.lodestar.agent.haproxy.HaproxyCommand;
import dev.lodestar.agent.marathon.RelayCommand;
import dev.lodestar.agent.proxy.ProxyCommand;
import dev.lodestar.agent.resolve.ResolveCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lodestar} command: {@code java -jar lodestar.jar <subcommand> ...}. Each subcommand is
 * its own class; this one only names them and runs picocli.
 *
 * <p>Exit codes: 0 success, 1 the work failed (an unknown app, Marathon unreachable), 2 bad
 * command-line arguments (picocli's usage error); {@code lodestar resolve} tells apart 3 (the
 * source is unreachable) and 4 (the app has no instance).
 */
@Command(
    name = "lodestar",
    mixinStandardHelpOptions = true,
    versionProvider = LodestarCommand.Version.class,
    description = "Lodestar's per-host agent: service discovery for Marathon / Mesos-DNS.",
    subcommands = {CommandLine.HelpCommand.class, HaproxyCommand.class, ProxyCommand.class,
        ResolveCommand.class, RelayCommand.class})
public final class LodestarCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits the JVM with its exit code. */
  public static void main(String[] args) {
    // One line per log record (java.util.logging's default takes two), unless configured.
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format",
          "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    }
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", ShutdownSafeLogManager.class.getName());
    }
    System.exit(commandLine().execute(args));
  }

  /** The configured picocli command line (tests run it in-process). */
  public static CommandLine commandLine() {
    return new CommandLine(new LodestarCommand());
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a subcommand");
  }

  /** The version from the jar manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = LodestarCommand.class.getPackage().getImplementationVersion();
      return new String[] {"lodestar " + (v != null ? v : "development")};
    }
  }
}
