package dev.lodestar.agent.marathon;

import dev.lodestar.agent.admin.AdminServer;
import dev.lodestar.discovery.marathon.MarathonClient;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lodestar relay}: only the shared Marathon stream, for hosts that run no proxy: one
 * {@link MarathonMirror} and the {@link MarathonRelay} on the admin port, until SIGTERM.
 *
 * <p>Exit codes: 0 stopped by a signal; 1 the admin port cannot be bound; 2 bad arguments.
 *
 * <p>Thread safety: one run per instance (picocli creates one per command line).
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
    description = "Serve one shared Marathon event stream and app cache to this host's JVMs"
        + " (point MarathonSource at http://BIND:ADMIN_PORT).")
public final class RelayCommand implements Callable<Integer> {
  private static final System.Logger LOG = System.getLogger(RelayCommand.class.getName());

  @Option(names = "--marathon", split = ",", required = true, paramLabel = "URL",
      description = "Marathon URL(s), tried in order.")
  List<String> marathon = new ArrayList<>();

  @Option(names = "--bind", defaultValue = "127.0.0.1",
      description = "Address of the admin port (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--admin-port", defaultValue = "9091",
      description = "The admin port serving the relay (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    MarathonClient client;
    AdminServer admin;
    try {
      client = MarathonClient.builder().urls(marathon.toArray(String[]::new)).build();
      admin = new AdminServer(bind, adminPort);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    MarathonMirror mirror = MarathonMirror.builder(client).build();
    MarathonRelay relay = MarathonRelay.builder(mirror).install(admin);
    try {
      admin.start();
    } catch (IllegalStateException e) {
      LOG.log(Level.ERROR, e.getMessage());
      return 1;
    }
    mirror.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      relay.close();
      admin.close();
      mirror.close();
      stopped.countDown();
    }, "lodestar-relay-shutdown"));
    stopped.await();
    return 0;
  }
}
