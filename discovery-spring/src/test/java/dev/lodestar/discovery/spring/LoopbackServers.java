package dev.lodestar.discovery.spring;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Real HTTP servers on loopback for the tests: app instances and a minimal Marathon. */
final class LoopbackServers {
  private LoopbackServers() {}

  /**
   * An app instance: answers every request with its name and counts them. While {@link #gate} is
   * set, a request waits for it (30 s at most) before answering, so a test can hold a call open.
   */
  static final class Backend implements AutoCloseable {
    final String name;
    final AtomicInteger requests = new AtomicInteger();
    volatile CountDownLatch gate;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    Backend(String name) throws IOException {
      this.name = name;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setExecutor(threads); // a held request must not hold up the others
      server.createContext("/", ex -> {
        requests.incrementAndGet();
        CountDownLatch held = gate;
        if (held != null) {
          try {
            held.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        send(ex, 200, name, "text/plain");
      });
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      CountDownLatch held = gate;
      if (held != null) {
        held.countDown();
      }
      server.stop(0);
      threads.shutdownNow();
    }
  }

  /**
   * A Marathon serving {@code GET /v2/apps/{id}} (Marathon 1.5+ shape, tasks embedded, every task
   * healthy) for the apps it was given, 404 for any other app, and no event stream (404): on
   * discovery-testing's {@link FakeMarathon}.
   */
  static final class Marathon implements AutoCloseable {
    private final FakeMarathon server = new FakeMarathon().eventStatus(404);

    Marathon() throws IOException {}

    Marathon app(String appId, List<Integer> ports) {
      server.putApp(appId, appJson(appId, ports));
      return this;
    }

    String url() {
      return server.url();
    }

    private static String appJson(String appId, List<Integer> ports) {
      StringBuilder tasks = new StringBuilder();
      for (int i = 0; i < ports.size(); i++) {
        String taskId = appId.substring(1).replace('/', '_') + ".task-" + i;
        tasks.append(i == 0 ? "" : ",")
            .append("{\"id\":\"").append(taskId).append("\",\"appId\":\"").append(appId)
            .append("\",\"host\":\"127.0.0.1\",\"ports\":[").append(ports.get(i))
            .append("],\"state\":\"TASK_RUNNING\",\"startedAt\":\"2026-12-01T08:00:00.000Z\",")
            .append("\"healthCheckResults\":[{\"alive\":true,\"consecutiveFailures\":0,")
            .append("\"instanceId\":\"").append(taskId).append("\"}]}");
      }
      return "{\"id\":\"" + appId + "\",\"instances\":" + ports.size() + ","
          + "\"portDefinitions\":[{\"port\":10000,\"protocol\":\"tcp\",\"name\":\"http\"}],"
          + "\"healthChecks\":[{\"protocol\":\"HTTP\",\"path\":\"/\",\"portIndex\":0}],"
          + "\"labels\":{\"team\":\"shop\"},\"tasks\":[" + tasks + "]}";
    }

    @Override
    public void close() {
      server.close();
    }
  }

  static void send(HttpExchange ex, int status, String body, String type) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }
}
