package dev.lodestar.benchmarks;

import dev.lodestar.discovery.Instance;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The baseline of {@link PickBenchmark}, in a class of its own so that nothing but the baseline
 * runs in its method (no branch on the strategy parameter): an {@link AtomicInteger} counter
 * over an immutable array, the least any round-robin can do.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class PickBaseline {
  @Param({"3", "100", "1000"})
  public int instances;

  private Instance[] array;
  private final AtomicInteger counter = new AtomicInteger();

  @Setup
  public void setUp() {
    array = new Instance[instances];
    for (int i = 0; i < instances; i++) {
      array[i] = Instance.builder("/bench/app", "task-" + i,
          "10.0." + (i / 250) + "." + (i % 250 + 1), 31000 + i).build();
    }
  }

  @Benchmark
  public Instance baseline() {
    return array[(counter.getAndIncrement() & Integer.MAX_VALUE) % array.length];
  }
}
