package dev.lodestar.agent.haproxy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * {@code lodestar haproxy --config FILE --watch} wired as the command wires it, run in-process so
 * a test can read the watcher's counters, with HAProxy (master-worker) on loopback ports.
 */
final class RunningBridge implements AutoCloseable {
  final int httpPort;
  final int httpsPort;
  final int statsPort;
  final Path config;
  final HaproxyWatcher watcher;
  private final HaproxyCommand.Runtime runtime;
  private final ConfigInstaller.Reloader reloader;

  RunningBridge(Path dir, FixtureMarathon marathon, String... extra) throws IOException {
    String haproxy = HaproxyBinary.require();
    httpPort = Loopback.freePort();
    httpsPort = Loopback.freePort();
    statsPort = Loopback.freePort();
    config = dir.resolve("haproxy.cfg");
    List<String> args = new ArrayList<>(List.of("--marathon", marathon.url(),
        "--config", config.toString(), "--watch", "--haproxy", haproxy,
        "--bind-addr", "127.0.0.1", "--http-port", "" + httpPort, "--https-port", "" + httpsPort,
        "--stats-port", "" + statsPort, "--min-reload-interval", "200ms",
        "--poll-interval", "500ms"));
    args.addAll(List.of(extra));
    HaproxyCommand cmd = new HaproxyCommand();
    new CommandLine(cmd).parseArgs(args.toArray(new String[0]));
    runtime = cmd.open(new Templates(cmd.templates));
    reloader = cmd.reloader();
    watcher = runtime.watch(new ConfigInstaller(haproxy, config, reloader),
        cmd.minReloadInterval, cmd.pollInterval);
  }

  /** The running HAProxy master, once the first config is installed. */
  HaproxyProcess haproxy() {
    return reloader instanceof ConfigInstaller.MasterWorker mw ? mw.process() : null;
  }

  @Override
  public void close() {
    watcher.close();
    reloader.close();
    runtime.close();
  }
}
