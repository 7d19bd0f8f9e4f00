package dev.lodestar.agent.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lodestar.agent.marathon.MarathonFixtures;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * A Marathon on loopback (discovery-testing's {@link FakeMarathon}) answering Marathon's REST
 * calls from an {@code apps} document the test sets and changes: {@code /v2/apps} (tasks as the
 * document has them), {@code /v2/apps/{id}}, and {@code /v2/events} (attached event, then {@link
 * #emit}).
 */
final class FixtureMarathon implements AutoCloseable {
  private final FakeMarathon server = new FakeMarathon();
  private Set<String> ids = new HashSet<>(); // guarded by this

  FixtureMarathon(JsonNode appsDoc) throws IOException {
    set(appsDoc);
  }

  /** An {@code {"apps":[...]}} document holding every app of a fixture. */
  static ObjectNode appsOf(String fixture) {
    ObjectNode doc = MarathonFixtures.JSON.createObjectNode();
    ArrayNode arr = doc.putArray("apps");
    MarathonFixtures.appNodes(MarathonFixtures.tree(fixture)).forEach(arr::add);
    return doc;
  }

  String url() {
    return server.url();
  }

  /** Replaces the apps document. */
  synchronized void set(JsonNode appsDoc) {
    Set<String> now = new HashSet<>();
    for (JsonNode a : appsDoc.get("apps")) {
      String aid = a.path("id").asText();
      String id = aid.startsWith("/") ? aid : "/" + aid;
      server.putApp(id, a.toString());
      now.add(id);
    }
    for (String gone : ids) {
      if (!now.contains(gone)) {
        server.removeApp(gone);
      }
    }
    ids = now;
  }

  /** Sends one SSE event to every connected client. */
  void emit(String type, String json) {
    server.event(type, json);
  }

  @Override
  public void close() {
    server.close();
  }
}
