package dev.lodestar.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback stand-in for Marathon: {@code GET /v2/apps/{id}}, {@code GET /v2/apps} (tasks
 * embedded) and the {@code /v2/events} server-sent-event stream, enough for a real {@code
 * MarathonSource}, with task states and ports set per task. Shared by the convergence program
 * ({@code marathon.MarathonConvergence}) and the churn load scenario ({@code
 * load.LoadScenarios}).
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class FakeMarathon implements AutoCloseable {
  /** One task as the REST answer lists it. */
  public record Task(String id, int port, String state) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, String> apps = new ConcurrentHashMap<>();
  private final List<BlockingQueue<byte[]>> streams = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  public FakeMarathon() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-marathon");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Number of connected event-stream clients. */
  public int streamClients() {
    return streams.size();
  }

  /** Sets what the REST API lists for app {@code appId} (no health checks, one port). */
  public void setTasks(String appId, List<Task> tasks) {
    StringBuilder sb = new StringBuilder("{\"id\":\"").append(appId).append("\",\"instances\":")
        .append(tasks.size()).append(",\"portDefinitions\":[{\"port\":10000,\"name\":\"http\"}]"
            + ",\"healthChecks\":[],\"tasks\":[");
    for (int i = 0; i < tasks.size(); i++) {
      Task t = tasks.get(i);
      sb.append(i == 0 ? "" : ",").append("{\"id\":\"").append(t.id()).append("\",\"appId\":\"")
          .append(appId).append("\",\"host\":\"127.0.0.1\",\"ports\":[").append(t.port())
          .append("],\"state\":\"").append(t.state()).append("\"}");
    }
    apps.put(appId, sb.append("]}").toString());
  }

  /** Writes a {@code status_update_event} for one task to every connected stream. */
  public void emitStatusUpdate(String appId, Task task) {
    emit("status_update_event", "{\"eventType\":\"status_update_event\",\"taskId\":\""
        + task.id() + "\",\"taskStatus\":\"" + task.state() + "\",\"appId\":\"" + appId
        + "\",\"host\":\"127.0.0.1\",\"ports\":[" + task.port() + "]}");
  }

  private void emit(String type, String json) {
    byte[] b = ("event: " + type + "\r\ndata: " + json + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
    for (BlockingQueue<byte[]> q : streams) {
      q.add(b);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/v2/events")) {
        stream(ex);
        return;
      }
      String body;
      if (path.equals("/v2/apps")) {
        body = "{\"apps\":[" + String.join(",", apps.values()) + "]}";
      } else {
        String app = path.startsWith("/v2/apps/")
            ? apps.get(path.substring("/v2/apps".length()))
            : null;
        if (app == null) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        body = "{\"app\":" + app + "}";
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
    } finally {
      ex.close();
    }
  }

  /** Serves one event stream until the client leaves or the fake closes; a blank line each 5 s. */
  private void stream(HttpExchange ex) throws IOException {
    BlockingQueue<byte[]> q = new LinkedBlockingQueue<>();
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    streams.add(q);
    try {
      while (!closed) {
        byte[] chunk = q.poll(5, TimeUnit.SECONDS);
        out.write(chunk == null ? "\r\n".getBytes(StandardCharsets.US_ASCII) : chunk);
        out.flush();
      }
    } catch (InterruptedException | IOException e) {
      // client gone or shutting down
    } finally {
      streams.remove(q);
    }
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
    executor.shutdownNow();
  }
}
