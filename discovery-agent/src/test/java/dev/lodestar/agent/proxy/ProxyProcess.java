package dev.lodestar.agent.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * {@code java -jar lodestar.jar proxy ...} as a child process, its output in a log file under
 * {@code target/}, its admin JSON read over HTTP.
 */
final class ProxyProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Duration WAIT = Duration.ofSeconds(60);

  private final Process process;
  private final Path log;
  private final int adminPort;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private ProxyProcess(Process process, Path log, int adminPort) {
    this.process = process;
    this.log = log;
    this.adminPort = adminPort;
  }

  /** The jar the build made: failsafe passes its path; a run from an IDE falls back to target/. */
  static Path jar() {
    String p = System.getProperty("lodestar.jar");
    Path jar = p != null ? Paths.get(p) : Paths.get("target", "lodestar.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar.toAbsolutePath() + " is missing: run mvn package first");
    }
    return jar;
  }

  /** Starts {@code lodestar proxy --admin-port <free> <args>}. */
  static ProxyProcess start(String name, String... args) throws IOException {
    int admin = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.add("proxy");
    cmd.add("--admin-port");
    cmd.add(String.valueOf(admin));
    cmd.addAll(List.of(args));
    Path dir = Paths.get("target", "proxy-logs");
    Files.createDirectories(dir);
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    return new ProxyProcess(p, log, admin);
  }

  /** A port free right now on 127.0.0.1. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The proxy's admin JSON ({@code GET /proxy}), or null while the admin port is not up. */
  JsonNode state() {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + adminPort + "/proxy")).timeout(Duration.ofSeconds(10))
          .build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The listener entry for {@code port}, or null. */
  JsonNode listener(int port) {
    JsonNode s = state();
    if (s == null) {
      return null;
    }
    for (JsonNode l : s.path("listeners")) {
      if (l.path("port").asInt() == port) {
        return l;
      }
    }
    return null;
  }

  /** Waits until the admin JSON satisfies {@code condition}. */
  void awaitState(String what, Predicate<JsonNode> condition) {
    await(what, () -> {
      JsonNode s = state();
      return s != null && condition.test(s);
    });
  }

  /** Waits until port {@code port} is listening with at least {@code instances} instances. */
  void awaitListening(int port, int instances) {
    await("listener on " + port + " with " + instances + " instance(s)", () -> {
      JsonNode l = listener(port);
      return l != null && l.path("listening").asBoolean()
          && l.path("instances").size() >= instances;
    });
  }

  /** Waits until the log contains {@code text}. */
  void awaitLog(String text) {
    await("log line containing '" + text + "'", () -> log().contains(text));
  }

  String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new AssertionError("proxy exited (" + process.exitValue() + ") waiting for " + what
            + "; log:\n" + log());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what + "; log:\n" + log());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  /** Sends SIGTERM. */
  void terminate() {
    process.destroy();
  }

  /** Waits for the exit; returns the exit code. */
  int awaitExit() throws InterruptedException {
    if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
      throw new AssertionError("proxy did not exit; log:\n" + log());
    }
    return process.exitValue();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
