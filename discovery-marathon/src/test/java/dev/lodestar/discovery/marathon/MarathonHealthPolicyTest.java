package dev.lodestar.discovery.marathon;

import static dev.lodestar.discovery.marathon.Mapping.app;
import static dev.lodestar.discovery.marathon.Mapping.defaults;
import static dev.lodestar.discovery.marathon.Mapping.editTasks;
import static dev.lodestar.discovery.marathon.Mapping.endpoints;
import static dev.lodestar.discovery.marathon.Mapping.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The three-valued health policy on every fixture with health results, and on variants derived
 * from them (results dropped as after a leader election, a check failing, a state change).
 */
class MarathonHealthPolicyTest {
  private static final String ZDD15 = "marathon-lb/tests-zdd_app_blue_marathon1.5.json";
  private static final String ZDD = "marathon-lb/tests-zdd_apps.json";
  private static final String LEGACY = "marathon/legacy-0.x-v2-apps-id.with-tasks.jsonc";
  private static final MarathonHealthPolicy LB = MarathonHealthPolicy.marathonLb();

  private static byte[] legacy() {
    return Fixtures.withoutLineComments(LEGACY);
  }

  /** Results sorted by task id: 01bf22d4 (:23336), 01da9a15 (:16916), 01dc95e6 (:31184). */
  private static final List<String> ZDD15_HEALTHY = List.of("10.0.6.25:23336 HEALTHY",
      "10.0.6.25:16916 HEALTHY", "10.0.6.25:31184 HEALTHY");

  @Test
  void everyFixtureWithResultsIsHealthyUnderBothPolicies() {
    for (MarathonHealthPolicy p : List.of(MarathonHealthPolicy.ofDefaults(), LB)) {
      assertEquals(ZDD15_HEALTHY, endpoints(with(p), app(Fixtures.bytes(ZDD15), "/nginx-green")));
      assertEquals(List.of("10.0.6.25:31184 HEALTHY", "10.0.6.25:16916 HEALTHY",
          "10.0.6.25:23336 HEALTHY"), endpoints(with(p),
              app(Fixtures.bytes("marathon-lb/tests-zdd_app_blue.json"), "/nginx-green")));
      assertEquals(List.of("10.0.1.147:25724 HEALTHY"),
          endpoints(with(p), app(Fixtures.bytes(ZDD), "/nginx-blue")));
      assertEquals(List.of("10.141.141.10:31234 HEALTHY", "10.141.141.10:31045 HEALTHY"),
          endpoints(with(p), app(legacy(), "/toggle")));
    }
  }

  @Test
  void afterLeaderElectionSeenHealthyTasksStayRoutable() {
    Set<String> seen = new HashSet<>();
    assertEquals(ZDD15_HEALTHY,
        endpoints(defaults(), app(Fixtures.bytes(ZDD15), "/nginx-green"), seen));
    assertEquals(3, seen.size());
    byte[] elected = editTasks(Fixtures.bytes(ZDD15), t -> t.remove("healthCheckResults"));
    assertEquals(List.of("10.0.6.25:23336 UNKNOWN", "10.0.6.25:16916 UNKNOWN",
        "10.0.6.25:31184 UNKNOWN"), endpoints(defaults(), app(elected, "/nginx-green"), seen));
  }

  @Test
  void whenEveryTaskIsUnknownAllAreRoutedUnlessSwitchedOff() {
    byte[] elected = editTasks(Fixtures.bytes(ZDD15), t -> t.remove("healthCheckResults"));
    assertEquals(List.of("10.0.6.25:23336 UNKNOWN", "10.0.6.25:16916 UNKNOWN",
        "10.0.6.25:31184 UNKNOWN"), endpoints(defaults(), app(elected, "/nginx-green")));
    MarathonHealthPolicy strict = MarathonHealthPolicy.custom().routeAllWhenAllUnknown(false)
        .build();
    assertEquals(List.of("10.0.6.25:23336 UNHEALTHY", "10.0.6.25:16916 UNHEALTHY",
        "10.0.6.25:31184 UNHEALTHY"), endpoints(with(strict), app(elected, "/nginx-green")));
    // marathon-lb keeps unknown tasks only if it saw them alive.
    assertEquals(List.of("10.0.6.25:23336 UNHEALTHY", "10.0.6.25:16916 UNHEALTHY",
        "10.0.6.25:31184 UNHEALTHY"), endpoints(with(LB), app(elected, "/nginx-green")));
  }

