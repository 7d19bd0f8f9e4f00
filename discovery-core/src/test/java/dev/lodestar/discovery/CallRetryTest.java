package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code call()} against real HTTP servers on loopback, one of them gone (connection refused). */
@Timeout(30)
class CallRetryTest {
  private static final String APP = "/web";
  private final List<HttpServer> servers = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private int deadPort;

  @BeforeEach
  void start() throws IOException {
    for (int i = 0; i < 2; i++) {
      HttpServer server = HttpServer.create(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      String name = "server-" + i;
      server.createContext("/", exchange -> {
        byte[] body = (exchange.getRequestURI().getPath().equals("/fail") ? "boom" : name)
            .getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(
            exchange.getRequestURI().getPath().equals("/fail") ? 500 : 200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
      servers.add(server);
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = socket.getLocalPort(); // closed again at once: connections are refused
    }
  }

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(0));
  }

  private Instance live(int i) {
    return Instance.builder(APP, "live-" + i, "127.0.0.1", servers.get(i).getAddress().getPort())
        .health(HealthStatus.HEALTHY).build();
  }

  private String get(Instance instance, String path) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("http://" + instance.address() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 500) {
      throw new IOException("HTTP " + response.statusCode() + " from " + instance.address());
    }
    return response.body();
  }

  @Test
  void connectionRefusedIsRetriedOnAnotherInstanceAndEjected() throws Exception {
    Instance dead = Instance.builder(APP, "dead", "127.0.0.1", deadPort).build();
    StaticSource source = StaticSource.create().set(APP, dead, live(0), live(1));
    List<Instance> attempts = new CopyOnWriteArrayList<>();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .strategy(LoadBalancingStrategy.roundRobin()).build()) {
      for (int i = 0; i < 30; i++) {
        String body = resolver.call(APP, instance -> {
          attempts.add(instance);
          return get(instance, "/hello");
        });
        assertTrue(body.startsWith("server-"), body);
      }
      // The dead instance was tried once, refused, ejected, and never again.
      assertEquals(1, attempts.stream().filter(dead::equals).count());
      assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());
    }
  }

  @Test
  void retriesGoToADifferentInstanceEachTime() throws Exception {
    List<Instance> deadOnes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      deadOnes.add(Instance.builder(APP, "dead-" + i, "127.0.0.1", deadPort).build());
    }
    List<Instance> all = new ArrayList<>(deadOnes);
    all.add(live(0));
    StaticSource source = StaticSource.create().set(APP, all);
    List<Instance> attempts = new ArrayList<>();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .strategy(LoadBalancingStrategy.random()).maxAttempts(4)
        .healthPolicy(dev.lodestar.discovery.balance.HealthPolicy.custom()
            .ejectOnConnectionRefused(false).build())
        .build()) {
      assertEquals("server-0", resolver.call(APP, instance -> {
        attempts.add(instance);
        return get(instance, "/");
      }));
      assertEquals(attempts.size(), Set.copyOf(attempts).size(), "no instance tried twice");
    }
  }

  @Test
  void aFailureWhoseCausesFormACycleIsReportedAndThrown() {
    // Throwable.initCause refuses only a cause that is the throwable itself: a -> b -> a is legal.
    IOException a = new IOException("a");
    IOException b = new IOException("b", a);
    a.initCause(b);
    StaticSource source = StaticSource.create().set(APP, live(0), live(1));
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      // Bounded only so that the failure shows as a failure: the cause walk used to spin forever.
      IOException thrown = assertTimeoutPreemptively(Duration.ofSeconds(20),
          () -> assertThrows(IOException.class, () -> resolver.call(APP, instance -> {
            throw a;
          })));
      assertSame(a, thrown);
    }
    assertFalse(ServiceResolver.Builder.isConnectionFailure(a));
    IOException x = new IOException("x");
    java.net.ConnectException refused = new java.net.ConnectException("refused");
    refused.initCause(x);
    x.initCause(refused);
    assertTrue(ServiceResolver.Builder.isConnectionFailure(x));
  }

  /**
   * An interrupt is the caller giving up, not the instance failing: with one failure enough to
   * eject and every exception retried, it was charged (the instance ejected) and retried.
   */
  @Test
  void anInterruptedCallIsNeitherChargedToTheInstanceNorRetried() throws Exception {
    StaticSource source = StaticSource.create().set(APP, live(0), live(1));
    List<Instance> attempts = new ArrayList<>();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .healthPolicy(HealthPolicy.custom().consecutiveFailures(1).build())
        .retryOn(t -> true).build()) {
      assertThrows(InterruptedException.class, () -> resolver.call(APP, instance -> {
        attempts.add(instance);
        throw new InterruptedException("shutting down");
      }));
      assertEquals(1, attempts.size(), "retried: " + attempts);
      assertEquals(0, resolver.status(APP).orElseThrow().ejectedInstances());
      assertEquals(2, resolver.status(APP).orElseThrow().routableInstances());
    }
  }

  @Test
  void applicationErrorsAreReportedButNotRetried() throws Exception {
    StaticSource source = StaticSource.create().set(APP, live(0), live(1));
    List<Instance> attempts = new ArrayList<>();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      IOException e = assertThrows(IOException.class, () -> resolver.call(APP, instance -> {
        attempts.add(instance);
        return get(instance, "/fail");
      }));
      assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
      assertEquals(1, attempts.size());
      assertEquals(0, resolver.status(APP).orElseThrow().ejectedInstances());
    }
  }

  @Test
  void aSingleRefusingInstanceIsTriedOnceAndItsErrorThrown() {
    Instance dead = Instance.builder(APP, "dead", "127.0.0.1", deadPort).build();
    StaticSource source = StaticSource.create().set(APP, dead);
    List<Instance> attempts = new CopyOnWriteArrayList<>();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      assertThrows(java.net.ConnectException.class, () -> resolver.call(APP, instance -> {
        attempts.add(instance);
        return get(instance, "/");
      }));
      // No other instance to retry on: the retry does not go back to the one that just refused.
      assertEquals(List.of(dead), attempts, "attempts");
      // Not ejected: ejection never takes the last routable instance.
      assertFalse(resolver.instances(APP).isEmpty());
      assertEquals(0, resolver.status(APP).orElseThrow().ejectedInstances());
    }
  }

  @Test
  void whenEveryInstanceRefusedTheLastErrorIsThrownWithoutRepeatingAnAttempt() {
    Instance dead0 = Instance.builder(APP, "dead-0", "127.0.0.1", deadPort).build();
    Instance dead1 = Instance.builder(APP, "dead-1", "127.0.0.1", deadPort).build();
    StaticSource source = StaticSource.create().set(APP, dead0, dead1);
    List<Instance> attempts = new CopyOnWriteArrayList<>();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).maxAttempts(5)
        .healthPolicy(dev.lodestar.discovery.balance.HealthPolicy.custom()
            .ejectOnConnectionRefused(false).build())
        .build()) {
      java.net.ConnectException e = assertThrows(java.net.ConnectException.class,
          () -> resolver.call(APP, instance -> {
            attempts.add(instance);
            throw new java.net.ConnectException("refused by " + instance.instanceId());
          }));
      assertEquals(2, attempts.size(), "one attempt per instance, not maxAttempts: " + attempts);
      assertEquals(Set.of(dead0, dead1), Set.copyOf(attempts));
      assertEquals("refused by " + attempts.get(1).instanceId(), e.getMessage(),
          "the last attempt's failure is thrown");
    }
  }
}
