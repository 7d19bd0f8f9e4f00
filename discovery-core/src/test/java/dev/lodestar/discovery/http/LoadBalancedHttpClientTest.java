package dev.lodestar.discovery.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.InstanceStatus;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.balance.Picker;
import dev.lodestar.discovery.source.StaticSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sends through the client to real HTTP servers on loopback. */
@Timeout(30)
class LoadBalancedHttpClientTest {
  private static final String APP = "/shop/checkout";
  private static final URI ORDERS = URI.create("http://checkout.shop/orders/42?full=yes");

  private final List<Backend> backends = new ArrayList<>();
  private final StaticSource source = StaticSource.create();
  private ServiceResolver resolver;

  @BeforeAll
  static void noDelayedAcks() {
    // Without TCP_NODELAY the JDK server's small responses wait ~40 ms for a delayed ACK.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  @AfterEach
  void stop() {
    if (resolver != null) {
      resolver.close();
    }
    backends.forEach(b -> b.server.stop(0));
  }

  @Test
  void sendsPathQueryMethodAndBodyToAnInstanceOfTheServiceTheHostNames() throws Exception {
    Backend a = backend("a");
    Backend b = backend("b");
    LoadBalancedHttpClient http = client(LoadBalancingStrategy.roundRobin(), a.instance(),
        b.instance());

    List<String> served = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(ORDERS)
          .header("X-Trace", "t" + i)
          .PUT(HttpRequest.BodyPublishers.ofString("body" + i)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      served.add(r.body());
      assertTrue(r.uri().toString().startsWith("http://127.0.0.1:"), r.uri().toString());
    }
    // round-robin over two instances: each got two of the four requests
    assertEquals(2, a.requests.size(), served.toString());
    assertEquals(2, b.requests.size(), served.toString());
    for (Backend backend : backends) {
      for (String request : backend.requests) {
        assertTrue(request.matches("PUT /orders/42\\?full=yes t\\d body\\d"), request);
      }
    }
  }

  @Test
  void idempotentRequestIsRetriedOnceOnAnotherInstanceWhenTheConnectionIsRefused()
      throws Exception {
    Backend live = backend("live");
    LoadBalancedHttpClient http = client(new FirstStrategy(), dead("a-dead"), live.instance());

    HttpResponse<String> r = http.send(HttpRequest.newBuilder(ORDERS).build(),
        HttpResponse.BodyHandlers.ofString());

    assertEquals("live", r.body());
    assertEquals(1, live.requests.size());
    // the refused connection was reported: the dead instance is ejected
    assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());
  }

