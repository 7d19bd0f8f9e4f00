package dev.lodestar.discovery.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The fake's own behaviour, through the JDK's HTTP client. */
class FakeMarathonTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(FakeMarathon m, String pathAndQuery) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(m.url() + pathAndQuery))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheAppModelTheListAndMarathonsNotFound() throws Exception {
    try (FakeMarathon m = new FakeMarathon()) {
      m.setTasks("/prod/web", List.of(new FakeMarathon.Task("t1", 31000, "TASK_RUNNING")));
      HttpResponse<String> one = get(m, "/v2/apps/prod/web?embed=app.tasks");
      assertEquals(200, one.statusCode());
      assertTrue(one.body().startsWith("{\"app\":{\"id\":\"/prod/web\""), one.body());
      assertTrue(one.body().contains("\"ports\":[31000]"), one.body());
      HttpResponse<String> all = get(m, "/v2/apps?embed=apps.tasks");
      assertTrue(all.body().startsWith("{\"apps\":[{\"id\":\"/prod/web\""), all.body());
      HttpResponse<String> missing = get(m, "/v2/apps/nope?embed=app.tasks");
      assertEquals(404, missing.statusCode());
      assertEquals("{\"message\":\"App '/nope' does not exist\"}", missing.body());
      m.removeApp("/prod/web");
      assertEquals(404, get(m, "/v2/apps/prod/web").statusCode());
      assertEquals(2, m.requestCount("/v2/apps/prod/web"));
      assertEquals("/v2/apps?embed=apps.tasks", m.requests().get(1));
    }
  }

  @Test
  void explicitAnswersWinAndFaultSwitchesApply() throws Exception {
    try (FakeMarathon m = new FakeMarathon()) {
      m.setTasks("/web", List.of());
      m.answer("/v2/apps/web?embed=app.tasks", 200, "{\"fixture\":true}");
      assertEquals("{\"fixture\":true}", get(m, "/v2/apps/web?embed=app.tasks").body());
      m.failRest(503);
      assertEquals(503, get(m, "/v2/apps/web?embed=app.tasks").statusCode());
      m.failRest(0).garbage(true);
      HttpResponse<String> garbage = get(m, "/v2/apps/web?embed=app.tasks");
      assertEquals(200, garbage.statusCode());
      assertTrue(garbage.body().startsWith("<html>"), garbage.body());
      m.garbage(false);
      assertEquals("{\"fixture\":true}", get(m, "/v2/apps/web?embed=app.tasks").body());
    }
  }

  @Test
  void eventStreamAttachesSendsEventsAndDrops() throws Exception {
    try (FakeMarathon m = new FakeMarathon()) {
      assertEquals(406, get(m, "/v2/events").statusCode());
      HttpResponse<java.io.InputStream> stream = http.send(
          HttpRequest.newBuilder(URI.create(m.url() + "/v2/events"))
              .header("Accept", "text/event-stream").build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, stream.statusCode());
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        assertEquals("event: event_stream_attached", in.readLine());
        in.readLine();
        in.readLine();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (m.openStreams() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        m.emitStatusUpdate("/web", new FakeMarathon.Task("t1", 31000, "TASK_KILLED"));
        assertEquals("event: status_update_event", in.readLine());
        assertTrue(in.readLine().contains("\"taskStatus\":\"TASK_KILLED\""));
        assertEquals("", in.readLine());
        m.drop();
        assertEquals(null, in.readLine(), "the stream ends after drop()");
      }
      assertEquals(1, m.eventConnections());
      m.eventStatus(503);
      assertEquals(503, get(m, "/v2/events").statusCode());
    }
  }
}
