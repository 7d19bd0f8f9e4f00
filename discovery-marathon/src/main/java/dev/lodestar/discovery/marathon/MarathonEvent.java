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
 */
record MarathonEvent(String type, List<String> appIds, String taskId, String instanceId,
    String taskStatus, String condition, Boolean healthy) {

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
        condition, healthy);
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
