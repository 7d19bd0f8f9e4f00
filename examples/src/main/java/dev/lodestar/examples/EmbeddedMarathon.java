package dev.lodestar.examples;

import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A Marathon cluster for the demo and the example tests: one app with an HTTP health check, its
 * tasks in the REST shapes of Marathon 1.5+ (as in the fixtures), served by discovery-testing's
 * {@link FakeMarathon} on loopback with its {@code /v2/events} stream (a bare CRLF heartbeat every
 * second). This class keeps the tasks and their health; the fake does the HTTP.
 *
 * <p>Thread safety: safe for concurrent use; the REST answers always reflect the last change,
 * which is made before its events are sent (clients re-read the app on every event).
 */
final class EmbeddedMarathon implements Cluster {
  private static final String VERSION = "2026-11-24T10:00:00.000Z";
  private static final String AGENT = "7f1c3f6e-58c2-4b8e-9c0b-b0d1d2e3f4a5-S";

  private final String appId;
  private final FakeMarathon server;
  private final Map<AppInstance, Task> tasks = new LinkedHashMap<>();

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
    this.server = new FakeMarathon().heartbeat(Duration.ofSeconds(1));
    publish();
  }

  @Override
  public String backend() {
    return "marathon";
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234}. */
  String url() {
    return server.url();
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
    publish();
  }

  @Override
  public void launchTask(AppInstance app) {
    Task t;
    synchronized (this) {
      t = new Task(appId, tasks.size() + 1);
      tasks.put(app, t);
    }
    publish();
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
    publish();
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
    publish();
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
    server.event(type, json);
  }

  /** Serves the app as it is now; called after every change, before the change's events. */
  private synchronized void publish() {
    server.putApp(appId, appJson());
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

  @Override
  public void close() {
    server.close();
  }
}
