package dev.lodestar.benchmarks.load;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One application instance: a JDK {@link HttpServer} on a loopback ephemeral port, with its own
 * executor, that answers every request with {@code 200 ok} after a configurable service time.
 *
 * <p>The service time is a timed wait, not CPU work, so a slow instance does not slow the others
 * down on a small machine. {@link #kill()} stops the server: its port then refuses connections.
 *
 * <p>Thread safety: safe for concurrent use.
 */
final class Backend implements AutoCloseable {
  private static final byte[] OK = "ok".getBytes(StandardCharsets.US_ASCII);

  private final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private volatile long serviceNanos;
  private volatile boolean killed;

  Backend(String name, long serviceNanos) throws IOException {
    this.name = name;
    this.serviceNanos = serviceNanos;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "backend-" + name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  String name() {
    return name;
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Changes the service time of later requests. */
  void serviceNanos(long nanos) {
    this.serviceNanos = nanos;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
      long deadline = System.nanoTime() + serviceNanos;
      for (long left = serviceNanos; left > 0; left = deadline - System.nanoTime()) {
        LockSupport.parkNanos(left);
      }
      ex.sendResponseHeaders(200, OK.length);
      ex.getResponseBody().write(OK);
    } finally {
      ex.close();
    }
  }

  /**
   * Stops the server at once: the listening socket closes (later connections are refused) and so
   * do open connections, as when the process dies.
   */
  void kill() {
    if (killed) {
      return;
    }
    killed = true;
    server.stop(0);
    executor.shutdownNow();
  }

  /**
   * Stops the server after the requests it is serving have been answered, waiting at most {@code
   * graceSeconds}, as an application that drains on SIGTERM.
   */
  void drainAndStop(int graceSeconds) throws InterruptedException {
    if (killed) {
      return;
    }
    killed = true;
    server.stop(graceSeconds);
    executor.shutdown();
    executor.awaitTermination(graceSeconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    kill();
  }
}
