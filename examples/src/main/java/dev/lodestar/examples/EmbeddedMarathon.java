package dev.lodestar.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.spi.ServiceSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Marathon-compatible server on loopback, for the demo and the example tests: one app with an
 * HTTP health check, its tasks in the REST shapes of Marathon 1.5+ ({@code GET
 * /v2/apps/{id}?embed=app.tasks} and {@code GET /v2/apps?embed=apps.tasks}, as in the
 * fixtures) and the {@code /v2/events} stream ({@code event:}/{@code data:} lines, CRLF, an {@code
 * event_stream_attached} first, a bare CRLF heartbeat every second). Every other path is 404.
 *
 * <p>Thread safety: safe for concurrent use; the REST answers always reflect the last change,
 * which is made before its events are sent (clients re-read the app on every event).
 */
final class EmbeddedMarathon implements Cluster {
  private static final String VERSION = "2026-11-24T10:00:00.000Z";
  private static final String AGENT = "7f1c3f6e-58c2-4b8e-9c0b-b0d1d2e3f4a5-S";

  private final String appId;
  private final HttpServer server;
  private final ExecutorService threads;
  private final Map<AppInstance, Task> tasks = new LinkedHashMap<>();
  private final List<BlockingQueue<String>> streams = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  /** One Marathon task: its ids and what its health check said last (null: no result yet). */
  private static final class Task {
    final String instanceId;
    final String taskId;
    final String startedAt = Instant.now().toString();
    final int agent;
    Boolean alive;
    String lastSuccess;
    String lastFailure;

    Task(String appId, int agent) {
      String safeId = appId.substring(1).replace('/', '_');
      this.instanceId = safeId + ".instance-" + UUID.randomUUID();
      this.taskId = instanceId + "._app.1";
      this.agent = agent;
    }
  }