  @Test
  void postIsNotRetried() {
    Backend live = backend("live");
    LoadBalancedHttpClient http = client(new FirstStrategy(), dead("a-dead"), live.instance());

    IOException e = assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(ORDERS)
        .POST(HttpRequest.BodyPublishers.ofString("pay")).build(),
        HttpResponse.BodyHandlers.ofString()));

    assertTrue(ServiceResolver.Builder.isConnectionFailure(e), e.toString());
    assertEquals(0, live.requests.size());
  }

  @Test
  void withNoOtherInstanceTheFirstFailureIsThrown() {
    LoadBalancedHttpClient http = client(new FirstStrategy(), dead("a-dead"));

    IOException e = assertThrows(IOException.class, () -> http.send(
        HttpRequest.newBuilder(ORDERS).build(), HttpResponse.BodyHandlers.ofString()));
    assertTrue(ServiceResolver.Builder.isConnectionFailure(e), e.toString());
  }

  @Test
  void asyncSendRoutesRetriesAndReportsLikeSend() throws Exception {
    Backend live = backend("live");
    LoadBalancedHttpClient http = client(new FirstStrategy(), dead("a-dead"), live.instance());

    HttpResponse<String> r = http.sendAsync(HttpRequest.newBuilder(ORDERS).build(),
        HttpResponse.BodyHandlers.ofString()).get();

    assertEquals("live", r.body());
    assertEquals(List.of("GET /orders/42?full=yes - "), live.requests);
    assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());

  }

  @Test
  void asyncPostOnARefusedConnectionFailsWithoutRetry() {
    Backend live = backend("live");
    LoadBalancedHttpClient http = client(new FirstStrategy(), dead("a-dead"), live.instance());

    CompletionException e = assertThrows(CompletionException.class, () -> http.sendAsync(
        HttpRequest.newBuilder(ORDERS).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString()).join());

    assertInstanceOf(ConnectException.class, e.getCause());
    assertEquals(0, live.requests.size());
  }

  @Test
  void aThrowingBodyHandlerIsNeitherRetriedNorBlamedOnTheInstance() {
    Backend a = backend("a");
    Backend b = backend("b");
    FirstStrategy strategy = new FirstStrategy();
    LoadBalancedHttpClient http = client(strategy, a.instance(), b.instance());
    IllegalStateException bug = new IllegalStateException("client-side parse bug");
    HttpResponse.BodyHandler<String> parser = info -> {
      throw bug;
    };

    // The JDK client wraps the handler's exception in an IOException.
    IOException e = assertThrows(IOException.class,
        () -> http.send(HttpRequest.newBuilder(ORDERS).build(), parser));

    assertEquals(1, a.requests.size(), "the one request sent");
    assertEquals(0, b.requests.size(), "not re-sent to another instance");
    assertSame(bug, e.getCause(), e.toString());
    assertEquals(0, e.getSuppressed().length, "no second attempt failed: " + e);
    assertNoVerdict();
  }

  @Test
  void aBodyThatFailsToMapIsNeitherRetriedNorBlamedOnTheInstanceAsync() {
    Backend a = backend("a");
    Backend b = backend("b");
    LoadBalancedHttpClient http = client(new FirstStrategy(), a.instance(), b.instance());
    IllegalStateException bug = new IllegalStateException("cannot parse the body");
    HttpResponse.BodyHandler<Integer> parser = info -> HttpResponse.BodySubscribers.mapping(
        HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8), body -> {
          throw bug;
        });

    CompletionException e = assertThrows(CompletionException.class,
        () -> http.sendAsync(HttpRequest.newBuilder(ORDERS).build(), parser).join());

    assertTrue(hasCause(e, bug), "the mapping's own exception: " + e);
    assertEquals(1, a.requests.size() + b.requests.size(),
        "requests sent (a=" + a.requests + ", b=" + b.requests + ")");
    assertNoVerdict();
  }

  /** No instance was charged a failure, none is ejected, no call is left in flight. */
  private void assertNoVerdict() {
    ServiceStatus status = resolver.status(APP).orElseThrow();
    for (InstanceStatus instance : status.instances()) {
      assertEquals(0, instance.consecutiveFailures(), "failure charged to " + instance);
      assertEquals(0, instance.inFlight(), "call left in flight on " + instance);
    }
    assertEquals(0, status.ejectedInstances(), status.toString());
  }

  private static boolean hasCause(Throwable e, Throwable cause) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t == cause) {
        return true;
      }
    }
    return false;
  }

  @Test
  void successesFeedTheLatencyEstimateAndEndTheCallInFlight() throws Exception {
    Backend a = backend("a");
    FirstStrategy strategy = new FirstStrategy();
    LoadBalancedHttpClient http = client(strategy, a.instance());

    http.send(HttpRequest.newBuilder(ORDERS).build(), HttpResponse.BodyHandlers.ofString());
    http.sendAsync(HttpRequest.newBuilder(ORDERS).build(), HttpResponse.BodyHandlers.ofString())
        .get();

    Endpoint endpoint = strategy.last.get(0);
    assertTrue(endpoint.latencyEstimateNanos() > 0, "no latency was reported");
    assertEquals(0, endpoint.inFlight());
  }

  @Test
  void failureStatusesAreReturnedButCountTowardsEjection() throws Exception {
    Backend failing = backend("a-failing");
    failing.status = 503;
    Backend ok = backend("b-ok");
    LoadBalancedHttpClient http = client(new FirstStrategy(), failing.instance(), ok.instance());

    // HealthPolicy default: five failures in a row eject
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(ORDERS).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, r.statusCode());
    }
    assertEquals(5, failing.requests.size());
    assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());
    awaitRoutable(1);
    assertEquals("b-ok", http.send(HttpRequest.newBuilder(ORDERS).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  @Test
  void failureStatusCanBeTurnedOff() throws Exception {
    Backend failing = backend("a-failing");
    failing.status = 503;
    resolver = resolver(new FirstStrategy(), failing.instance());
    LoadBalancedHttpClient http = LoadBalancedHttpClient.builder(resolver)
        .failureStatus(status -> false).build();

    for (int i = 0; i < 6; i++) {
      http.send(HttpRequest.newBuilder(ORDERS).build(), HttpResponse.BodyHandlers.ofString());
    }
    assertEquals(0, resolver.status(APP).orElseThrow().ejectedInstances());
  }

  @Test
  void affinityKeyKeepsAUserOnOneInstance() throws Exception {
    for (String name : List.of("a", "b", "c")) {
      backend(name);
    }
    resolver = resolver(LoadBalancingStrategy.sticky(),
        backends.stream().map(Backend::instance).toArray(Instance[]::new));
    LoadBalancedHttpClient http = LoadBalancedHttpClient.builder(resolver)
        .affinityKey(r -> r.headers().firstValue("X-User").orElse(null))
        .build();

    Map<String, String> first = new HashMap<>();
    for (int round = 0; round < 3; round++) {
      for (int user = 0; user < 20; user++) {
        String body = http.send(HttpRequest.newBuilder(ORDERS).header("X-User", "u" + user)
            .build(), HttpResponse.BodyHandlers.ofString()).body();
        String before = first.putIfAbsent("u" + user, body);
        if (before != null) {
          assertEquals(before, body, "user u" + user + " moved");
        }
      }
    }
    assertTrue(first.values().stream().distinct().count() > 1, "all users on one instance");
  }

  @Test
  void unknownServiceAndBadUrisFailClearly() {
    LoadBalancedHttpClient http = client(LoadBalancingStrategy.roundRobin(),
        backend("a").instance());

    HttpRequest unknown = HttpRequest.newBuilder(URI.create("http://nope/x")).build();
    UnknownServiceException e = assertThrows(UnknownServiceException.class,
        () -> http.send(unknown, HttpResponse.BodyHandlers.ofString()));
    assertEquals("/nope", e.serviceId());
    CompletionException async = assertThrows(CompletionException.class,
        () -> http.sendAsync(unknown, HttpResponse.BodyHandlers.ofString()).join());
    assertInstanceOf(UnknownServiceException.class, async.getCause());

    HttpRequest withPort = HttpRequest.newBuilder(URI.create("http://checkout.shop:8080/")).build();
    assertThrows(IllegalArgumentException.class,
        () -> http.send(withPort, HttpResponse.BodyHandlers.ofString()));
    assertThrows(IllegalArgumentException.class,
        () -> http.sendAsync(withPort, HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void cancellingAnAsyncSendCancelsTheRetryInFlight() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Instance holder = Instance.builder(APP, "silent", "127.0.0.1", silent.getLocalPort())
          .health(HealthStatus.HEALTHY).build();
      // The first attempt is refused; the retry goes to the instance that holds the request.
      resolver = resolver(new FirstStrategy(), dead("a-dead"), holder);
      // A request timeout far past the test's own: only the cancel can end the attempt.
      LoadBalancedHttpClient http = LoadBalancedHttpClient.builder(resolver)
          .requestTimeout(java.time.Duration.ofHours(1)).build();

      java.util.concurrent.CompletableFuture<HttpResponse<String>> sent =
          http.sendAsync(HttpRequest.newBuilder(ORDERS).build(),
              HttpResponse.BodyHandlers.ofString());
      try (java.net.Socket accepted = silent.accept()) { // the request arrived and is held
        assertEquals(1, instanceStatus().inFlight());
        assertTrue(sent.cancel(true));

        // The attempt is cancelled: the client closes the connection and the call leaves the
        // in-flight count (it stayed there, and the connection open, until the request timeout).
        accepted.setSoTimeout(20_000); // a bound on the wait, not a timing assertion
        java.io.InputStream in = accepted.getInputStream();
        while (in.read() != -1) {
          // the request's bytes, then the end of the stream when the client closes
        }
        while (instanceStatus().inFlight() != 0) {
          Thread.sleep(5);
        }
      }
    }
  }

  @Test
  void anInstanceAddressTheJdkClientRefusesIsReportedNotLeftInFlight() throws Exception {
    // Instance accepts a host name with an underscore (a Docker Compose service name, say); the
    // JDK client refuses the URI it makes (no host by RFC 2396), before anything is sent.
    Instance underscore = Instance.builder(APP, "a-underscore", "my_host", 8080)
        .health(HealthStatus.HEALTHY).build();
    LoadBalancedHttpClient http = client(new FirstStrategy(), underscore);

    assertThrows(IllegalArgumentException.class, () -> http.send(
        HttpRequest.newBuilder(ORDERS).build(), HttpResponse.BodyHandlers.ofString()));
    CompletionException async = assertThrows(CompletionException.class, () -> http.sendAsync(
        HttpRequest.newBuilder(ORDERS).build(), HttpResponse.BodyHandlers.ofString()).join());
    assertInstanceOf(IllegalArgumentException.class, async.getCause());

    // Both calls ended and were charged to the instance (enough of them eject it); they stayed
    // in flight for ever, and the instance was never ejected.
    InstanceStatus status = resolver.status(APP).orElseThrow().instances().get(0);
    assertEquals(0, status.inFlight());
    assertEquals(2, status.consecutiveFailures());
  }

  private InstanceStatus instanceStatus() {
    return resolver.status(APP).orElseThrow().instances().stream()
        .filter(i -> i.instance().instanceId().equals("silent")).findFirst().orElseThrow();
  }

  @Test
  void hostNamesMapToMarathonIdsReadBackwards() {
    assertEquals("/my-app", LoadBalancedHttpClient.serviceIdFromHost(URI.create("http://my-app/")));
    assertEquals("/prod/backend/worker", LoadBalancedHttpClient.serviceIdFromHost(
        URI.create("https://worker.backend.prod/a/b")));
    assertThrows(IllegalArgumentException.class,
        () -> LoadBalancedHttpClient.serviceIdFromHost(URI.create("http:///x")));
  }

  @Test
  void routedRequestKeepsEverythingButTheAuthority() {
    HttpRequest original = HttpRequest.newBuilder(URI.create("https://my-app/a%20b?q=1%2B2"))
        .header("X-A", "1").timeout(java.time.Duration.ofSeconds(3)).DELETE().build();
    HttpRequest routed = LoadBalancedHttpClient.routed(original,
        Instance.of("/my-app", "::1", 8443), java.time.Duration.ofSeconds(30));
    assertEquals(URI.create("https://[::1]:8443/a%20b?q=1%2B2"), routed.uri());
    assertEquals("DELETE", routed.method());
    assertEquals(List.of("1"), routed.headers().allValues("X-A"));
    assertEquals(original.timeout(), routed.timeout());
    HttpRequest withoutTimeout = LoadBalancedHttpClient.routed(
        HttpRequest.newBuilder(URI.create("http://my-app")).build(),
        Instance.of("/my-app", "127.0.0.1", 1), java.time.Duration.ofSeconds(30));
    assertEquals(URI.create("http://127.0.0.1:1/"), withoutTimeout.uri());
    assertEquals(java.util.Optional.of(java.time.Duration.ofSeconds(30)), withoutTimeout.timeout());
  }

  // ---- fixtures -------------------------------------------------------------------------------

  private LoadBalancedHttpClient client(LoadBalancingStrategy strategy, Instance... instances) {
    resolver = resolver(strategy, instances);
    return LoadBalancedHttpClient.of(resolver);
  }

  private ServiceResolver resolver(LoadBalancingStrategy strategy, Instance... instances) {
    source.set(APP, instances);
    return ServiceResolver.builder().source(source).strategy(strategy).build();
  }

  private void awaitRoutable(int n) throws InterruptedException {
    while (resolver.status(APP).orElseThrow().routableInstances() != n) {
      Thread.sleep(5);
    }
  }

  private static Instance dead(String id) {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return Instance.builder(APP, id, "127.0.0.1", port).health(HealthStatus.HEALTHY).build();
  }

  private Backend backend(String name) {
    try {
      Backend b = new Backend(name);
      backends.add(b);
      return b;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A real HTTP server that answers with its name and records "METHOD path?query header body". */
  static final class Backend {
    final String name;
    final HttpServer server;
    final List<String> requests = new CopyOnWriteArrayList<>();
    volatile int status = 200;

    Backend(String name) throws IOException {
      this.name = name;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setExecutor(Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "backend-" + name);
        t.setDaemon(true);
        return t;
      }));
      server.createContext("/", ex -> {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String trace = ex.getRequestHeaders().getFirst("X-Trace");
        requests.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " "
            + (trace == null ? "-" : trace) + " " + body);
        byte[] out = name.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, out.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(out);
        }
      });
      server.start();
    }

    Instance instance() {
      return Instance.builder(APP, name, "127.0.0.1", server.getAddress().getPort())
          .health(HealthStatus.HEALTHY).build();
    }
  }

  /** Always picks the first endpoint in instance-id order; keeps the endpoints it was given. */
  static final class FirstStrategy implements LoadBalancingStrategy {
    volatile List<Endpoint> last = List.of();
    final AtomicInteger pickers = new AtomicInteger();

    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      last = endpoints;
      pickers.incrementAndGet();
      Endpoint first = endpoints.get(0);
      return key -> first;
    }

    @Override
    public String name() {
      return "first";
    }
  }
}
