package dev.lodestar.discovery.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.source.StaticSource;
import io.grpc.CallOptions;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolver;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.SynchronizationContext;
import io.grpc.stub.ClientCalls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC channels on Lodestar against real gRPC servers on loopback and a loopback Marathon with an
 * event stream: calls spread, a gracefully stopped server costs no failed RPC, a scale-up gets
 * calls, an unknown app fails with Lodestar's message, and the ServiceLoader scheme works. Host
 * names resolve from the module's {@code test-hosts} file ({@code jdk.net.hosts.file}), never
 * through DNS.
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

  /** A resolver of fixed instances under a scheme of its own; returns the scheme. */
  private String staticScheme(Instance... instances) {
    ServiceResolver own = ServiceResolver.builder()
        .source(StaticSource.create().set(APP, instances))
        .loadTimeout(Duration.ofSeconds(60))
        .build();
    closeables.add(own);
    String ownScheme = "lodestar-static" + System.nanoTime();
    NameResolverRegistry.getDefaultRegistry()
        .register(LodestarNameResolverProvider.of(ownScheme, own));
    return ownScheme;
  }

  /** What a LodestarNameResolver gives a listener, and on which thread. */
  private static final class Captured extends NameResolver.Listener2 {
    final BlockingQueue<Object> results = new LinkedBlockingQueue<>(); // ResolutionResult, Status
    final BlockingQueue<String> threads = new LinkedBlockingQueue<>();
    /** The resolver and its synchronization context, set by {@link #resolve}. */
    NameResolver nameResolver;
    SynchronizationContext sync;

    @Override
    public void onResult(NameResolver.ResolutionResult result) {
      threads.add(Thread.currentThread().getName());
      results.add(result);
    }

    @Override
    public void onError(Status error) {
      threads.add(Thread.currentThread().getName());
      results.add(error);
    }
  }

  /**
   * Starts a LodestarNameResolver over fixed instances as a channel would (its synchronization
   * context, an offload executor) and returns its listener once the first result is in.
   */
  private Captured resolve(Instance... instances) throws Exception {
    ServiceResolver own = ServiceResolver.builder()
        .source(StaticSource.create().set(APP, instances))
        .loadTimeout(Duration.ofSeconds(60))
        .build();
    closeables.add(own);
    ExecutorService offload = Executors.newSingleThreadExecutor(r -> new Thread(r, "offload"));
    closeables.add(offload::shutdownNow);
    SynchronizationContext sync = new SynchronizationContext((t, e) -> e.printStackTrace());
    NameResolver.Args args = NameResolver.Args.newBuilder()
        .setDefaultPort(443)
        .setProxyDetector(address -> null)
        .setSynchronizationContext(sync)
        .setServiceConfigParser(new NameResolver.ServiceConfigParser() {
          @Override
          public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> raw) {
            return NameResolver.ConfigOrError.fromConfig(raw);
          }
        })
        .setOffloadExecutor(offload)
        .build();
    NameResolver nameResolver = LodestarNameResolverProvider.of("lodestar", own)
        .newNameResolver(URI.create("lodestar:///shop/checkout"), args);
    Captured captured = new Captured();
    captured.nameResolver = nameResolver;
    captured.sync = sync;
    sync.execute(() -> nameResolver.start(captured));
    closeables.add(() -> sync.execute(nameResolver::shutdown));
    Object first = captured.results.poll(30, TimeUnit.SECONDS);
    if (first == null) {
      throw new AssertionError("no result within 30 s");
    }
    captured.results.add(first); // left for the test to take
    return captured;
  }

  private static InetSocketAddress address(String ip, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(ip), port);
  }

  @Test
  void anInstanceNamedByItsHostNameIsReachable() throws Exception {
    EchoServer a = server("a");
    EchoServer b = server("b");
    // Marathon's host-mode tasks carry their agent's host name.
    String named = staticScheme(Instance.of(APP, "agent-1.mesos.test", a.port()),
        Instance.of(APP, "127.0.0.1", b.port()));
    awaitAll(channel(named + ":///shop/checkout"), List.of("a", "b"));
  }

  @Test
  void eachInstanceGetsEveryAddressOfItsHostAndAnUnresolvableOneIsLeftOut() throws Exception {
    Instance named = Instance.of(APP, "agent-2.mesos.test", 31000);
    Instance v4 = Instance.of(APP, "10.0.0.7", 31001);
    Instance v6 = Instance.of(APP, "fd00::7", 31002);
    Instance unknown = Instance.of(APP, "agent-9.mesos.test", 31003);
    Instance notALiteral = Instance.of(APP, "999.1.1.1", 31004); // a name, which does not resolve
    Captured captured = resolve(named, v4, v6, unknown, notALiteral);

    Object result = captured.results.take();
    assertTrue(result instanceof NameResolver.ResolutionResult, String.valueOf(result));
    List<EquivalentAddressGroup> groups =
        ((NameResolver.ResolutionResult) result).getAddressesOrError().getValue();
    Map<Instance, List<SocketAddress>> byInstance = new HashMap<>();
    for (EquivalentAddressGroup g : groups) {
      Instance i = g.getAttributes().get(LodestarNameResolver.INSTANCE);
      assertEquals(i.instanceId(), g.getAttributes().get(LodestarNameResolver.INSTANCE_ID));
      assertEquals(i.weight(), g.getAttributes().get(LodestarNameResolver.WEIGHT));
      byInstance.put(i, g.getAddresses());
    }
    assertEquals(Map.of(
        named, List.of(address("127.0.0.2", 31000), address("127.0.0.1", 31000)),
        v4, List.of(address("10.0.0.7", 31001)),
        v6, List.of(address("fd00::7", 31002))), byInstance);
    // The lookups and the delivery ran on the offload executor, not on a resolver thread.
    assertEquals("offload", captured.threads.take());
  }

  @Test
  void refreshDeliversTheUnchangedInstancesAgainResolvingTheirNames() throws Exception {
    // What the lodestar policy's refreshNameResolution() on a failed connection comes down to.
    Instance named = Instance.of(APP, "agent-1.mesos.test", 31000);
    Captured captured = resolve(named);
    Object first = captured.results.take();
    assertTrue(first instanceof NameResolver.ResolutionResult, String.valueOf(first));
    assertEquals("offload", captured.threads.take());

    captured.sync.execute(captured.nameResolver::refresh); // nothing changed in the source
    Object second = captured.results.poll(10, TimeUnit.SECONDS);
    assertTrue(second instanceof NameResolver.ResolutionResult,
        "a second result after refresh(), got " + second);
    List<EquivalentAddressGroup> groups =
        ((NameResolver.ResolutionResult) second).getAddressesOrError().getValue();
    assertEquals(1, groups.size(), groups.toString());
    // The host name, resolved again from test-hosts.
    assertEquals(List.of(address("127.0.0.1", 31000)), groups.get(0).getAddresses());
    assertEquals(null, captured.results.poll(200, TimeUnit.MILLISECONDS), "one result per refresh");
  }

  @Test
  void nothingResolvableFailsWithTheNamesThatDidNot() throws Exception {
    Object result = resolve(Instance.of(APP, "agent-9.mesos.test", 31003)).results.take();
    assertTrue(result instanceof Status, String.valueOf(result));
    Status status = (Status) result;
    assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    String description = String.valueOf(status.getDescription());
    assertTrue(description.contains("do not resolve"), description);
    assertTrue(description.contains("agent-9.mesos.test:31003"), description);
  }

  @Test
  void onlyTrueIpLiteralsSkipTheLookup() {
    for (String literal : List.of("10.0.0.7", "0.0.0.0", "255.255.255.255", "::1", "fd00::7",
        "::ffff:10.0.0.1", "fe80::1%eth0")) {
      assertTrue(LodestarNameResolver.isIpLiteral(literal), literal);
    }
    for (String name : List.of("999.1.1.1", "1.2.3", "1.2.3.4.5", "010.1.1.1", "agent-1.mesos.test",
        "beef", "10.0.0.7.nip.io")) {
      assertTrue(!LodestarNameResolver.isIpLiteral(name), name);
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
