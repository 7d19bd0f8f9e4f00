package dev.lodestar.benchmarks.peers;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.Selection;
import dev.lodestar.discovery.ServiceHandle;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import io.grpc.LoadBalancer;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pick path beside bare baselines and peer libraries, in one run (as Caffeine benchmarks its
 * peers): ns per pick over the same number of instances, every instance healthy.
 *
 * <ul>
 *   <li><b>bare</b>: an {@link AtomicInteger} round-robin over an array; {@code
 *       ThreadLocalRandom.nextInt(n)}; power of two choices over per-instance {@code
 *       AtomicInteger} in-flight counters, alone and with the in-flight increment + decrement of
 *       one call; one {@code System.nanoTime()} (the clock read a timed report costs).
 *   <li><b>Lodestar</b>: {@code resolver.pick(id)} and the {@link ServiceHandle} ({@code
 *       resolver.service(id)}) for round-robin, random, least-in-flight (P2C), sticky; {@code
 *       select()} + {@code success(latency)} for least-in-flight and peak EWMA.
 *   <li><b>peers</b>: gRPC-Java's {@code round_robin} picker, built through the public {@code
 *       LoadBalancerRegistry}/{@code Helper} API over fake subchannels reported READY; Curator
 *       x-discovery's {@code RoundRobinStrategy} and {@code RandomStrategy}; Spring Cloud
 *       LoadBalancer's {@code RoundRobinLoadBalancer}, its selection alone (the private {@code
 *       getInstanceResponse(List)} through a method handle) and its public reactive {@code
 *       choose()}; SmallRye Stork's power-of-two-choices and least-requests balancers with their
 *       call recording.
 * </ul>
 *
 * <p>Each system lives in its own {@code @State} class, so a fork sets up only what its benchmark
 * uses and the JIT's type profiles see one strategy at a time, as in an application. Baseline
 * methods do nothing but the baseline (no branches on parameters).
 *
 * <pre>
 * mvn -q -B -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar 'peers.PeerPickBenchmark' -t 1 -prof gc -rf json -rff peers-t1.json
 * java -jar benchmarks/target/benchmarks.jar 'peers.PeerPickBenchmark' -t 2 -prof gc -rf json -rff peers-t2.json
 * python3 benchmarks/scripts/peer-table.py peers-t1.json peers-t2.json
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PeerPickBenchmark {
  static final String SERVICE = "/bench/app";
  private static final Duration LATENCY = Duration.ofMillis(3);

  /** Instance count shared by every state (one parameter, so every system sees the same n). */
  @State(Scope.Benchmark)
  public static class Size {
    @Param({"1000"})
    public int instances;
  }

  static List<Instance> instances(int n) {
    List<Instance> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(Instance.builder(SERVICE, "task-" + i, host(i), 31000 + i).build());
    }
    return list;
  }

  static String host(int i) {
    return "10.0." + (i / 250) + "." + (i % 250 + 1);
  }

  // ---- bare baselines ---------------------------------------------------------------------

  /** Arrays and counters, nothing else. */
  @State(Scope.Benchmark)
  public static class Bare {
    Instance[] array;
    AtomicInteger[] inFlight;
    final AtomicInteger counter = new AtomicInteger();

    @Setup
    public void setUp(Size size) {
      array = instances(size.instances).toArray(new Instance[0]);
      inFlight = new AtomicInteger[array.length];
      for (int i = 0; i < inFlight.length; i++) {
        inFlight[i] = new AtomicInteger();
      }
    }
  }

  @Benchmark
  public Instance bareRoundRobin(Bare b) {
    return b.array[(b.counter.getAndIncrement() & Integer.MAX_VALUE) % b.array.length];
  }

  @Benchmark
  public Instance bareRandom(Bare b) {
    return b.array[ThreadLocalRandom.current().nextInt(b.array.length)];
  }

  @Benchmark
  public Instance bareP2C(Bare b) {
    return b.array[bareP2CIndex(b)];
  }

  @Benchmark
  public Instance bareP2CRecord(Bare b) {
    int i = bareP2CIndex(b);
    b.inFlight[i].incrementAndGet();
    b.inFlight[i].decrementAndGet();
    return b.array[i];
  }

  private static int bareP2CIndex(Bare b) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int n = b.array.length;
    int x = random.nextInt(n);
    int y = random.nextInt(n - 1);
    if (y >= x) {
      y++;
    }
    return b.inFlight[x].get() <= b.inFlight[y].get() ? x : y;
  }

  @Benchmark
  public long clockRead() {
    return System.nanoTime();
  }

  // ---- Lodestar ---------------------------------------------------------------------------

  /** A resolver over a static source, its service loaded, and a handle on it. */
  public abstract static class Lodestar {
    ServiceResolver resolver;
    ServiceHandle handle;
    final String[] keys = new String[1024];

    abstract LoadBalancingStrategy strategy();

    @Setup(Level.Trial)
    public void setUp(Size size) {
      resolver = ServiceResolver.builder()
          .source(StaticSource.create().set(SERVICE, instances(size.instances)))
          .strategy(strategy())
          .build();
      handle = resolver.service(SERVICE);
      handle.pick(); // loads the service: the benchmarks measure cache hits
      for (int i = 0; i < keys.length; i++) {
        keys[i] = "user-" + i;
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      resolver.close();
    }
  }

  @State(Scope.Benchmark)
  public static class LodestarRoundRobin extends Lodestar {
    @Override
    LoadBalancingStrategy strategy() {
      return LoadBalancingStrategy.roundRobin();
    }
  }

  @State(Scope.Benchmark)
  public static class LodestarRandom extends Lodestar {
    @Override
    LoadBalancingStrategy strategy() {
      return LoadBalancingStrategy.random();
    }
  }

  @State(Scope.Benchmark)
  public static class LodestarLeastInFlight extends Lodestar {
    @Override
    LoadBalancingStrategy strategy() {
      return LoadBalancingStrategy.leastInFlight();
    }
  }

  @State(Scope.Benchmark)
  public static class LodestarPeakEwma extends Lodestar {
    @Override
    LoadBalancingStrategy strategy() {
      return LoadBalancingStrategy.peakEwma();
    }
  }

  @State(Scope.Benchmark)
  public static class LodestarSticky extends Lodestar {
    @Override
    LoadBalancingStrategy strategy() {
      return LoadBalancingStrategy.sticky();
    }
  }

  /** Per-thread key cursor, so threads do not share a counter for keys. */
  @State(Scope.Thread)
  public static class KeyCursor {
    int next;
  }

  @Benchmark
  public Instance lodestarHandleRoundRobin(LodestarRoundRobin s) {
    return s.handle.pick();
  }

  @Benchmark
  public Instance lodestarIdRoundRobin(LodestarRoundRobin s) {
    return s.resolver.pick(SERVICE);
  }

  @Benchmark
  public Instance lodestarHandleRandom(LodestarRandom s) {
    return s.handle.pick();
  }

  @Benchmark
  public Instance lodestarIdRandom(LodestarRandom s) {
    return s.resolver.pick(SERVICE);
  }

  @Benchmark
  public Instance lodestarHandleLeastInFlight(LodestarLeastInFlight s) {
    return s.handle.pick();
  }

  @Benchmark
  public Instance lodestarHandleSticky(LodestarSticky s, KeyCursor c) {
    return s.handle.pick(s.keys[c.next++ & 1023]);
  }

  @Benchmark
  public Instance lodestarHandleLeastInFlightSelectSuccess(LodestarLeastInFlight s) {
    Selection selection = s.handle.select();
    selection.success(LATENCY);
    return selection.instance();
  }

  @Benchmark
  public Instance lodestarIdLeastInFlightSelectSuccess(LodestarLeastInFlight s) {
    Selection selection = s.resolver.select(SERVICE);
    selection.success(LATENCY);
    return selection.instance();
  }

  @Benchmark
  public Instance lodestarHandlePeakEwmaSelectSuccess(LodestarPeakEwma s) {
    Selection selection = s.handle.select();
    selection.success(LATENCY);
    return selection.instance();
  }

  // ---- peers ------------------------------------------------------------------------------

  @Benchmark
  public LoadBalancer.PickResult grpcRoundRobin(GrpcPeer g) {
    return g.picker.pickSubchannel(g.args);
  }

  @Benchmark
  public Object curatorRoundRobin(CuratorPeer c) throws Exception {
    return c.roundRobin.getInstance(c.provider);
  }

  @Benchmark
  public Object curatorRandom(CuratorPeer c) throws Exception {
    return c.random.getInstance(c.provider);
  }

  @Benchmark
  public Object springRoundRobinSelect(SpringPeer s) throws Throwable {
    MethodHandle select = SpringPeer.GET_INSTANCE_RESPONSE;
    return select.invoke(s.balancer, s.instances);
  }

  @Benchmark
  public Object springRoundRobinChoose(SpringPeer s) {
    return s.balancer.choose(s.request).block();
  }

  @Benchmark
  public Object storkP2CRecord(StorkPeer s) {
    io.smallrye.stork.api.ServiceInstance instance = s.p2c.selectServiceInstance(s.instances);
    instance.recordStart(true);
    instance.recordEnd(null);
    return instance;
  }

  @Benchmark
  public Object storkLeastRequestsRecord(StorkPeer s) {
    io.smallrye.stork.api.ServiceInstance instance =
        s.leastRequests.selectServiceInstance(s.instances);
    instance.recordStart(true);
    instance.recordEnd(null);
    return instance;
  }
}
