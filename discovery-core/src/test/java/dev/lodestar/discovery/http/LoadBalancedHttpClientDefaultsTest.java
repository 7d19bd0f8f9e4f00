package dev.lodestar.discovery.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.source.StaticSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LoadBalancedHttpClient}'s defaults: the connect and request timeouts of {@code of}, and
 * the host-to-service-id mapping (case, trailing dot, IP literals). Timeouts are shown on a real
 * loopback server that accepts connections and never answers; the preemptive timeouts are hang
 * guards, far above the timeouts under test, not timing assertions.
 */
class LoadBalancedHttpClientDefaultsTest {
  private static final String APP = "/shop/checkout";
  private static final Duration HANG_GUARD = Duration.ofSeconds(25);

  private final StaticSource source = StaticSource.create();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
  private ServiceResolver resolver;

  @AfterEach
  void stop() throws Exception {
    if (resolver != null) {
      resolver.close();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  @Test
  void ofHasAConnectTimeoutAndARequestTimeout() {
    LoadBalancedHttpClient http = LoadBalancedHttpClient.of(resolver());
    assertEquals(Optional.of(Duration.ofSeconds(3)), http.httpClient().connectTimeout());
    assertEquals(Duration.ofSeconds(30), http.requestTimeout());
    assertThrows(IllegalArgumentException.class,
        () -> LoadBalancedHttpClient.builder(resolver).requestTimeout(Duration.ZERO));
  }

  @Test
  void anInstanceThatNeverAnswersEndsInARequestTimeout() throws Exception {
    source.set(APP, silentInstance());
    LoadBalancedHttpClient http = LoadBalancedHttpClient.builder(resolver())
        .requestTimeout(Duration.ofMillis(500)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://checkout.shop/x")).build();

    HttpTimeoutException e = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(
        HttpTimeoutException.class, () -> http.send(request, HttpResponse.BodyHandlers.ofString())));
    assertEquals(HttpTimeoutException.class, e.getClass(), "a request timeout, not a connect one");

    CompletionException async = assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(
        CompletionException.class,
        () -> http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).join()));
    assertEquals(HttpTimeoutException.class, async.getCause().getClass());
  }

  @Test
  void aRequestKeepsItsOwnTimeout() throws Exception {
    source.set(APP, silentInstance());
    LoadBalancedHttpClient http = LoadBalancedHttpClient.of(resolver()); // default 30 s
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://checkout.shop/x"))
        .timeout(Duration.ofMillis(300)).build();

    // Returns within the guard, so the request's 300 ms applied, not the 30 s default.
    HttpTimeoutException e = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(
        HttpTimeoutException.class, () -> http.send(request, HttpResponse.BodyHandlers.ofString())));
    assertEquals(HttpTimeoutException.class, e.getClass());
  }

  @Test
  void hostsAreLowercasedAndLoseOneTrailingDot() {
    assertEquals(APP, LoadBalancedHttpClient.serviceIdFromHost(URI.create("http://CHECKOUT.SHOP/")));
    assertEquals(APP, LoadBalancedHttpClient.serviceIdFromHost(URI.create("http://checkout.shop./")));
    assertEquals(APP, LoadBalancedHttpClient.serviceIdFromHost(
        URI.create("https://Checkout.Shop./a?b=c")));
    assertEquals("/123", LoadBalancedHttpClient.serviceIdFromHost(URI.create("http://123/")));
  }

  @Test
  void ipLiteralsAreRefusedWithAClearMessage() {
    for (String uri : List.of("http://127.0.0.1/", "http://10.0.0.5/x", "http://[::1]/",
        "https://[2001:db8::1]/x")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> LoadBalancedHttpClient.serviceIdFromHost(URI.create(uri)), uri);
      assertTrue(e.getMessage().contains("is an IP address, which names no service"),
          e.getMessage());
      assertTrue(e.getMessage().contains(uri), e.getMessage());
    }
  }

  @Test
  void mixedCaseAndTrailingDotReachTheService() throws Exception {
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "checkout".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    closeables.add(() -> server.stop(0));
    source.set(APP, Instance.builder(APP, "c1", "127.0.0.1", server.getAddress().getPort())
        .health(HealthStatus.HEALTHY).build());
    LoadBalancedHttpClient http = LoadBalancedHttpClient.of(resolver());

    for (String uri : List.of("http://CHECKOUT.SHOP/", "http://checkout.shop./")) {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(uri)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("checkout", response.body(), uri);
    }
    HttpRequest byAddress = HttpRequest.newBuilder(URI.create("http://127.0.0.1/")).build();
    assertThrows(IllegalArgumentException.class,
        () -> http.send(byAddress, HttpResponse.BodyHandlers.ofString()));
    assertThrows(IllegalArgumentException.class,
        () -> http.sendAsync(byAddress, HttpResponse.BodyHandlers.ofString()));
  }

  // ---- fixtures -------------------------------------------------------------------------------

  private ServiceResolver resolver() {
    resolver = ServiceResolver.builder().source(source).build();
    return resolver;
  }

  /** An instance on a loopback socket that accepts connections, reads nothing, answers nothing. */
  private Instance silentInstance() throws IOException {
    ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closeables.add(socket);
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          Socket accepted = socket.accept();
          closeables.add(accepted); // held open until the test ends
        }
      } catch (IOException closed) {
        // the test is over
      }
    }, "silent-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    return Instance.builder(APP, "silent", "127.0.0.1", socket.getLocalPort())
        .health(HealthStatus.HEALTHY).build();
  }
}
