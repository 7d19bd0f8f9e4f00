package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Server-sent event framing on the fixture streams and on every line-ending variant. */
class SseReaderTest {

  private static List<SseReader.Event> all(InputStream in) throws IOException {
    SseReader r = new SseReader(in, 1 << 20);
    List<SseReader.Event> out = new ArrayList<>();
    for (SseReader.Event e; (e = r.next()) != null; ) {
      out.add(e);
    }
    return out;
  }

  private static List<SseReader.Event> all(String s) throws IOException {
    return all(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)));
  }

  /** Hands out one byte per read, as a slow network would (CR and LF arrive apart). */
  private static InputStream trickle(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    return new InputStream() {
      int i;

      @Override
      public int read() {
        return i < bytes.length ? bytes[i++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (i >= bytes.length) {
          return -1;
        }
        b[off] = bytes[i++];
        return 1;
      }
    };
  }

  @Test
  void currentFixtureStream() throws IOException {
    List<SseReader.Event> events = all(new ByteArrayInputStream(
        Fixtures.bytes("marathon/v2-events.sse.txt")));
    assertEquals(3, events.size());
    assertEquals("event_stream_attached", events.get(0).name());
    MarathonEvent failed = MarathonEvent.decode(events.get(1).name(), events.get(1).data());
    assertEquals("status_update_event", failed.type());
    assertEquals("TASK_FAILED", failed.taskStatus());
    assertEquals("foo.0664256e-6771-11e5-94e1-be5b2935a987", failed.taskId());
    MarathonEvent running = MarathonEvent.decode(events.get(2).name(), events.get(2).data());
    assertEquals("TASK_RUNNING", running.taskStatus());
    assertEquals(List.of("/test-app"), running.appIds());
  }

  @Test
  void legacyDataOnlyFraming() throws IOException {
    String legacy = Fixtures.text("marathon/legacy-0.x-v2-events.sse.txt");
    // The doc excerpt stops right after the second data line: that event is not finished yet.
    assertEquals(1, all(legacy).size());
    List<SseReader.Event> events = all(legacy + "\n");
    assertEquals(2, events.size());
    assertNull(events.get(0).name());
    assertEquals("event_stream_attached",
        MarathonEvent.decode(null, events.get(0).data()).type());
    assertEquals("group_change_success",
        MarathonEvent.decode(null, events.get(1).data()).type());
  }

  @Test
  void attachExcerptCompletesOnlyWithItsBlankLine() throws IOException {
    String attach = Fixtures.text("marathon/v2-events.attach.sse.txt");
    // The doc excerpt ends after the data line: an unfinished event is dropped at end of stream.
    assertEquals(List.of(), all(attach));
    List<SseReader.Event> done = all(attach + "\n");
    assertEquals(1, done.size());
    assertEquals("event_stream_attached", done.get(0).name());
  }

  @Test
  void everyLineEndingCommentsHeartbeatsAndMultiLineData() throws IOException {
    String stream = ":comment\r\n\r\n\r\nevent: a\rdata: {\"x\":\r\ndata: 1}\n\n"
        + "\r\n\r\n" // heartbeats: bare CR, then LF
        + "event: b\r\ndata\r\n\r\n" // a data line without colon is empty data
        + "event: c\r\n\r\n" // no data: dropped
        + "data: d\rid: 7\rretry: 10\r\r";
    for (InputStream in : List.of(new ByteArrayInputStream(stream.getBytes(
        StandardCharsets.UTF_8)), trickle(stream))) {
      List<SseReader.Event> events = all(in);
      assertEquals(List.of(new SseReader.Event("a", "{\"x\":\n1}"), new SseReader.Event("b", ""),
          new SseReader.Event(null, "d")), events);
    }
  }

  @Test
  void crThenLfInSeparateReadsIsOneLineEnd() throws IOException {
    // If CR and LF were two line ends, the blank line would end the event early.
    List<SseReader.Event> events = all(trickle("event: a\r\ndata: 1\r\ndata: 2\r\n\r\n"));
    assertEquals(List.of(new SseReader.Event("a", "1\n2")), events);
  }

  @Test
  void oversizedEventIsRefused() {
    String big = "data: " + "x".repeat(2000) + "\n\n";
    SseReader r = new SseReader(new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)),
        1024);
    assertThrows(IOException.class, r::next);
  }

  @Test
  void eventPayloadsOfEveryAppliedType() throws IOException {
    MarathonEvent health = MarathonEvent.decode(null,
        Fixtures.text("marathon/event-instance_health_changed_event.json"));
    assertEquals("instance_health_changed_event", health.type());
    assertEquals(List.of("/app-id"), health.appIds());
    assertEquals(Boolean.TRUE, health.healthy());
    MarathonEvent changed = MarathonEvent.decode(null,
        Fixtures.text("marathon/event-instance_changed_event.json"));
    assertEquals("Running", changed.condition());
    assertEquals("my-app.instance-c7c311a4-b669-11e6-a48f-0ea4f4b1778c", changed.instanceId());
    MarathonEvent alive = MarathonEvent.decode(null,
        Fixtures.text("marathon/event-health_status_changed_event.json"));
    assertEquals(Boolean.TRUE, alive.healthy());
    assertEquals(List.of("/my-app"), alive.appIds());
    assertEquals(List.of("/my-app"), MarathonEvent.decode(null,
        Fixtures.text("marathon/event-deployment_info.json")).appIds());
    assertEquals(List.of("/my-app"), MarathonEvent.decode(null,
        Fixtures.text("marathon/event-deployment_step_success.json")).appIds());
    assertEquals(List.of("/my-app"), MarathonEvent.decode(null,
        Fixtures.text("marathon/event-api_post_event.json")).appIds());
    assertEquals(List.of(), MarathonEvent.decode(null,
        Fixtures.text("marathon/event-deployment_success.json")).appIds());
    MarathonEvent kill = MarathonEvent.decode(null,
        Fixtures.text("marathon/event-unhealthy_instance_kill_event.json"));
    assertEquals("my-app_0-1396592784349", kill.taskId());
    assertEquals(List.of("/my-app"), kill.appIds());
    assertEquals(List.of("/my-app"), MarathonEvent.decode(null,
        Fixtures.text("marathon/event-app_terminated_event.json")).appIds());
    assertThrows(IOException.class, () -> MarathonEvent.decode("x", "[1]"));
    assertThrows(IOException.class, () -> MarathonEvent.decode("x", "{\"appId\":"));
  }
}
