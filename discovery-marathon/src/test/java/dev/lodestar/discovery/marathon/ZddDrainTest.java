package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * marathon-lb's zero-downtime-deployment rules on its own fixture ({@code tests/zdd_apps.json}:
 * old {@code /nginx-green} with 3 tasks, new {@code /nginx-blue} with 1 healthy task) and on
 * variants of it that exercise each rule: the {@code lastScalingAt} swap, the target instances,
 * "any result alive" and groups that are not a pair.
 */
class ZddDrainTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ZDD = "marathon-lb/tests-zdd_apps.json";
  /** The first green task by id; its port is 31184, the server marathon-lb's test disables. */
  private static final String FIRST_GREEN = "nginx-green.0dbabba6-c931-11e5-9836-026ee08d9f6f";
  private static final String BLUE = "nginx-blue.3a58a46a-c937-11e5-9836-026ee08d9f6f";

  /** The fixture's apps by id, editable, and the document's app list (to add apps to). */
  record Apps(Map<String, ObjectNode> byId, ArrayNode list) {
    ObjectNode labels(String id) {
      return (ObjectNode) byId.get(id).get("labels");
    }

    void scaledAt(String id, String at) {
      ((ObjectNode) byId.get(id).get("versionInfo")).put("lastScalingAt", at);
    }

    void blueResults(boolean... alive) {
      ObjectNode task = (ObjectNode) byId.get("/nginx-blue").get("tasks").get(0);
      ArrayNode results = task.putArray("healthCheckResults");
      for (boolean a : alive) {
        results.addObject().put("alive", a).put("taskId", task.get("id").asText());
      }
    }
  }

  private static Map<String, Set<String>> drain(Consumer<Apps> edit) throws IOException {
    JsonNode root = JSON.readTree(Fixtures.bytes(ZDD));
    Map<String, ObjectNode> byId = new HashMap<>();
    for (JsonNode app : root.path("apps")) {
      byId.put(app.path("id").asText(), (ObjectNode) app);
    }
    edit.accept(new Apps(byId, (ArrayNode) root.path("apps")));
    return ZddDrain.compute(Mapping.parse(JSON.writeValueAsBytes(root)).apps());
  }

  @Test
  void theFixtureDrainsTheServerMarathonLbsOwnTestDisables() throws IOException {
    // test_zdd_app: green is older, blue has 1 healthy task, no NEW_INSTANCES so target 1:
    // min(3 old tasks, 1 healthy new, 1 + 3 - 1) = 1 green task, the first by id, and
    // marathon-lb's expected config disables 10.0.6.25:31184.
    Map<String, Set<String>> drain = drain(apps -> { });
    assertEquals(Map.of("/nginx-green", Set.of(FIRST_GREEN)), drain);
    MarathonApp green = Mapping.app(Fixtures.bytes(ZDD), "/nginx-green");
    List<String> mapped = Mapping.describe(Mapping.defaults().map("/nginx-green", green, 0,
        new HashSet<>(), drain.get("/nginx-green"), new ArrayList<>()));
    assertEquals(List.of("10.0.6.25:31184 UNHEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:23336 HEALTHY"), mapped);
  }

  @Test
  void withNewInstancesTheTargetComesFromTheNewApp() throws IOException {
    // Blue scaled last, so no swap; target = blue's TARGET_INSTANCES (3): min(3, 1, 1 + 3 - 3).
    assertEquals(Map.of("/nginx-green", Set.of(FIRST_GREEN)),
        drain(apps -> apps.labels("/nginx-blue").put(ZddDrain.NEW_INSTANCES, "1")));
    // Target 4: 1 healthy new + 3 old instances - 4 = nothing may drain yet.
    assertEquals(Map.of(), drain(apps -> {
      apps.labels("/nginx-blue").put(ZddDrain.NEW_INSTANCES, "1");
      apps.labels("/nginx-blue").put(ZddDrain.TARGET, "4");
    }));
  }

  @Test
  void theOldAppScaledLaterSwapsTheColours() throws IOException {
    // A rollback: green (older by STARTED_AT) scaled after blue, so blue is the old colour and
    // green, 3 healthy tasks with its target 3, drains blue's one task: min(1, 3, 3 + 1 - 3).
    assertEquals(Map.of("/nginx-blue", Set.of(BLUE)), drain(apps -> {
      apps.labels("/nginx-blue").put(ZddDrain.NEW_INSTANCES, "1");
      apps.labels("/nginx-green").put(ZddDrain.TARGET, "3");
      apps.scaledAt("/nginx-green", "2016-02-01T23:10:00.000Z");
    }));
    // Without NEW_INSTANCES marathon-lb never looks at the scaling times.
    assertEquals(Map.of("/nginx-green", Set.of(FIRST_GREEN)),
        drain(apps -> apps.scaledAt("/nginx-green", "2016-02-01T23:10:00.000Z")));
  }

  @Test
  void aNewTaskIsHealthyWhenAnyResultIsAlive() throws IOException {
    assertEquals(Map.of("/nginx-green", Set.of(FIRST_GREEN)),
        drain(apps -> apps.blueResults(true, false)));
    assertEquals(Map.of(), drain(apps -> apps.blueResults(false, false)));
    assertEquals(Map.of(), drain(apps -> apps.blueResults()));
  }

  @Test
  void aGroupThatIsNotAPairIsLeftAlone() throws IOException {
    assertEquals(Map.of(), drain(apps -> apps.labels("/nginx-blue").put(ZddDrain.GROUP, "x")));
    assertEquals(Map.of(), drain(apps -> {
      ObjectNode red = apps.byId().get("/nginx-blue").deepCopy();
      red.put("id", "/nginx-red");
      apps.list().add(red);
    }));
  }
}
