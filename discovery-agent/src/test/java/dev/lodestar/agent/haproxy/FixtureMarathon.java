package dev.lodestar.agent.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lodestar.agent.marathon.MarathonFixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A real loopback HTTP server answering Marathon's REST calls from an {@code apps} document the
 * test sets and changes: {@code /v2/apps} (with or without embedded tasks), {@code
 * /v2/apps/{id}}, and {@code /v2/events} (attached event, then {@link #emit} or heartbeats).
 */
final class FixtureMarathon implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final List<OutputStream> streams = new CopyOnWriteArrayList<>();
  private volatile ObjectNode apps;

  FixtureMarathon(JsonNode appsDoc) throws IOException {
    set(appsDoc);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/v2/apps", this::apps);
    server.createContext("/v2/events", this::events);
    server.setExecutor(pool);
    server.start();
  }

  /** An {@code {"apps":[...]}} document holding every app of a fixture. */
  static ObjectNode appsOf(String fixture) {
    ObjectNode doc = MarathonFixtures.JSON.createObjectNode();
    ArrayNode arr = doc.putArray("apps");
    MarathonFixtures.appNodes(MarathonFixtures.tree(fixture)).forEach(arr::add);
    return doc;
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Replaces the apps document and tells event-stream clients that something changed. */
  void set(JsonNode appsDoc) {
    apps = (ObjectNode) appsDoc.deepCopy();
  }

  /** Sends one SSE event to every connected client. */
  void emit(String type, String json) {
    byte[] frame = ("event: " + type + "\r\ndata: " + json + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
    for (OutputStream s : streams) {
      try {
        s.write(frame);
        s.flush();
      } catch (IOException gone) {
        streams.remove(s);
      }
    }
  }

  private void apps(HttpExchange ex) throws IOException {
    try (ex) {
      String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
      ObjectNode doc = apps;
      JsonNode body;
      if (path.equals("/v2/apps") || path.equals("/v2/apps/")) {
        body = doc;
      } else {
        String id = path.substring("/v2/apps".length());
        body = null;
        for (JsonNode a : doc.get("apps")) {
          String aid = a.path("id").asText();
          if ((aid.startsWith("/") ? aid : "/" + aid).equals(id)) {
            ObjectNode one = MarathonFixtures.JSON.createObjectNode();
            one.set("app", a);
            body = one;
          }
        }
        if (body == null) {
          byte[] msg = ("{\"message\":\"App '" + id + "' does not exist\"}")
              .getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(404, msg.length);
          ex.getResponseBody().write(msg);
          return;
        }
      }
      byte[] bytes = MarathonFixtures.JSON.writeValueAsBytes(body);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, bytes.length);
      ex.getResponseBody().write(bytes);
    }
  }

  private void events(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(("event: event_stream_attached\r\ndata: {\"remoteAddress\":\"127.0.0.1\","
        + "\"eventType\":\"event_stream_attached\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    out.flush();
    streams.add(out);
  }

  @Override
  public void close() {
    for (OutputStream s : streams) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    server.stop(0);
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
