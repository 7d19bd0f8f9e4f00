package dev.lodestar.agent.haproxy;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** Real loopback servers and a raw HTTP/1.1 client for the HAProxy end-to-end tests. */
final class Loopback {
  private Loopback() {}

  /** A free loopback port (bound and released; HAProxy binds it next). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether {@code port} answers {@code GET /} for {@code host} with 200 and {@code body}. */
  static boolean answers(int port, String host, String body) {
    try {
      Response r = get(port, host, "/", null);
      return r.status() == 200 && r.body().equals(body);
    } catch (IOException e) {
      return false;
    }
  }

  /** The file's text, or "" while it does not exist (yet) or cannot be read. */
  static String readOrEmpty(java.nio.file.Path p) {
    try {
      return java.nio.file.Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }

  /** Waits up to {@code seconds} for {@code condition}, polling every 100 ms. */
  static boolean await(int seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }

  /** An app instance: an HTTP server on 127.0.0.1 that answers every path with its name. */
  static final class Backend implements AutoCloseable {
    final String name;
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    Backend(String name) throws IOException {
      this.name = name;
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
      server.createContext("/", ex -> {
        try (ex) {
          ex.getRequestBody().readAllBytes();
          if (!ex.getRequestURI().getPath().equals("/health")) {
            hits.incrementAndGet();
          }
          byte[] body = name.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "text/plain");
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
        }
      });
      server.setExecutor(pool);
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
      pool.shutdownNow();
    }
  }

  /** One HTTP response as read off the wire. */
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** {@code GET path} on a new connection to 127.0.0.1:port with a Host header. */
  static Response get(int port, String host, String path, String cookie) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return exchange(s, host, path, cookie);
    }
  }

  /** As {@link #get}, over TLS; the server's certificate must be trusted by {@code tls}. */
  static Response getTls(SSLContext tls, int port, String host, String path) throws IOException {
    try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
      javax.net.ssl.SSLParameters p = s.getSSLParameters();
      p.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(host)));
      s.setSSLParameters(p);
      s.startHandshake();
      return exchange(s, host, path, null);
    }
  }

  private static Response exchange(Socket s, String host, String path, String cookie)
      throws IOException {
    s.setSoTimeout(10_000);
    String req = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
        + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "Connection: close\r\n\r\n";
    OutputStream out = s.getOutputStream();
    out.write(req.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    String text = all.toString(StandardCharsets.ISO_8859_1);
    int headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) {
      throw new IOException("no complete HTTP response: '" + text + "'");
    }
    String[] lines = text.substring(0, headEnd).split("\r\n");
    String[] status = lines[0].split(" ");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0) {
        headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(c + 1).trim());
      }
    }
    return new Response(Integer.parseInt(status[1]), headers, text.substring(headEnd + 4));
  }
}
