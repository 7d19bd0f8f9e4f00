package dev.lodestar.agent;

import dev.lodestar.agent.haproxy.HaproxyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lodestar} command: {@code java -jar lodestar.jar <subcommand> ...}. Each subcommand is
 * its own class; this one only names them and runs picocli.
 *
 * <p>Exit codes: 0 success, 1 the work failed (an unknown app, Marathon unreachable), 2 bad
 * command-line arguments (picocli's usage error).
 */
@Command(
    name = "lodestar",
    mixinStandardHelpOptions = true,
    versionProvider = LodestarCommand.Version.class,
    description = "Lodestar's per-host agent: service discovery for Marathon / Mesos-DNS.",
    subcommands = {CommandLine.HelpCommand.class, HaproxyCommand.class})
public final class LodestarCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits the JVM with its exit code. */
  public static void main(String[] args) {
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
