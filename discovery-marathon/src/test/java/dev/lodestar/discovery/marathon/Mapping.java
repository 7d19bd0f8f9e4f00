package dev.lodestar.discovery.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lodestar.discovery.Instance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Test helpers: parse a document, map its apps, and derive variants of fixture documents. */
final class Mapping {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Mapping() {}

  static MarathonParser.Document parse(byte[] json) {
    try {
      return MarathonParser.parse(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static MarathonApp app(byte[] json, String id) {
    return parse(json).apps().stream().filter(a -> a.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no app " + id));
  }

  /** Maps every task of {@code app} at slot 0 with a fresh "seen healthy" memory. */
  static List<String> endpoints(InstanceMapper mapper, MarathonApp app) {
    return endpoints(mapper, app, new HashSet<>());
  }

  static List<String> endpoints(InstanceMapper mapper, MarathonApp app, Set<String> seen) {
    return describe(mapper.map(app.id(), app, 0, seen, new ArrayList<>()));
  }

  /** "host:port HEALTH" per instance, sorted by task id like a snapshot. */
  static List<String> describe(List<Instance> instances) {
    return instances.stream()
        .sorted(java.util.Comparator.comparing(Instance::instanceId))
        .map(i -> i.address() + " " + i.health())
        .collect(Collectors.toList());
  }

  static InstanceMapper defaults() {
    return new InstanceMapper(MarathonHealthPolicy.ofDefaults(), 0, null, 0);
  }

  static InstanceMapper with(MarathonHealthPolicy policy) {
    return new InstanceMapper(policy, 0, null, 0);
  }

  /**
   * A variant of a fixture document: {@code edit} sees every task object of every app (a test
   * derives "after a leader election" or "a check failed" from real data this way).
   */
  static byte[] editTasks(byte[] json, Consumer<ObjectNode> edit) {
    try {
      JsonNode root = JSON.readTree(json);
      for (JsonNode app : root.path("apps")) {
        for (JsonNode task : app.path("tasks")) {
          edit.accept((ObjectNode) task);
        }
      }
      JsonNode single = root.path("app");
      for (JsonNode task : single.path("tasks")) {
        edit.accept((ObjectNode) task);
      }
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
