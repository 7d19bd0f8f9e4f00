package dev.lodestar.agent.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdminServerTest {
  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void exactAndLongestPrefixRoutesAnswerAndUnknownPathsGet404() throws Exception {
    try (AdminServer server = new AdminServer("127.0.0.1", 0)) {
      server.route("/proxy", (ctx, req, path) ->
          AdminServer.sendJson(ctx, req, HttpResponseStatus.OK, Map.of("listeners", 3)));
      server.route("/v2/", (ctx, req, path) ->
          AdminServer.sendText(ctx, req, HttpResponseStatus.OK, "v2 " + path.path()));
      server.route("/v2/apps/", (ctx, req, path) ->
          AdminServer.sendText(ctx, req, HttpResponseStatus.OK, "app "
              + path.parameters().get("embed")));
      int port = server.start();

      HttpResponse<String> proxy = get(port, "/proxy");
      assertEquals(200, proxy.statusCode());
      assertEquals("application/json", proxy.headers().firstValue("content-type").orElse(""));
      assertTrue(proxy.body().contains("\"listeners\" : 3"), proxy.body());

      assertEquals("v2 /v2/events\n", get(port, "/v2/events").body());
      assertEquals("app [app.tasks]\n", get(port, "/v2/apps/x?embed=app.tasks").body());

      HttpResponse<String> missing = get(port, "/nope");
      assertEquals(404, missing.statusCode());
      assertTrue(missing.body().contains("/proxy"), missing.body());
    }
  }

  @Test
  void aFailingHandlerGets500AndTheServerKeepsServing() throws Exception {
    try (AdminServer server = new AdminServer("127.0.0.1", 0)) {
      server.route("/boom", (ctx, req, path) -> {
        throw new IllegalStateException("boom");
      });
      server.route("/ok", (ctx, req, path) ->
          AdminServer.sendText(ctx, req, HttpResponseStatus.OK, "ok"));
      int port = server.start();
      assertEquals(500, get(port, "/boom").statusCode());
      assertEquals(200, get(port, "/ok").statusCode());
    }
  }

  /** Sends {@code requestLine} raw (clients refuse to send a bad escape) and reads the answer. */
  private static String raw(int port, String requestLine) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aMalformedPercentEncodingGets400AndTheServerKeepsServing() throws Exception {
    try (AdminServer server = new AdminServer("127.0.0.1", 0)) {
      server.route("/v2/apps/", (ctx, req, path) ->
          AdminServer.sendText(ctx, req, HttpResponseStatus.OK, "app "
              + path.parameters().get("label")));
      int port = server.start();
      for (String uri : new String[] {"/v2/apps/%zz", "/v2/apps/%", "/v2/apps/x?label=%zz"}) {
        String answer = raw(port, "GET " + uri + " HTTP/1.1");
        assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request\r\n"),
            "GET " + uri + " answered: [" + answer + "]");
        assertTrue(answer.contains("text/plain"), answer);
        assertTrue(answer.contains("bad request URI"), answer);
      }
      assertEquals("app [a]\n", get(port, "/v2/apps/x?label=a").body());
    }
  }

  /**
   * The class promises a 500 for a handler that throws "when nothing was written yet". A handler
   * that answered and then threw got a second, stray 500 written after its answer; on a kept-alive
   * connection the client read that 500 as the answer to its next request.
   */
  @Test
  void aHandlerThatThrowsAfterAnsweringGetsNoSecondAnswer() throws Exception {
    try (AdminServer server = new AdminServer("127.0.0.1", 0)) {
      server.route("/half", (ctx, req, path) -> {
        AdminServer.sendText(ctx, req, HttpResponseStatus.OK, "half");
        throw new IllegalStateException("after the answer");
      });
      server.route("/ok", (ctx, req, path) ->
          AdminServer.sendText(ctx, req, HttpResponseStatus.OK, "ok"));
      int port = server.start();
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write("GET /half HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        String first = readResponse(in);
        assertTrue(first.startsWith("HTTP/1.1 200 OK\r\n") && first.endsWith("half\n"), first);
        String second;
        try {
          out.write("GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          out.flush();
          second = readResponse(in);
        } catch (java.io.IOException closed) {
          second = ""; // closing the connection after a failed handler is fine
        }
        assertTrue(second.isEmpty() || second.startsWith("HTTP/1.1 200 OK\r\n"),
            "the next request on the connection was answered: [" + second + "]");
      }
    }
  }

  /** Reads one response with a Content-Length body; empty at the end of the stream. */
  private static String readResponse(InputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString();
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
