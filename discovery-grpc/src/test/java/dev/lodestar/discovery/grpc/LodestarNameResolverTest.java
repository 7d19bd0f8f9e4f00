package dev.lodestar.discovery.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.marathon.MarathonSource;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC channels on Lodestar against real gRPC servers on loopback and a loopback Marathon with an
 * event stream: calls spread, a gracefully stopped server costs no failed RPC, a scale-up gets
 * calls, an unknown app fails with Lodestar's message, and the ServiceLoader scheme works.
 */
class LodestarNameResolverTest {
  private static final String APP = "/shop/checkout";
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private LoopbackMarathon marathon;
  private ServiceResolver resolver;
  private String scheme;

  @BeforeEach
  void start() throws Exception {
    marathon = new LoopbackMarathon();
    resolver = ServiceResolver.builder()
        .source(MarathonSource.builder().url(marathon.url()).build())
        .build();
    // A scheme per test: the default registry is JVM-wide.
    scheme = "lodestar" + System.nanoTime();
    NameResolverRegistry.getDefaultRegistry()
        .register(LodestarNameResolverProvider.of(scheme, resolver));
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    resolver.close();
    marathon.close();
  }

  private EchoServer server(String name) throws Exception {
    EchoServer s = new EchoServer(name);
    closeables.add(s);
    return s;
  }

  private ManagedChannel channel(String target) {
    ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
        .defaultLoadBalancingPolicy("round_robin")
        .build();
    closeables.add(() -> {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    });
    return channel;
  }

  private static String who(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(channel, EchoServer.WHO,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), "who?");
  }

  private static Map<String, Integer> calls(ManagedChannel channel, int n) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      seen.merge(who(channel), 1, Integer::sum);
    }
    return seen;
  }

  /** Calls until every server of {@code names} has answered since the call began, or fails. */
  private static void awaitAll(ManagedChannel channel, List<String> names) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Map<String, Integer> seen = new HashMap<>();
    while (!seen.keySet().containsAll(names)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("within 30 s only " + seen + " answered, expected " + names);
      }
      seen.merge(who(channel), 1, Integer::sum);
    }
  }

  @Test
  void callsSpreadOverEveryInstance() throws Exception {
    EchoServer a = server("a");
    EchoServer b = server("b");
    EchoServer c = server("c");
    marathon.setTasks(APP, List.of(a.port(), b.port(), c.port()));
    ManagedChannel channel = channel(scheme + ":///shop/checkout");
    awaitAll(channel, List.of("a", "b", "c")); // round_robin connects to all three
    Map<String, Integer> seen = calls(channel, 90);
    assertEquals(3, seen.size(), seen.toString());
    for (int n : seen.values()) {
      assertTrue(n >= 20, seen.toString());
    }
  }

  @Test
  void aGracefullyStoppedServerCostsNoFailedRpc() throws Exception {
    EchoServer a = server("a");
    EchoServer b = server("b");
    EchoServer c = server("c");
    marathon.setTasks(APP, List.of(a.port(), b.port(), c.port()));
    ManagedChannel channel = channel(scheme + ":///shop/checkout");
    awaitAll(channel, List.of("a", "b", "c"));
    c.stop(); // graceful, as on SIGTERM; Marathon still lists it: only the connection tells
    int failures = 0;
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      try {
        seen.merge(who(channel), 1, Integer::sum);
      } catch (StatusRuntimeException e) {
        failures++;
      }
    }
    assertEquals(0, failures, "failed RPCs after the stop; answered: " + seen);
    assertEquals(60, seen.getOrDefault("a", 0) + seen.getOrDefault("b", 0), seen.toString());
  }

  @Test
  void aScaleUpGetsCalls() throws Exception {
    EchoServer a = server("a");
    marathon.setTasks(APP, List.of(a.port()));
    ManagedChannel channel = channel(scheme + ":///shop/checkout");
    assertEquals("a", who(channel));
    EchoServer d = server("d");
    marathon.setTasks(APP, List.of(a.port(), d.port())); // announced on /v2/events
    awaitAll(channel, List.of("a", "d"));
    assertTrue(d.calls.get() > 0);
  }

  @Test
  void anUnknownAppFailsWithLodestarsMessage() {
    ManagedChannel channel = channel(scheme + ":///shop/nope");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> who(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    String description = String.valueOf(e.getStatus().getDescription());
    assertTrue(description.contains("/shop/nope"), description);
    assertTrue(description.contains("unknown service"), description);
  }

  @Test
  void theMarathonSchemeComesThroughServiceLoader() throws Exception {
    EchoServer a = server("a");
    marathon.setTasks(APP, List.of(a.port()));
    ManagedChannel channel = channel("marathon://" + marathon.authority() + "/shop/checkout");
    assertEquals("a", who(channel));
    assertEquals("checkout.shop", channel.authority());
  }
}