  @Test
  void aNewTaskIsNotRoutedBeforeItsFirstAliveResult() {
    byte[] oneNew = editTasks(Fixtures.bytes(ZDD15), t -> {
      if (t.get("id").asText().startsWith("nginx-green.01bf22d4")) {
        t.remove("healthCheckResults");
      }
    });
    assertEquals(List.of("10.0.6.25:23336 UNHEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:31184 HEALTHY"), endpoints(defaults(), app(oneNew, "/nginx-green")));
    MarathonHealthPolicy eager = MarathonHealthPolicy.custom().routeNewTasksWithoutResults(true)
        .build();
    assertEquals(List.of("10.0.6.25:23336 UNKNOWN", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:31184 HEALTHY"), endpoints(with(eager), app(oneNew, "/nginx-green")));
  }

  @Test
  void seenHealthyMemoryCanBeSwitchedOffAndForgetsGoneTasks() {
    Set<String> seen = new HashSet<>();
    endpoints(defaults(), app(Fixtures.bytes(ZDD15), "/nginx-green"), seen);
    byte[] oneUnknown = editTasks(Fixtures.bytes(ZDD15), t -> {
      if (t.get("id").asText().startsWith("nginx-green.01bf22d4")) {
        t.remove("healthCheckResults");
      }
    });
    MarathonHealthPolicy forgetful = MarathonHealthPolicy.custom()
        .keepSeenHealthyWhileUnknown(false).build();
    assertEquals("10.0.6.25:23336 UNHEALTHY", endpoints(with(forgetful),
        app(oneUnknown, "/nginx-green"), new HashSet<>(seen)).get(0));
    assertEquals("10.0.6.25:23336 UNKNOWN", endpoints(defaults(),
        app(oneUnknown, "/nginx-green"), seen).get(0));
    // The blue app's task list has none of the green tasks: the memory drops them.
    MarathonApp renamed = app(Fixtures.bytes(ZDD), "/nginx-blue");
    endpoints(defaults(), renamed, seen);
    assertEquals(Set.of("nginx-blue.3a58a46a-c937-11e5-9836-026ee08d9f6f"), seen);
  }

  @Test
  void oneFailingCheckOfTwoIsUnhealthyUnderAllAliveAndHealthyUnderAnyAlive() {
    byte[] oneFails = editTasks(legacy(), t -> {
      if (t.get("id").asText().startsWith("toggle.802df2ae")) {
        ((ObjectNode) t.get("healthCheckResults").get(1)).put("alive", false);
      }
    });
    assertEquals(List.of("10.141.141.10:31234 HEALTHY", "10.141.141.10:31045 UNHEALTHY"),
        endpoints(defaults(), app(oneFails, "/toggle")));
    assertEquals(List.of("10.141.141.10:31234 HEALTHY", "10.141.141.10:31045 HEALTHY"),
        endpoints(with(LB), app(oneFails, "/toggle")));
  }

  @Test
  void fewerResultsThanChecksIsUnknownNotHealthy() {
    byte[] oneResult = editTasks(legacy(), t -> {
      if (t.get("id").asText().startsWith("toggle.802df2ae")) {
        ((com.fasterxml.jackson.databind.node.ArrayNode) t.get("healthCheckResults")).remove(1);
      }
    });
    // The other task is healthy, so this one is a new unknown task: not routed.
    assertEquals(List.of("10.141.141.10:31234 HEALTHY", "10.141.141.10:31045 UNHEALTHY"),
        endpoints(defaults(), app(oneResult, "/toggle")));
  }

  @Test
  void statesDecideBeforeHealth() {
    byte[] states = editTasks(Fixtures.bytes(ZDD15), t -> {
      String id = t.get("id").asText();
      if (id.startsWith("nginx-green.01bf22d4")) {
        t.put("state", "TASK_KILLING");
      } else if (id.startsWith("nginx-green.01da9a15")) {
        t.put("state", "TASK_UNREACHABLE");
      } else {
        t.put("state", "TASK_KILLED");
      }
    });
    assertEquals(List.of("10.0.6.25:23336 UNHEALTHY", "10.0.6.25:16916 UNHEALTHY"),
        endpoints(defaults(), app(states, "/nginx-green")));
    // marathon-lb keeps unreachable (and lost) tasks.
    assertEquals(List.of("10.0.6.25:23336 UNHEALTHY", "10.0.6.25:16916 HEALTHY"),
        endpoints(with(LB), app(states, "/nginx-green")));
  }

  @Test
  void terminalStatesCannotBeMadeRoutable() {
    assertThrows(IllegalArgumentException.class, () -> MarathonHealthPolicy.custom()
        .extraRoutableStates(Set.of("TASK_KILLED")));
    assertEquals(LB, LB.toBuilder().build());
  }
}
