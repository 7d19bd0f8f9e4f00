package dev.lodestar.benchmarks;

import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.Selection;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * Cost of {@code pick()} and of the outcome-reporting {@code select()} + {@code success()} for
 * every built-in strategy, beside a baseline in the same run ({@link PickBaseline}: an {@code
 * AtomicInteger} counter over an immutable array, the least any round-robin can do).
 *
 * <pre>
 * mvn -q -B -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar 'benchmarks\.Pick(Benchmark|Baseline)' -t 1 -prof gc -rf json -rff pick-t1.json
 * java -jar benchmarks/target/benchmarks.jar 'benchmarks\.Pick(Benchmark|Baseline)' -t 2 -prof gc -rf json -rff pick-t2.json
 * </pre>
 *
 * <p>Sticky picks pass an affinity key from a precomputed array (a null key would fall back to
 * round-robin); the other strategies get no key. All instances are healthy; passive health and
 * slow start are at their defaults.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class PickBenchmark {
  private static final String SERVICE = "/bench/app";
  private static final Duration LATENCY = Duration.ofMillis(3);

  @Param({"round-robin", "random", "weighted-random", "least-in-flight", "peak-ewma", "sticky"})
  public String strategy;

  @Param({"3", "100", "1000"})
  public int instances;

  private ServiceResolver resolver;
  private boolean sticky;

  /** Per-thread key cursor, so threads do not share a counter for keys. */
  @State(Scope.Thread)
  public static class Keys {
    final String[] keys = new String[1024];
    int next;

    @Setup
    public void setUp() {
      for (int i = 0; i < keys.length; i++) {
        keys[i] = "user-" + i;
      }
    }

    String next() {
      return keys[next++ & 1023];
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    List<Instance> list = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      list.add(Instance.builder(SERVICE, "task-" + i, "10.0." + (i / 250) + "." + (i % 250 + 1),
          31000 + i).health(HealthStatus.HEALTHY).build());
    }
    sticky = strategy.equals("sticky");
    resolver = ServiceResolver.builder()
        .source(StaticSource.create().set(SERVICE, list))
        .strategy(strategy(strategy))
        .build();
    resolver.pick(SERVICE); // loads the service: the benchmark measures cache hits
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    resolver.close();
  }

  @Benchmark
  public Instance pick(Keys keys) {
    return sticky ? resolver.pick(SERVICE, keys.next()) : resolver.pick(SERVICE);
  }

  @Benchmark
  public Instance selectAndReport(Keys keys) {
    Selection selection = sticky ? resolver.select(SERVICE, keys.next()) : resolver.select(SERVICE);
    selection.success(LATENCY);
    return selection.instance();
  }

  static LoadBalancingStrategy strategy(String name) {
    return LoadBalancingStrategy.named(name);
  }
}
