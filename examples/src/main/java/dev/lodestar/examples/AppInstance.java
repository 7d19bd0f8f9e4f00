package dev.lodestar.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One instance of the demo app: a real HTTP server on loopback that answers every request with
 * its name after {@link #delayMillis(int)} milliseconds. {@link #kill()} closes it the way a
 * crashed process goes away: new connections are refused.
 */
final class AppInstance {
  private final String name;
  private final HttpServer server;
  private final ExecutorService threads;
  private volatile int delayMillis;
  private volatile boolean killed;

  private AppInstance(String name, int delayMillis) throws IOException {
    this.name = name;
    this.delayMillis = delayMillis;
    // 127.0.0.1 itself, the host it reports: getLoopbackAddress() is ::1 in a JVM preferring IPv6.
    this.server = HttpServer.create(
        new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 0);
    this.threads = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/", exchange -> {
      int delay = this.delayMillis;
      if (delay > 0) {
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body = name.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/plain");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    });
    server.start();
  }

  /** Starts an instance on 127.0.0.1 and a free port. */
  static AppInstance start(String name, int delayMillis) throws IOException {
    // The JDK server writes headers and body separately; without TCP_NODELAY each small response
    // waits ~40 ms for a delayed ACK, which would drown the latencies the demo shows.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    return new AppInstance(name, delayMillis);
  }

  String name() {
    return name;
  }

  String host() {
    return "127.0.0.1";
  }

  int port() {
    return server.getAddress().getPort();
  }

  String address() {
    return host() + ":" + port();
  }

  int delayMillis() {
    return delayMillis;
  }

  void delayMillis(int millis) {
    this.delayMillis = millis;
  }

  boolean killed() {
    return killed;
  }

  /** Stops listening and drops open connections: from now on connections are refused. */
  void kill() {
    if (!killed) {
      killed = true;
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
