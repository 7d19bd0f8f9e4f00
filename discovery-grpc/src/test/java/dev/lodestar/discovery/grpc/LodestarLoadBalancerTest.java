package dev.lodestar.discovery.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.InstanceStatus;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.source.StaticSource;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code lodestar} load-balancing policy on real gRPC servers (grpc-netty) on loopback and a
 * loopback Marathon: Lodestar's strategies choose, call results feed its passive health and
 * latency estimates, and every started call is counted out again.
 */
@Timeout(120)
class LodestarLoadBalancerTest {
  private static final String APP = "/shop/checkout";
  private static final Metadata.Key<String> USER =
      Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private LoopbackMarathon marathon;
  private ServiceResolver resolver;
  private String scheme;

  @BeforeEach
  void startMarathon() throws Exception {
    marathon = new LoopbackMarathon();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (resolver != null) {
      resolver.close();
    }
    marathon.close();
  }

  private void resolver(LoadBalancingStrategy strategy, HealthPolicy policy) {
    resolver = ServiceResolver.builder()
        .source(MarathonSource.builder().url(marathon.url()).build())
        .strategy(strategy)
        .healthPolicy(policy)
        .loadTimeout(Duration.ofSeconds(60)) // the shared machine can be very slow
        .build();
    scheme = "lodestar-lb" + System.nanoTime(); // the default registry is JVM-wide
    NameResolverRegistry.getDefaultRegistry()
        .register(LodestarNameResolverProvider.of(scheme, resolver));
  }

  private EchoServer server(String name) throws Exception {
    EchoServer s = new EchoServer(name);
    closeables.add(s);
    return s;
  }

