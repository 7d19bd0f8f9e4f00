package dev.lodestar.agent.haproxy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One HAProxy in master-worker mode, started and reloaded by the bridge: {@code haproxy -W -db -S
 * <socket> -f <config>}. A reload is the master CLI's {@code reload} command (the same as {@code
 * SIGUSR2}): the master re-executes itself, starts new workers on the new config, hands them the
 * listening sockets, and the old workers finish their connections and exit. Because the listening
 * sockets are passed on rather than re-bound, no connection is refused during a reload.
 *
 * <p>{@link #reload} waits until the master counts one more reload ({@code show proc}), so the
 * caller can measure it, and fails when the master counts it as failed (the new config did not
 * load; the old workers keep serving the old one).
 *
 * <p>Thread safety: {@link #reload} and {@link #stop} are synchronized.
 */
final class HaproxyProcess implements AutoCloseable {
  /** {@code show proc}: {@code <pid> master <reloads> [failed: n] <uptime> <version>}. */
  private static final Pattern MASTER_LINE = Pattern.compile(
      "^(\\d+)\\s+master\\s+(\\d+)(?:\\s+\\[failed:\\s*(\\d+)\\])?", Pattern.MULTILINE);

  private final Process process;
  private final Path socket;
  private final Path log;

  private HaproxyProcess(Process process, Path socket, Path log) {
    this.process = process;
    this.socket = socket;
    this.log = log;
  }

  /** The master's reload counters from {@code show proc}; {@code failed} is 0 when not shown. */
  private record Reloads(int reloads, int failed) {}

  /**
   * Starts HAProxy on {@code config} and waits until its master CLI answers.
   *
   * @param log where HAProxy's own output goes
   * @throws IOException when it cannot start or does not come up within {@code timeout}
   */
  static HaproxyProcess start(String haproxy, Path config, Path socket, Path log,
      Duration timeout) throws IOException, InterruptedException {
    Files.deleteIfExists(socket);
    ProcessBuilder pb = new ProcessBuilder(haproxy, "-W", "-db", "-S", socket.toString(), "-f",
        config.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process p = pb.start();
    HaproxyProcess h = new HaproxyProcess(p, socket, log);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("haproxy exited with " + p.exitValue() + " at start; see " + log);
      }
      try {
        if (h.reloads() >= 0) {
          return h;
        }
      } catch (IOException notYet) {
        // the master has not opened its socket yet
      }
      Thread.sleep(20);
    }
    h.close();
    throw new IOException("haproxy did not answer on " + socket + " within " + timeout);
  }

  /** The master's process id. */
  long pid() {
    return process.pid();
  }

  /** Whether the master is running. */
  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Asks the master to reload and waits until it reports the reload.
   *
   * @throws IOException when the master does not answer or does not reload within {@code timeout},
   *     or reports the reload failed (a config {@code haproxy -c} accepts can still fail to load,
   *     e.g. a frontend port taken): the master then goes on serving the previous config
   */
  synchronized void reload(Duration timeout) throws IOException, InterruptedException {
    Reloads before = counters();
    try {
      command("reload");
    } catch (IOException expected) {
      // The master closes its CLI connections when it re-executes.
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("haproxy master exited during a reload");
      }
      Reloads now;
      try {
        now = counters();
      } catch (IOException notYet) {
        // the master is re-executing
        Thread.sleep(10);
        continue;
      }
      if (now.reloads() > before.reloads()) {
        if (now.failed() > before.failed()) {
          throw new IOException("haproxy could not load the new config and keeps serving the"
              + " previous one; see " + log);
        }
        return;
      }
      Thread.sleep(10);
    }
    throw new IOException("haproxy did not report the reload within " + timeout);
  }

  /** The master's reload counter from {@code show proc}. */
  int reloads() throws IOException {
    return counters().reloads();
  }

  private Reloads counters() throws IOException {
    String out = command("show proc");
    Matcher m = MASTER_LINE.matcher(out);
    if (m.find()) {
      return new Reloads(Integer.parseInt(m.group(2)),
          m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
    }
    throw new IOException("unexpected 'show proc' answer: " + out);
  }

  /** Sends one master CLI command and returns the answer. */
  private String command(String command) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
      // The master answers and closes once it sees the end of the input.
      ch.shutdownOutput();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      StringBuilder out = new StringBuilder();
      while (ch.read(buf) > 0) {
        buf.flip();
        out.append(StandardCharsets.US_ASCII.decode(buf));
        buf.clear();
      }
      return out.toString();
    }
  }

  /** Stops HAProxy (SIGTERM to the master, which stops the workers) and waits for it. */
  synchronized void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