  EmbeddedMarathon(String appId) throws IOException {
    this.appId = appId;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "embedded-marathon");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  @Override
  public String backend() {
    return "marathon";
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public String address() {
    return url();
  }

  @Override
  public ServiceSource newSource() {
    return MarathonSource.builder().url(url()).build();
  }

  @Override
  public void addHealthyTask(AppInstance app) {
    synchronized (this) {
      Task t = new Task(appId, tasks.size() + 1);
      t.alive = true;
      t.lastSuccess = Instant.now().toString();
      tasks.put(app, t);
    }
  }

  @Override
  public void launchTask(AppInstance app) {
    Task t;
    synchronized (this) {
      t = new Task(appId, tasks.size() + 1);
      tasks.put(app, t);
    }
    event("status_update_event", statusUpdate(app, t, "TASK_RUNNING"));
    event("instance_changed_event", "{\"instanceId\":\"" + t.instanceId
        + "\",\"condition\":\"Running\",\"runSpecId\":\"" + appId + "\",\"agentId\":\"" + AGENT
        + t.agent + "\",\"host\":\"" + app.host() + "\",\"runSpecVersion\":\"" + VERSION
        + "\",\"timestamp\":\"" + Instant.now() + "\",\"eventType\":\"instance_changed_event\"}");
  }

  @Override
  public void healthCheckPassed(AppInstance app) {
    health(app, true);
  }

  @Override
  public String healthCheckFailed(AppInstance app) {
    health(app, false);
    return "instance_health_changed_event healthy=false";
  }

  private void health(AppInstance app, boolean alive) {
    Task t;
    synchronized (this) {
      t = tasks.get(app);
      if (t == null) {
        return;
      }
      t.alive = alive;
      if (alive) {
        t.lastSuccess = Instant.now().toString();
      } else {
        t.lastFailure = Instant.now().toString();
      }
    }
    String now = Instant.now().toString();
    event("health_status_changed_event", "{\"eventType\":\"health_status_changed_event\","
        + "\"timestamp\":\"" + now + "\",\"appId\":\"" + appId + "\",\"instanceId\":\""
        + t.instanceId + "\",\"version\":\"" + VERSION + "\",\"alive\":" + alive + "}");
    event("instance_health_changed_event", "{\"instanceId\":\"" + t.instanceId
        + "\",\"runSpecVersion\":\"" + VERSION + "\",\"healthy\":" + alive + ",\"runSpecId\":\""
        + appId + "\",\"timestamp\":\"" + now + "\",\"eventType\":\"instance_health_changed_event\"}");
  }

  @Override
  public void taskEnded(AppInstance app, String state) {
    Task t;
    synchronized (this) {
      t = tasks.remove(app); // Marathon lists active tasks only
    }
    if (t != null) {
      event("status_update_event", statusUpdate(app, t, state));
    }
  }

  private String statusUpdate(AppInstance app, Task t, String state) {
    return "{\"slaveId\":\"" + AGENT + t.agent + "\",\"taskId\":\"" + t.taskId
        + "\",\"taskStatus\":\"" + state + "\",\"message\":\"\",\"appId\":\"" + appId
        + "\",\"host\":\"" + app.host() + "\",\"ports\":[" + app.port() + "],"
        + "\"ipAddresses\":[{\"ipAddress\":\"127.0.0.1\",\"protocol\":\"IPv4\"}],"
        + "\"version\":\"" + VERSION + "\",\"eventType\":\"status_update_event\","
        + "\"timestamp\":\"" + Instant.now() + "\"}";
  }

  /** Sends one event to every connected client. */
  private void event(String type, String json) {
    String frame = "event: " + type + "\r\ndata: " + json + "\r\n\r\n";
    for (BlockingQueue<String> q : streams) {
      q.add(frame);
    }
  }

  private synchronized String appJson() {
    StringBuilder json = new StringBuilder(2048);
    int healthy = 0;
    int unhealthy = 0;
    List<String> taskJson = new ArrayList<>();
    for (Map.Entry<AppInstance, Task> e : tasks.entrySet()) {
      AppInstance app = e.getKey();
      Task t = e.getValue();
      healthy += Boolean.TRUE.equals(t.alive) ? 1 : 0;
      unhealthy += Boolean.FALSE.equals(t.alive) ? 1 : 0;
      String results = t.alive == null ? "[]" : "[{\"alive\":" + t.alive
          + ",\"consecutiveFailures\":" + (t.alive ? 0 : 3)
          + ",\"firstSuccess\":" + quoted(t.lastSuccess)
          + ",\"lastFailure\":" + quoted(t.lastFailure)
          + ",\"lastSuccess\":" + quoted(t.lastSuccess)
          + ",\"lastFailureCause\":" + (t.alive ? "null" : "\"ConnectionAttemptFailedException\"")
          + ",\"instanceId\":\"" + t.instanceId + "\"}]";
      taskJson.add("{\"ipAddresses\":[{\"ipAddress\":\"127.0.0.1\",\"protocol\":\"IPv4\"}],"
          + "\"stagedAt\":\"" + t.startedAt + "\",\"state\":\"TASK_RUNNING\","
          + "\"ports\":[" + app.port() + "],\"startedAt\":\"" + t.startedAt + "\","
          + "\"version\":\"" + VERSION + "\",\"id\":\"" + t.taskId + "\",\"appId\":\"" + appId
          + "\",\"slaveId\":\"" + AGENT + t.agent + "\",\"host\":\"" + app.host() + "\","
          + "\"servicePorts\":[10000],\"healthCheckResults\":" + results + "}");
    }
    json.append("{\"id\":\"").append(appId).append("\",\"cmd\":\"./web --port $PORT0\",")
        .append("\"instances\":").append(tasks.size()).append(",\"cpus\":0.1,\"mem\":64,")
        .append("\"portDefinitions\":[{\"port\":10000,\"protocol\":\"tcp\",\"name\":\"http\",")
        .append("\"labels\":{}}],\"networks\":[{\"mode\":\"host\"}],")
        .append("\"healthChecks\":[{\"gracePeriodSeconds\":5,\"intervalSeconds\":1,")
        .append("\"maxConsecutiveFailures\":3,\"portIndex\":0,\"timeoutSeconds\":1,")
        .append("\"delaySeconds\":0,\"protocol\":\"MESOS_HTTP\",\"path\":\"/health\"}],")
        .append("\"labels\":{\"team\":\"demo\"},\"version\":\"").append(VERSION).append("\",")
        .append("\"tasksStaged\":0,\"tasksRunning\":").append(tasks.size())
        .append(",\"tasksHealthy\":").append(healthy)
        .append(",\"tasksUnhealthy\":").append(unhealthy)
        .append(",\"deployments\":[],\"tasks\":[").append(String.join(",", taskJson))
        .append("]}");
    return json.toString();
  }

  private static String quoted(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/v2/events")) {
        stream(ex);
      } else if (path.equals("/v2/apps" + appId)) {
        send(ex, 200, "{\"app\":" + appJson() + "}");
      } else if (path.equals("/v2/apps") || path.equals("/v2/apps/")) {
        send(ex, 200, "{\"apps\":[" + appJson() + "]}");
      } else {
        send(ex, 404, "{\"message\":\"App '" + path.replaceFirst("^/v2/apps", "")
            + "' does not exist\"}");
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
    if (!"text/event-stream".equals(ex.getRequestHeaders().getFirst("Accept"))) {
      send(ex, 406, "{\"message\":\"Accept: text/event-stream expected\"}");
      return;
    }
    BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    ex.getResponseHeaders().add("Content-Type", "text/event-stream;charset=utf-8");
    ex.getResponseHeaders().add("Connection", "close");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    String attached = "event: event_stream_attached\r\ndata: {\"remoteAddress\":\"127.0.0.1\","
        + "\"eventType\":\"event_stream_attached\",\"timestamp\":\"" + Instant.now() + "\"}"
        + "\r\n\r\n";
    out.write(attached.getBytes(StandardCharsets.UTF_8));
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
