package dev.lodestar.discovery.grpc;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Marathon on loopback for the tests: {@code GET /v2/apps/{id}?embed=app.tasks}, {@code GET
 * /v2/apps?embed=apps.tasks} (Marathon 1.5+ shapes, every task running and healthy) and the
 * {@code /v2/events} stream, on which {@link #setTasks} announces each change with a {@code
 * status_update_event} after the REST answers already show it.
 */
final class LoopbackMarathon implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "loopback-marathon");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, List<Integer>> apps = new LinkedHashMap<>();
  private final List<BlockingQueue<String>> streams = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  LoopbackMarathon() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  String authority() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** Sets an app's tasks (one per port on 127.0.0.1) and announces it on the event stream. */
  void setTasks(String appId, List<Integer> ports) {
    synchronized (this) {
      apps.put(appId, List.copyOf(ports));
    }
    String event = "{\"eventType\":\"status_update_event\",\"appId\":\"" + appId + "\","
        + "\"taskId\":\"" + taskId(appId, ports.size() - 1) + "\",\"taskStatus\":\"TASK_RUNNING\","
        + "\"host\":\"127.0.0.1\",\"ports\":[" + (ports.isEmpty() ? "" : ports.get(ports.size() - 1))
        + "],\"slaveId\":\"agent-1\",\"version\":\"2026-12-01T00:00:00.000Z\","
        + "\"timestamp\":\"2026-12-01T00:00:00.000Z\"}";
    for (BlockingQueue<String> q : streams) {
      q.add("event: status_update_event\r\ndata: " + event + "\r\n\r\n");
    }
  }

  private static String taskId(String appId, int i) {
    return appId.substring(1).replace('/', '_') + ".task-" + i;
  }

  private synchronized String appJson(String appId) {
    List<Integer> ports = apps.get(appId);
    List<String> tasks = new ArrayList<>();
    for (int i = 0; i < ports.size(); i++) {
      tasks.add("{\"id\":\"" + taskId(appId, i) + "\",\"appId\":\"" + appId + "\","
          + "\"host\":\"127.0.0.1\",\"ports\":[" + ports.get(i) + "],\"state\":\"TASK_RUNNING\","
          + "\"startedAt\":\"2026-12-01T00:00:00.000Z\",\"healthCheckResults\":[{\"alive\":true,"
          + "\"consecutiveFailures\":0,\"instanceId\":\"" + taskId(appId, i) + "\"}]}");
    }
    return "{\"id\":\"" + appId + "\",\"instances\":" + ports.size() + ","
        + "\"portDefinitions\":[{\"port\":10000,\"protocol\":\"tcp\",\"name\":\"grpc\"}],"
        + "\"healthChecks\":[{\"protocol\":\"TCP\",\"portIndex\":0}],\"labels\":{},"
        + "\"tasks\":[" + String.join(",", tasks) + "]}";
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/v2/events")) {
        stream(ex);
        return;
      }
      if (path.equals("/v2/apps") || path.equals("/v2/apps/")) {
        List<String> all = new ArrayList<>();
        synchronized (this) {
          for (String id : apps.keySet()) {
            all.add(appJson(id));
          }
        }
        send(ex, 200, "{\"apps\":[" + String.join(",", all) + "]}");
        return;
      }
      String appId = path.startsWith("/v2/apps/") ? path.substring("/v2/apps".length()) : "";
      String json;
      synchronized (this) {
        json = apps.containsKey(appId) ? appJson(appId) : null;
      }
      if (json == null) {
        send(ex, 404, "{\"message\":\"App '" + appId + "' does not exist\"}");
      } else {
        send(ex, 200, "{\"app\":" + json + "}");
      }
    } finally {
      ex.close();
    }
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private void stream(HttpExchange ex) throws IOException {
    BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(("event: event_stream_attached\r\ndata: {\"remoteAddress\":\"127.0.0.1\","
        + "\"eventType\":\"event_stream_attached\",\"timestamp\":\"2026-12-01T00:00:00.000Z\"}"
        + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    streams.add(queue);
    try {
      while (!closed) {
        String frame = queue.poll(1, TimeUnit.SECONDS);
        out.write((frame != null ? frame : "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client went away
    } finally {
      streams.remove(queue);
    }
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
    threads.shutdownNow();
  }
}
