package dev.lodestar.discovery.marathon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Marathon node on loopback built on the JDK's {@link HttpServer}: REST answers are set per
 * request path (path and query), and {@code /v2/events} streams whatever the test pushes with
 * {@link #send(String)}, until the test drops the connection with {@link #drop()}.
 */
final class FakeMarathon implements AutoCloseable {
  private static final byte[] DROP = new byte[0];

  private final HttpServer server;
  private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
  private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
  private final List<BlockingQueue<byte[]>> streams = new CopyOnWriteArrayList<>();
  final AtomicInteger eventConnections = new AtomicInteger();
  final List<String> requests = new CopyOnWriteArrayList<>();
  /** The Authorization header of the last request per path ("" when none was sent). */
  final Map<String, String> authByPath = new ConcurrentHashMap<>();
  volatile int eventStatus = 200;
  volatile String eventRedirect;

  FakeMarathon() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-marathon");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Answers {@code pathAndQuery} with {@code status} and {@code body}. */
  FakeMarathon answer(String pathAndQuery, int status, byte[] body) {
    bodies.put(pathAndQuery, body);
    statuses.put(pathAndQuery, status);
    return this;
  }

  FakeMarathon answer(String pathAndQuery, byte[] body) {
    return answer(pathAndQuery, 200, body);
  }

  /** Writes raw bytes to every open event stream. */
  void send(String raw) {
    byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
    for (BlockingQueue<byte[]> q : streams) {
      q.add(bytes);
    }
  }

  /** Sends one event with {@code event:} and {@code data:} lines, as Marathon 0.11+ does. */
  void event(String type, String json) {
    send("event: " + type + "\r\ndata: " + json.replaceAll("\\s*\\n\\s*", " ") + "\r\n\r\n");
  }

  /** Closes every open event stream. */
  void drop() {
    for (BlockingQueue<byte[]> q : streams) {
      q.add(DROP);
    }
  }

  int openStreams() {
    return streams.size();
  }

  private void handle(HttpExchange ex) throws IOException {
    String target = ex.getRequestURI().getRawPath()
        + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
    requests.add(target);
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    authByPath.put(ex.getRequestURI().getRawPath(), auth == null ? "" : auth);
    try {
      if (ex.getRequestURI().getPath().equals("/v2/events")) {
        stream(ex);
        return;
      }
      byte[] body = bodies.get(target);
      if (body == null) {
        byte[] msg = "{\"message\":\"App '/x' does not exist\"}".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(404, msg.length);
        ex.getResponseBody().write(msg);
        return;
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(statuses.get(target), body.length == 0 ? -1 : body.length);
      ex.getResponseBody().write(body);
    } finally {
      ex.close();
    }
  }

  private void stream(HttpExchange ex) throws IOException {
    if (eventRedirect != null) {
      ex.getResponseHeaders().add("Location", eventRedirect + ex.getRequestURI().getPath() + "?"
          + ex.getRequestURI().getRawQuery());
      ex.sendResponseHeaders(302, -1);
      return;
    }
    if (eventStatus != 200) {
      ex.sendResponseHeaders(eventStatus, -1);
      return;
    }
    if (!"text/event-stream".equals(ex.getRequestHeaders().getFirst("Accept"))) {
      ex.sendResponseHeaders(406, -1);
      return;
    }
    BlockingQueue<byte[]> q = new LinkedBlockingQueue<>();
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(("event: event_stream_attached\r\ndata: {\"remoteAddress\":\"127.0.0.1\","
        + "\"eventType\":\"event_stream_attached\",\"timestamp\":\"2017-02-18T19:12:00.102Z\"}"
        + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    streams.add(q);
    eventConnections.incrementAndGet();
    try {
      while (true) {
        byte[] chunk = q.poll(100, TimeUnit.MILLISECONDS);
        if (chunk == DROP) {
          return;
        }
        if (chunk != null) {
          out.write(chunk);
          out.flush();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The client went away.
    } finally {
      streams.remove(q);
    }
  }

  @Override
  public void close() {
    drop();
    server.stop(0);
  }
}
