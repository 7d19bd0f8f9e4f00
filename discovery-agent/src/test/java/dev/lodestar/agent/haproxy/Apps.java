package dev.lodestar.agent.haproxy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lodestar.agent.marathon.MarathonFixtures;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the {@code /v2/apps?embed=apps.tasks} document of a small test cluster: host-networking
 * apps whose tasks run on 127.0.0.1 at the ports of real loopback backends.
 */
final class Apps {
  private final Map<String, ObjectNode> apps = new LinkedHashMap<>();

  /** Adds (or replaces) app {@code id} with one port slot on {@code servicePort}. */
  ObjectNode app(String id, int servicePort, String... labels) {
    ObjectNode a = MarathonFixtures.JSON.createObjectNode();
    a.put("id", id);
    a.put("instances", 1);
    a.putArray("portDefinitions").addObject().put("port", servicePort).put("protocol", "tcp");
    ObjectNode l = a.putObject("labels");
    l.put("HAPROXY_GROUP", "external");
    for (int i = 0; i + 1 < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    a.putArray("healthChecks");
    a.putArray("tasks");
    apps.put(id, a);
    return a;
  }

  /** Adds a running task of app {@code id} on 127.0.0.1:{@code port}. */
  Apps task(String id, String taskId, int port) {
    ArrayNode tasks = (ArrayNode) apps.get(id).get("tasks");
    ObjectNode t = tasks.addObject();
    t.put("id", taskId);
    t.put("appId", id);
    t.put("host", "127.0.0.1");
    t.put("state", "TASK_RUNNING");
    t.putArray("ports").add(port);
    t.putArray("servicePorts").add(apps.get(id).get("portDefinitions").get(0).get("port"));
    return this;
  }

  /** Sets the Mesos state of a task, e.g. {@code TASK_KILLED}. */
  Apps state(String id, String taskId, String state) {
    for (var t : apps.get(id).get("tasks")) {
      if (t.get("id").asText().equals(taskId)) {
        ((ObjectNode) t).put("state", state);
      }
    }
    return this;
  }

  /** Sets a label of app {@code id}. */
  Apps label(String id, String key, String value) {
    ((ObjectNode) apps.get(id).get("labels")).put(key, value);
    return this;
  }

  /** Removes a label of app {@code id}. */
  Apps unlabel(String id, String key) {
    ((ObjectNode) apps.get(id).get("labels")).remove(key);
    return this;
  }

  ObjectNode document() {
    ObjectNode doc = MarathonFixtures.JSON.createObjectNode();
    ArrayNode arr = doc.putArray("apps");
    apps.values().forEach(a -> arr.add(a.deepCopy()));
    return doc;
  }
}
