package dev.lodestar.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs each example against the demo's embedded servers, so the README's code cannot rot. */
@Timeout(30)
class ExamplesTest {
  private final List<AppInstance> apps = new ArrayList<>();

  @AfterEach
  void stop() {
    apps.forEach(AppInstance::kill);
  }

  @Test
  void marathonRoundRobinSpreadsEvenlyOverTheHealthyTasks() throws Exception {
    try (EmbeddedMarathon marathon = new EmbeddedMarathon("/demo/web")) {
      start(marathon, 3);
      AppInstance unhealthy = AppInstance.start("web-unhealthy", 0);
      apps.add(unhealthy);
      marathon.launchTask(unhealthy); // running, no health result yet: not routed

      List<String> answers = MarathonRoundRobinExample.run(marathon.url(),
          URI.create("http://web.demo/"), 6);

      Map<String, Integer> perInstance = new HashMap<>();
      for (String answer : answers) {
        perInstance.merge(answer.substring(answer.indexOf(": ") + 2), 1, Integer::sum);
      }
      assertEquals(Map.of("web-1", 2, "web-2", 2, "web-3", 2), perInstance, answers.toString());
      assertTrue(answers.get(0).startsWith("127.0.0.1:"), answers.toString());
    }
  }

  @Test
  void dnsStickyKeepsEachSessionOnOneInstance() throws Exception {
    try (EmbeddedMesosDns dns = new EmbeddedMesosDns("/demo/web")) {
      start(dns, 3);
      Map<String, Set<String>> seen = DnsStickyExample.run(dns.nameServer(),
          URI.create("http://web.demo/"), 12, 3);

      assertEquals(12, seen.size());
      seen.forEach((session, instances) -> assertEquals(1, instances.size(), seen.toString()));
      assertTrue(seen.values().stream().distinct().count() > 1, "every session on one instance: "
          + seen);
    }
  }

  @Test
  void customStrategyStaysInZoneUntilTheZoneIsDown() {
    List<String> picks = CustomStrategyExample.run();

    // round-robin over zone a only, in instance-id order, starting at the first
    assertEquals(List.of("both zones up: a1", "both zones up: a2", "both zones up: a1",
        "both zones up: a2"), picks.subList(0, 4));
    for (String pick : picks.subList(4, 8)) {
      assertEquals("zone a down:    b1", pick);
    }
  }

  @Test
  void readmeShowsTheMarathonExampleAsItIs() throws Exception {
    Path readme = Path.of("..", "README.md");
    String source = Files.readString(
        Path.of("src/main/java/dev/lodestar/examples/MarathonRoundRobinExample.java"));
    String body = source.substring(source.indexOf("import ")).strip();
    assertTrue(Files.readString(readme).contains("```java\n" + body + "\n```"),
        "README.md's Examples section differs from MarathonRoundRobinExample.java");
  }

  private void start(Cluster cluster, int n) throws Exception {
    for (int i = 1; i <= n; i++) {
      AppInstance app = AppInstance.start("web-" + i, 0);
      apps.add(app);
      cluster.addHealthyTask(app);
    }
  }
}