  private ManagedChannel channel(String target, Map<String, ?> policyConfig) {
    ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
        .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of("lodestar", policyConfig))))
        .build();
    closeables.add(() -> {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    });
    return channel;
  }

  private ManagedChannel channel() {
    return channel(scheme + ":///shop/checkout", Map.of());
  }

  private static String who(Channel channel) {
    return ClientCalls.blockingUnaryCall(channel, EchoServer.WHO,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS), "who?");
  }

  /** Calls until every server of {@code names} has answered, or fails after 30 s. */
  private static void awaitAll(Channel channel, List<String> names) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Map<String, Integer> seen = new HashMap<>();
    while (!seen.keySet().containsAll(names)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("within 30 s only " + seen + " answered, expected " + names);
      }
      seen.merge(who(channel), 1, Integer::sum);
    }
  }

  private List<InstanceStatus> statuses() {
    return resolver.status(APP).orElseThrow().instances();
  }

  private InstanceStatus statusOf(int port) {
    return statuses().stream()
        .filter(s -> s.instance().port() == port)
        .findFirst()
        .orElseThrow();
  }

  private static void await(String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(20);
    }
  }

  private void assertNothingInFlight() throws InterruptedException {
    // A stream's end is reported on a transport thread just after the caller got its answer.
    await("every call counted out: " + statuses(),
        () -> statuses().stream().allMatch(s -> s.inFlight() == 0));
  }

  @Test
  void roundRobinSpreadsCallsEvenlyAndCountsEveryCallOut() throws Exception {
    resolver(LoadBalancingStrategy.roundRobin(), HealthPolicy.ofDefaults());
    EchoServer a = server("a");
    EchoServer b = server("b");
    EchoServer c = server("c");
    marathon.setTasks(APP, List.of(a.port(), b.port(), c.port()));
    ManagedChannel channel = channel();
    awaitAll(channel, List.of("a", "b", "c"));
    int before = a.calls.get() + b.calls.get() + c.calls.get();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 90; i++) {
      seen.merge(who(channel), 1, Integer::sum);
    }
    assertEquals(before + 90, a.calls.get() + b.calls.get() + c.calls.get());
    // Lodestar's round-robin cycles exactly once all three are connected.
    assertEquals(Map.of("a", 30, "b", 30, "c", 30), seen);
    assertNothingInFlight();
    for (InstanceStatus s : statuses()) {
      assertTrue(s.latencyEstimate().toNanos() > 0, "latency fed back: " + s);
    }
  }

  @Test
  void peakEwmaAvoidsASlowServer() throws Exception {
    resolver(LoadBalancingStrategy.peakEwma(), HealthPolicy.ofDefaults());
    EchoServer a = server("a");
    EchoServer b = server("b");
    EchoServer slow = server("slow");
    slow.delayMillis = 500;
    marathon.setTasks(APP, List.of(a.port(), b.port(), slow.port()));
    ManagedChannel channel = channel();
    awaitAll(channel, List.of("a", "b", "slow"));
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      seen.merge(who(channel), 1, Integer::sum);
    }
    // Round-robin would send it 20; with a 500 ms sample its cost dwarfs the others' for the
    // whole run (the estimate decays over ~10 s). Loose bound: the shared machine stalls too.
    assertTrue(seen.getOrDefault("slow", 0) <= 10, seen.toString());
    assertNothingInFlight();
  }

  @Test
  void failingCallsEjectTheInstanceInTheSharedResolver() throws Exception {
    resolver(LoadBalancingStrategy.roundRobin(),
        HealthPolicy.custom().consecutiveFailures(3).build());
    EchoServer a = server("a");
    EchoServer b = server("b");
    EchoServer broken = server("broken");
    marathon.setTasks(APP, List.of(a.port(), b.port(), broken.port()));
    ManagedChannel channel = channel();
    awaitAll(channel, List.of("a", "b", "broken"));
    broken.failWith = Status.INTERNAL.withDescription("disk full");
    int failures = 0;
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      try {
        seen.merge(who(channel), 1, Integer::sum);
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.toString());
        failures++;
      }
    }
    // Three failures in a row eject it for 30 s: no call reaches it after the third.
    assertEquals(3, failures, "answered: " + seen);
    assertTrue(statusOf(broken.port()).ejected(), statuses().toString());
    assertEquals(57, seen.get("a") + seen.get("b"), seen.toString());
    assertNothingInFlight();
  }

  @Test
  void applicationErrorsDoNotCountAgainstTheInstance() throws Exception {
    resolver(LoadBalancingStrategy.roundRobin(),
        HealthPolicy.custom().consecutiveFailures(2).build());
    EchoServer a = server("a");
    marathon.setTasks(APP, List.of(a.port()));
    ManagedChannel channel = channel();
    assertEquals("a", who(channel));
    a.failWith = Status.NOT_FOUND.withDescription("no such order");
    for (int i = 0; i < 10; i++) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> who(channel));
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }
    assertEquals(0, statusOf(a.port()).consecutiveFailures());
    assertTrue(!statusOf(a.port()).ejected());
  }

  @Test
  void aGracefullyStoppedServerCostsNoFailedRpcAndIsEjected() throws Exception {
    resolver(LoadBalancingStrategy.leastInFlight(), HealthPolicy.ofDefaults());
    EchoServer a = server("a");
    EchoServer b = server("b");
    EchoServer c = server("c");
    marathon.setTasks(APP, List.of(a.port(), b.port(), c.port()));
    ManagedChannel channel = channel();
    awaitAll(channel, List.of("a", "b", "c"));
    int stoppedPort = c.port();
    c.stop(); // graceful, as on SIGTERM; Marathon still lists it: only the connection tells
    int failures = 0;
    List<String> errors = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      try {
        seen.merge(who(channel), 1, Integer::sum);
      } catch (StatusRuntimeException e) {
        failures++;
        errors.add(e.getStatus().toString());
      }
    }
    assertEquals(0, failures, "failed RPCs after the stop: " + errors + "; answered: " + seen);
    assertEquals(60, seen.getOrDefault("a", 0) + seen.getOrDefault("b", 0), seen.toString());
    // The refused reconnection reached Lodestar's passive health as a connection failure.
    await("c ejected: " + statuses(), () -> statusOf(stoppedPort).ejected());
    assertNothingInFlight();
  }

  @Test
  void aScaleUpGetsCalls() throws Exception {
    resolver(LoadBalancingStrategy.roundRobin(), HealthPolicy.ofDefaults());
    EchoServer a = server("a");
    marathon.setTasks(APP, List.of(a.port()));
    ManagedChannel channel = channel();
    assertEquals("a", who(channel));
    EchoServer d = server("d");
    marathon.setTasks(APP, List.of(a.port(), d.port())); // announced on /v2/events
    awaitAll(channel, List.of("a", "d"));
    assertTrue(d.calls.get() > 0);
  }

  @Test
  void stickyKeepsAUserOnOneServer() throws Exception {
    resolver(LoadBalancingStrategy.sticky(), HealthPolicy.ofDefaults());
    EchoServer a = server("a");
    EchoServer b = server("b");
    EchoServer c = server("c");
    marathon.setTasks(APP, List.of(a.port(), b.port(), c.port()));
    ManagedChannel channel = channel(scheme + ":///shop/checkout", Map.of("affinityHeader", "x-user"));
    awaitAll(channel, List.of("a", "b", "c")); // no header: round-robin
    Map<String, String> serverOf = new HashMap<>();
    for (int user = 0; user < 20; user++) {
      Metadata headers = new Metadata();
      headers.put(USER, "user-" + user);
      Channel asUser = ClientInterceptors.intercept(channel,
          MetadataUtils.newAttachHeadersInterceptor(headers));
      String first = who(asUser);
      for (int i = 0; i < 5; i++) {
        assertEquals(first, who(asUser), "user-" + user);
      }
      serverOf.put("user-" + user, first);
    }
    assertTrue(serverOf.values().stream().distinct().count() > 1, serverOf.toString());
  }

  @Test
  void anUnknownAppFailsWithLodestarsMessage() {
    resolver(LoadBalancingStrategy.roundRobin(), HealthPolicy.ofDefaults());
    ManagedChannel channel = channel(scheme + ":///shop/nope", Map.of());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> who(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    String description = String.valueOf(e.getStatus().getDescription());
    assertTrue(description.contains("/shop/nope"), description);
    assertTrue(description.contains("unknown service"), description);
  }

  @Test
  void aTargetThatIsNotLodestarsIsRefusedWithAReason() throws Exception {
    EchoServer a = server("a");
    ManagedChannel channel = channel("dns:///127.0.0.1:" + a.port(), Map.of());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> who(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    assertTrue(String.valueOf(e.getStatus().getDescription()).contains("needs a Lodestar target"),
        e.toString());
    assertEquals(0, a.calls.get());
  }

  @Test
  void anInstanceNamedByItsHostNameIsReachable() throws Exception {
    EchoServer a = server("a");
    // Marathon's host-mode tasks carry their agent's host name (from the module's test-hosts).
    resolver = ServiceResolver.builder()
        .source(StaticSource.create().set(APP, Instance.of(APP, "agent-1.mesos.test", a.port())))
        .loadTimeout(Duration.ofSeconds(60))
        .build();
    scheme = "lodestar-named" + System.nanoTime();
    NameResolverRegistry.getDefaultRegistry()
        .register(LodestarNameResolverProvider.of(scheme, resolver));
    assertEquals("a", who(channel()));
    assertNothingInFlight();
  }

  @Test
  void aRefusedConnectionMakesTheChannelAskTheResolverAgain() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort(); // nothing listens there once the socket is closed
    }
    resolver = ServiceResolver.builder()
        .source(StaticSource.create().set(APP, Instance.of(APP, "127.0.0.1", closedPort)))
        .loadTimeout(Duration.ofSeconds(60))
        .build();
    AtomicInteger refreshes = new AtomicInteger();
    String counting = "lodestar-refresh" + System.nanoTime();
    NameResolverRegistry.getDefaultRegistry().register(new RefreshCountingProvider(
        LodestarNameResolverProvider.of(counting, resolver), refreshes));
    ManagedChannel channel = channel(counting + ":///shop/checkout", Map.of());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> who(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    // The policy must ask for it (round_robin and pick_first do); gRPC no longer does on its own.
    await("the channel calls LodestarNameResolver.refresh() after a refused connection",
        () -> refreshes.get() > 0);
  }

  /** Counts the channel's {@link NameResolver#refresh()} calls on a Lodestar resolver. */
  private static final class RefreshCountingProvider extends NameResolverProvider {
    private final LodestarNameResolverProvider lodestar;
    private final AtomicInteger refreshes;

    RefreshCountingProvider(LodestarNameResolverProvider lodestar, AtomicInteger refreshes) {
      this.lodestar = lodestar;
      this.refreshes = refreshes;
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
      NameResolver delegate = lodestar.newNameResolver(target, args);
      return delegate == null ? null : new NameResolver() {
        @Override
        public String getServiceAuthority() {
          return delegate.getServiceAuthority();
        }

        @Override
        public void start(Listener2 listener) {
          delegate.start(listener);
        }

        @Override
        public void refresh() {
          refreshes.incrementAndGet();
          delegate.refresh();
        }

        @Override
        public void shutdown() {
          delegate.shutdown();
        }
      };
    }

    @Override
    public String getDefaultScheme() {
      return lodestar.getDefaultScheme();
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
      return List.of(InetSocketAddress.class);
    }
  }

  @Test
  void thePolicyComesThroughServiceLoaderAndParsesItsConfig() {
    LodestarLoadBalancerProvider provider = (LodestarLoadBalancerProvider)
        LoadBalancerRegistry.getDefaultRegistry().getProvider("lodestar");
    assertNotNull(provider);
    LodestarLoadBalancerProvider.BalancerConfig config = (LodestarLoadBalancerProvider.BalancerConfig)
        provider.parseLoadBalancingPolicyConfig(
            Map.of("affinityHeader", "x-user", "failureCodes", List.of("UNAVAILABLE")))
            .getConfig();
    assertEquals("x-user", config.affinityHeader().name());
    assertEquals(java.util.Set.of(Status.Code.UNAVAILABLE), config.failureCodes());
    Predicate<Map<String, ?>> rejected =
        raw -> provider.parseLoadBalancingPolicyConfig(raw).getError() != null;
    assertTrue(rejected.test(Map.of("failureCodes", List.of("NOT_A_CODE"))));
    assertTrue(rejected.test(Map.of("failureCodes", List.of("OK"))));
    assertTrue(rejected.test(Map.of("affinityHeader", 7)));
    assertTrue(rejected.test(Map.of("affinityHeader", "bad header")));
    assertNull(provider.parseLoadBalancingPolicyConfig(Map.of()).getError());
  }
}
