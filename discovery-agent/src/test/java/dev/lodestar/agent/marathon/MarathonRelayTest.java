package dev.lodestar.agent.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lodestar.agent.admin.AdminServer;
import dev.lodestar.discovery.testing.FakeMarathon;
import dev.lodestar.discovery.testing.FakeMarathon.Task;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay's HTTP surface, with real HTTP clients against the admin port. */
class MarathonRelayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();
  private FakeMarathon marathon;
  private MarathonMirror mirror;
  private AdminServer admin;
  private MarathonRelay relay;
  private String base;

  @BeforeEach
  void setUp() throws Exception {
    marathon = new FakeMarathon();
    marathon.setTasks("/web", List.of(new Task("web.1", 31001, "TASK_RUNNING"),
        new Task("web.2", 31002, "TASK_RUNNING")));
    marathon.putApp("/db", "{\"id\":\"/db\",\"labels\":{\"HAPROXY_GROUP\":\"internal\"},"
        + "\"portDefinitions\":[{\"port\":10001}],\"tasks\":[]}");
  }

  private void startRelay(Duration syncWait) {
    mirror = MarathonMirrorTest.mirrorOf(marathon).build();
    admin = new AdminServer("127.0.0.1", 0);
    relay = MarathonRelay.builder(mirror).syncWait(syncWait).heartbeat(Duration.ofMillis(200))
        .install(admin);
    base = "http://127.0.0.1:" + admin.start();
    mirror.start();
  }

  @AfterEach
  void tearDown() {
    if (relay != null) {
      relay.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (mirror != null) {
      mirror.close();
    }
    marathon.close();
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void servesTheListAndSingleAppsFromTheCache() throws Exception {
    startRelay(Duration.ofSeconds(20));
    HttpResponse<byte[]> list = get("/v2/apps?embed=apps.tasks");
    assertEquals(200, list.statusCode());
    JsonNode apps = JSON.readTree(list.body()).get("apps");
    assertEquals(2, apps.size());
    assertEquals("/db", apps.get(0).get("id").asText());
    assertEquals(2, apps.get(1).get("tasks").size());

    HttpResponse<byte[]> web = get("/v2/apps/web?embed=app.tasks");
    assertEquals(200, web.statusCode());
    assertEquals(JSON.readTree(mirror.appJson("/web")), JSON.readTree(web.body()).get("app"));

    HttpResponse<byte[]> missing = get("/v2/apps/nope?embed=app.tasks");
    assertEquals(404, missing.statusCode());
    assertEquals("App '/nope' does not exist",
        JSON.readTree(missing.body()).get("message").asText());

    HttpResponse<byte[]> labelled = get("/v2/apps?embed=apps.tasks&label=HAPROXY_GROUP%3D%3Dinternal");
    assertEquals(List.of("/db"), ids(JSON.readTree(labelled.body())));
    // As Marathon: k!=v never matches an app without label k (/web has no labels).
    assertEquals(List.of(), ids(JSON.readTree(
        get("/v2/apps?label=HAPROXY_GROUP!%3Dinternal").body())));
    assertEquals(400, get("/v2/apps?label=HAPROXY_GROUP%20in%20(a,b)").statusCode());

    HttpResponse<byte[]> zipped = get("/v2/apps?embed=apps.tasks", "Accept-Encoding", "gzip");
    assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElse(""));
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(zipped.body()))) {
      assertEquals(JSON.readTree(list.body()), JSON.readTree(in));
    }

    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/apps"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"/x\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    assertEquals("pong", new String(get("/ping").body(), StandardCharsets.UTF_8).trim());

    // Every read above came from the cache: Marathon saw the mirror's one list only.
    assertEquals(1, marathon.requestCount("/v2/apps"), marathon.requests().toString());
    assertEquals(0, marathon.requestCount("/v2/apps/web"));
  }

  private static List<String> ids(JsonNode doc) {
    List<String> ids = new ArrayList<>();
    doc.get("apps").forEach(a -> ids.add(a.get("id").asText()));
    return ids;
  }

  /**
   * Marathon's selector is {@code app.labels.contains(key) && fn(value)} for every term: {@code
   * k!=v} matches only apps that have label {@code k} with another value.
   */
  @Test
  void notEqualSelectorMatchesOnlyAppsThatHaveTheLabel() throws Exception {
    marathon.putApp("/api", "{\"id\":\"/api\",\"labels\":{\"HAPROXY_GROUP\":\"external\"},"
        + "\"portDefinitions\":[{\"port\":10002}],\"tasks\":[]}");
    startRelay(Duration.ofSeconds(20));
    HttpResponse<byte[]> r = get("/v2/apps?label=HAPROXY_GROUP!%3Dinternal");
    assertEquals(200, r.statusCode());
    assertEquals(List.of("/api"), ids(JSON.readTree(r.body())),
        "/db has HAPROXY_GROUP=internal and /web has no HAPROXY_GROUP label: neither matches");
    assertEquals(List.of("/api"), ids(JSON.readTree(
        get("/v2/apps?label=HAPROXY_GROUP!%3Dinternal,HAPROXY_GROUP").body())));
    assertEquals(List.of(), ids(JSON.readTree(get("/v2/apps?label=owner!%3Dnobody").body())),
        "no app has an owner label");
  }

  @Test
  void answers503UntilTheMirrorHasListedMarathon() throws Exception {
    marathon.failRest(503);
    startRelay(Duration.ofMillis(200));
    assertEquals(503, get("/v2/apps?embed=apps.tasks").statusCode());
    assertEquals(503, get("/v2/apps/web?embed=app.tasks").statusCode());
    assertEquals(503, get("/v2/events", "Accept", "text/event-stream").statusCode());
    marathon.failRest(0);
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    assertEquals(200, get("/v2/apps/web?embed=app.tasks").statusCode());
  }

  @Test
  void streamsFilteredEventsWithHeartbeatsAndClosesAfterAnUpstreamGap() throws Exception {
    startRelay(Duration.ofSeconds(20));
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(20)));
    Await.until("upstream stream", () -> marathon.openStreams() == 1);
    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(
        URI.create(base + "/v2/events?event_type=status_update_event"))
        .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, stream.statusCode());
    assertTrue(stream.headers().firstValue("Content-Type").orElse("")
        .startsWith("text/event-stream"));
    Await.until("relay stream registered", () -> relay.openStreams() == 1);
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
      assertEquals("event: event_stream_attached", in.readLine());
      marathon.event("deployment_info", "{\"eventType\":\"deployment_info\"}");
      marathon.emitStatusUpdate("/web", new Task("web.2", 31002, "TASK_KILLED"));
      String line;
      List<String> lines = new ArrayList<>();
      while ((line = in.readLine()) != null && !line.startsWith("data: {\"eventType\":\"status")) {
        lines.add(line);
      }
      assertTrue(line != null && line.contains("web.2"), "the status update: " + line);
      assertTrue(lines.stream().noneMatch(l -> l.contains("deployment_info")),
          "filtered out: " + lines);
      marathon.drop();
      // The mirror reconnects and re-lists; then the relay ends its streams.
      while (in.readLine() != null) {
        // heartbeats until the relay closes the stream
      }
    }
    Await.until("upstream reconnected", () -> marathon.eventConnections() == 2);
    Await.until("the relay forgot the closed stream", () -> relay.openStreams() == 0);
  }
}
