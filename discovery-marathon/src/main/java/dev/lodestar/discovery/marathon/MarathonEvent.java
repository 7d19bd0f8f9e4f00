package dev.lodestar.discovery.marathon;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fields of one Marathon event that discovery uses. Payloads per Marathon's {@code
 * Events.scala}: {@code appId} or {@code runSpecId} name the app; {@code taskId}, {@code
 * instanceId}, {@code taskStatus}, {@code condition}, {@code alive} and {@code healthy} describe
 * the task; deployment events list their apps under {@code plan.steps[].actions[].app} and {@code
 * currentStep.actions[].app}; {@code api_post_event} under {@code appDefinition.id}.
 *
 * @param type the event type ({@code eventType}, or the SSE {@code event:} name)
 * @param appIds the apps the event concerns, possibly empty
 * @param taskId the task id, or {@code null}
 * @param instanceId the instance id, or {@code null}
 * @param taskStatus the Mesos state of a {@code status_update_event}, or {@code null}
 * @param condition the instance condition of an {@code instance_changed_event}, or {@code null}
 * @param healthy {@code alive} or {@code healthy}, or {@code null} when absent or null
 * @param host the agent host of a task event, or {@code null}
 * @param ports the host ports of a {@code status_update_event}, or {@code null} when absent
 * @param ipAddresses the task's container IP addresses of a {@code status_update_event}, possibly
 *     empty
 */
record MarathonEvent(String type, List<String> appIds, String taskId, String instanceId,
    String taskStatus, String condition, Boolean healthy, String host, int[] ports,
    List<String> ipAddresses) {

  private static final JsonFactory JSON = new JsonFactory();

  /** Decodes an event's data; {@code sseName} wins over {@code eventType} when both are present. */
  static MarathonEvent decode(String sseName, String data) throws IOException {
    String type = sseName;
    List<String> apps = new ArrayList<>(1);
    String taskId = null;
    String instanceId = null;
    String taskStatus = null;
    String condition = null;
    Boolean healthy = null;
    String host = null;
    int[] ports = null;
    List<String> ipAddresses = List.of();
    try (JsonParser p = JSON.createParser(data)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("event data is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken v = p.nextToken();
        switch (f) {
          case "eventType":
            if (type == null || type.isEmpty()) {
              type = stringOrNull(p, v);
            }
            break;
          case "appId":
          case "runSpecId":
            addApp(apps, stringOrNull(p, v));
            break;
          case "taskId":
            taskId = stringOrNull(p, v);
            break;
          case "instanceId":
            instanceId = stringOrNull(p, v);
            break;
          case "taskStatus":
            taskStatus = stringOrNull(p, v);
            break;
          case "condition":
            condition = stringOrNull(p, v);
            break;
          case "alive":
          case "healthy":
            healthy = v == JsonToken.VALUE_TRUE ? Boolean.TRUE
                : v == JsonToken.VALUE_FALSE ? Boolean.FALSE : null;
            break;
          case "host":
            host = stringOrNull(p, v);
            break;
          case "ports":
            ports = ports(p, v);
            break;
          case "ipAddresses":
            ipAddresses = ipAddresses(p, v);
            break;
          case "appDefinition":
            if (v == JsonToken.START_OBJECT) {
              collectAppIds(p, apps, "id");
            }
            break;
          case "plan":
          case "currentStep":
            if (v.isStructStart()) {
              collectAppIds(p, apps, "app");
            }
            break;
          default:
            p.skipChildren();
        }
      }
    }
    return new MarathonEvent(type == null ? "" : type, apps, taskId, instanceId, taskStatus,
        condition, healthy, host, ports, ipAddresses);
  }

  /** Reads {@code [31000, 31001]}; a non-number entry makes the whole list unknown (null). */
  private static int[] ports(JsonParser p, JsonToken v) throws IOException {
    if (v != JsonToken.START_ARRAY) {
      p.skipChildren();
      return null;
    }
    List<Integer> out = new ArrayList<>(2);
    boolean bad = false;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == null) {
        throw new IOException("truncated event");
      }
      if (t == JsonToken.VALUE_NUMBER_INT) {
        out.add(p.getIntValue());
      } else {
        bad = true;
        p.skipChildren();
      }
    }
    return bad ? null : out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Reads {@code [{"ipAddress": "10.0.0.5", "protocol": "IPv4"}]}. */
  private static List<String> ipAddresses(JsonParser p, JsonToken v) throws IOException {
    if (v != JsonToken.START_ARRAY) {
      p.skipChildren();
      return List.of();
    }
    List<String> out = new ArrayList<>(1);
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == null) {
        throw new IOException("truncated event");
      }
      if (t != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken value = p.nextToken();
        if (f.equals("ipAddress") && value == JsonToken.VALUE_STRING) {
          out.add(p.getText());
        } else {
          p.skipChildren();
        }
      }
    }
    return List.copyOf(out);
  }

  /** Walks the current structure and collects string values of fields named {@code key}. */
  private static void collectAppIds(JsonParser p, List<String> apps, String key)
      throws IOException {
    int depth = 1;
    while (depth > 0) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw new IOException("truncated event");
      }
      if (t.isStructStart()) {
        depth++;
      } else if (t.isStructEnd()) {
        depth--;
      } else if (t == JsonToken.FIELD_NAME && p.currentName().equals(key)) {
        JsonToken v = p.nextToken();
        if (v == JsonToken.VALUE_STRING) {
          // A plan's "id" is the deployment id; only app-shaped ids (absolute paths) count.
          addApp(apps, p.getText());
        } else if (v.isStructStart()) {
          depth++;
        }
      }
    }
  }

  private static void addApp(List<String> apps, String id) {
    if (id != null && id.startsWith("/") && !apps.contains(id)) {
      apps.add(id);
    }
  }

  private static String stringOrNull(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    p.skipChildren();
    return null;
  }
}
