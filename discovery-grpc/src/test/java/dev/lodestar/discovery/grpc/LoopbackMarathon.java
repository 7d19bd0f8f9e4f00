package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Marathon on loopback for the tests, on discovery-testing's {@link FakeMarathon}: {@code GET
 * /v2/apps/{id}?embed=app.tasks}, {@code GET /v2/apps?embed=apps.tasks} (Marathon 1.5+ shapes,
 * every task running and healthy) and the {@code /v2/events} stream, on which {@link #setTasks}
 * announces each change with a {@code status_update_event} after the REST answers already show it.
 */
final class LoopbackMarathon implements AutoCloseable {
  private final FakeMarathon server = new FakeMarathon().heartbeat(Duration.ofSeconds(1));

  LoopbackMarathon() throws IOException {}

  String url() {
    return server.url();
  }

  String authority() {
    return server.url().substring("http://".length());
  }

  /**
   * Sets an app's tasks (one per port on 127.0.0.1) and announces the last one on the event
   * stream: its status update, then its first (passing) health result.
   */
  synchronized void setTasks(String appId, List<Integer> ports) {
    server.putApp(appId, appJson(appId, ports));
    server.event("status_update_event", "{\"eventType\":\"status_update_event\",\"appId\":\""
        + appId + "\",\"taskId\":\"" + taskId(appId, ports.size() - 1)
        + "\",\"taskStatus\":\"TASK_RUNNING\",\"host\":\"127.0.0.1\",\"ports\":["
        + (ports.isEmpty() ? "" : ports.get(ports.size() - 1))
        + "],\"slaveId\":\"agent-1\",\"version\":\"2026-12-01T00:00:00.000Z\","
        + "\"timestamp\":\"2026-12-01T00:00:00.000Z\"}");
    if (!ports.isEmpty()) {
      // Its TCP check passes: Marathon announces the first result.
      server.event("health_status_changed_event", "{\"eventType\":\"health_status_changed_event\","
          + "\"appId\":\"" + appId + "\",\"taskId\":\"" + taskId(appId, ports.size() - 1)
          + "\",\"instanceId\":\"" + taskId(appId, ports.size() - 1) + "\",\"alive\":true,"
          + "\"version\":\"2026-12-01T00:00:00.000Z\",\"timestamp\":\"2026-12-01T00:00:00.000Z\"}");
    }
  }

  private static String taskId(String appId, int i) {
    return appId.substring(1).replace('/', '_') + ".task-" + i;
  }

  private static String appJson(String appId, List<Integer> ports) {
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

  @Override
  public void close() {
    server.close();
  }
}
