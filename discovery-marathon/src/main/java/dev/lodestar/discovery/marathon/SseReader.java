package dev.lodestar.discovery.marathon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Splits a {@code text/event-stream} body into events, per the HTML server-sent events rules
 * Marathon's Jetty servlet follows: lines end with CRLF, LF or CR (a CR and the LF after it are one
 * end of line even when they arrive in separate reads); {@code event:} names the event; {@code
 * data:} lines are joined with LF; lines starting with {@code :} are comments; a blank line ends
 * the event; an event without data is dropped. Marathon 0.10 and older send {@code data:} lines
 * only: such events have a {@code null} name and the caller reads the type from the JSON.
 *
 * <p>Thread safety: not thread-safe; one reader per stream.
 */
final class SseReader {
  /** One complete event. */
  record Event(String name, String data) {}

  private final InputStream in;
  private final int maxEventBytes;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private final StringBuilder data = new StringBuilder();
  private String name;
  private boolean dataSeen;
  private boolean lastWasCr;
  private long dataBytes;

  SseReader(InputStream in, int maxEventBytes) {
    this.in = in;
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * Blocks until the next complete event and returns it, or returns {@code null} at the end of the
   * stream (a partial event at the end is dropped).
   *
   * @throws IOException if reading fails or one event exceeds the size limit
   */
  Event next() throws IOException {
    while (true) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      if (b == '\n' && lastWasCr) {
        lastWasCr = false;
        continue;
      }
      lastWasCr = b == '\r';
      if (b == '\r' || b == '\n') {
        Event e = endOfLine();
        if (e != null) {
          return e;
        }
      } else {
        if (line.size() >= maxEventBytes) {
          throw new IOException("server-sent event line longer than " + maxEventBytes + " bytes");
        }
        line.write(b);
      }
    }
  }

  private Event endOfLine() throws IOException {
    if (line.size() == 0) {
      Event e = dataSeen ? new Event(name, data.toString()) : null;
      name = null;
      dataSeen = false;
      data.setLength(0);
      dataBytes = 0;
      return e;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (text.charAt(0) == ':') {
      return null;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (field.equals("event")) {
      name = value;
    } else if (field.equals("data")) {
      dataBytes += value.length();
      if (dataBytes > maxEventBytes) {
        throw new IOException("server-sent event larger than " + maxEventBytes + " bytes");
      }
      if (dataSeen) {
        data.append('\n');
      }
      data.append(value);
      dataSeen = true;
    }
    return null;
  }
}
