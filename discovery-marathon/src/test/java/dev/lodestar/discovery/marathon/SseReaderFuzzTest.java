package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Jazzer fuzz test of the event-stream framing ({@link SseReader}) and of the decoding of each
 * event it frames ({@link MarathonEvent#decode}).
 *
 * <p>Without {@code JAZZER_FUZZ} only the seed corpus in {@code
 * src/test/resources/dev/lodestar/discovery/marathon/SseReaderFuzzTestInputs/} runs: the shared
 * {@code *.sse.txt} fixtures, copied byte for byte. {@code docs/fuzzing.md} has the command for a
 * long run.
 *
 * <p>What no input may break: the reader returns events and then {@code null}, or throws {@link
 * IOException} (an event over the size limit); it frames the same events whether the bytes come
 * in one read or one byte at a time; it never returns an event with {@code null} data or data over
 * the limit; and decoding an event gives a result or {@link IOException}.
 */
class SseReaderFuzzTest {
  private static final int LIMIT = 1024;

  @FuzzTest(maxDuration = "2m")
  void framesEventsOrFailsWithIoException(byte[] input) {
    List<SseReader.Event> whole = read(new ByteArrayInputStream(input));
    List<SseReader.Event> trickled = read(new OneByteAtATime(input));
    assertEquals(whole, trickled, "framing depends on how the bytes arrive");
    if (whole == null) {
      return;
    }
    for (SseReader.Event event : whole) {
      assertNotNull(event.data(), "data");
      assertTrue(event.data().length() <= LIMIT + countLines(event.data()), "over the limit");
      try {
        MarathonEvent decoded = MarathonEvent.decode(event.name(), event.data());
        assertNotNull(decoded.appIds(), "appIds");
      } catch (IOException documented) {
        // not JSON: the source logs and skips the event
      }
    }
  }

  // All events, or null when the reader threw its documented IOException.
  private static List<SseReader.Event> read(InputStream in) {
    SseReader reader = new SseReader(in, LIMIT);
    List<SseReader.Event> events = new ArrayList<>();
    try {
      for (SseReader.Event e = reader.next(); e != null; e = reader.next()) {
        events.add(e);
      }
    } catch (IOException documented) {
      return null;
    }
    return events;
  }

  private static int countLines(String data) {
    return (int) data.chars().filter(c -> c == '\n').count();
  }

  /** Hands out one byte per read, as a slow network would. */
  private static final class OneByteAtATime extends InputStream {
    private final byte[] bytes;
    private int position;

    OneByteAtATime(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read() {
      return position < bytes.length ? bytes[position++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      int c = read();
      if (c < 0) {
        return -1;
      }
      b[off] = (byte) c;
      return 1;
    }
  }
}
