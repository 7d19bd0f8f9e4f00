package dev.lodestar.benchmarks.grpc;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.grpc.LodestarNameResolverProvider;
import dev.lodestar.discovery.source.StaticSource;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One gRPC channel on a Lodestar target over three real grpc-netty servers on loopback, with
 * gRPC's {@code round_robin} and {@code least_request_experimental} (grpc-xds) beside the {@code
 * lodestar} policy with three of Lodestar's strategies. Only the policy differs: every variant
 * uses the same name resolver and the same servers.
 *
 * <p>{@code even}: three equal servers; measures the policy's cost per call. {@code oneSlow}: one
 * server takes 5 ms per call, the others answer at once; measures how much of the load each
 * policy keeps away from it. Eight threads make blocking unary calls; each trial prints how many
 * calls each server answered.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Threads(8)
public class GrpcBalancerBenchmark {
  private static final String APP = "/bench/grpc";
  private static final long SLOW_MILLIS = 5;
  static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("lodestar.bench.Echo/Who")
      .setRequestMarshaller(new Utf8())
      .setResponseMarshaller(new Utf8())
      .build();

  /** {@code round_robin}, {@code least_request_experimental}, or {@code lodestar:<strategy>}. */
  @Param({"round_robin", "least_request_experimental", "lodestar:round-robin",
      "lodestar:least-in-flight", "lodestar:peak-ewma"})
  public String policy;

  @Param({"even", "oneSlow"})
  public String scenario;

  private final List<Server> servers = new ArrayList<>();
  private final List<AtomicLong> answered = new ArrayList<>();
  private ExecutorService serverThreads;
  private ServiceResolver resolver;
  private ManagedChannel channel;

  @Setup(Level.Trial)
  public void start() throws Exception {
    serverThreads = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "bench-grpc-server");
      t.setDaemon(true);
      return t;
    });
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      boolean slow = scenario.equals("oneSlow") && i == 2;
      AtomicLong count = new AtomicLong();
      answered.add(count);
      String name = "s" + i;
      ServerServiceDefinition service = ServerServiceDefinition.builder("lodestar.bench.Echo")
          .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
            count.incrementAndGet();
            if (slow) {
              sleep(SLOW_MILLIS);
            }
            response.onNext(name);
            response.onCompleted();
          }))
          .build();
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .executor(serverThreads)
          .addService(service)
          .build()
          .start();
      servers.add(server);
      instances.add(Instance.builder(APP, name, "127.0.0.1", server.getPort()).build());
    }
    StaticSource source = StaticSource.create().set(APP, instances);
    LoadBalancingStrategy strategy = switch (policy) {
      case "lodestar:least-in-flight" -> LoadBalancingStrategy.leastInFlight();
      case "lodestar:peak-ewma" -> LoadBalancingStrategy.peakEwma();
      default -> LoadBalancingStrategy.roundRobin();
    };
    resolver = ServiceResolver.builder().source(source).strategy(strategy).build();
    String scheme = "bench" + System.nanoTime();
    NameResolverRegistry.getDefaultRegistry()
        .register(LodestarNameResolverProvider.of(scheme, resolver));
    String lbPolicy = policy.startsWith("lodestar:") ? "lodestar" : policy;
    channel = Grpc.newChannelBuilder(scheme + "://" + APP, InsecureChannelCredentials.create())
        .defaultLoadBalancingPolicy(lbPolicy)
        .build();
    Set<String> seen = new HashSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (seen.size() < 3 && System.nanoTime() < deadline) {
      seen.add(call());
    }
    if (seen.size() < 3) {
      throw new IllegalStateException(policy + ": only " + seen + " answered within 60 s");
    }
    answered.forEach(a -> a.set(0));
  }

  @TearDown(Level.Trial)
  public void stop() throws InterruptedException {
    long total = answered.stream().mapToLong(AtomicLong::get).sum();
    StringBuilder shares = new StringBuilder();
    for (int i = 0; i < answered.size(); i++) {
      shares.append(String.format(" s%d=%.1f%%", i, 100.0 * answered.get(i).get() / total));
    }
    System.out.println("\n[calls] " + policy + " " + scenario + ":" + shares);
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    serverThreads.shutdownNow();
    resolver.close();
  }

  @Benchmark
  public String call() {
    return ClientCalls.blockingUnaryCall(channel, WHO,
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), "who?");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** UTF-8 strings as messages: no protoc needed. */
  static final class Utf8 implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
