package dev.lodestar.benchmarks.dns;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Cost of {@link ServiceResolver#pick(String)} (round robin) when the instances come from {@link
 * MesosDnsSource}, next to the baseline every picker is judged against: an {@link AtomicInteger}
 * counter over an immutable array of the same instances. The DNS work happens in setup and in
 * background refreshes, never in {@code pick}, so the two should be close.
 *
 * <p>Run from the repository root (needs discovery-dns's test-jar on the class path, see {@link
 * InProcessDnsServer}): {@code java -jar benchmarks/target/benchmarks.jar 'dns.DnsPickBenchmark'
 * -f 1 -wi 3 -i 5 -prof gc -jvmArgsAppend -Dlodestar.testdata=testdata}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DnsPickBenchmark {

  @Param({"2", "80"})
  int records;

  private MesosDnsServer server;
  private ServiceResolver resolver;
  private String serviceId;
  private Instance[] baseline;
  private final AtomicInteger counter = new AtomicInteger();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    server = InProcessDnsServer.start();
    resolver = ServiceResolver.builder()
        .source(MesosDnsSource.builder().nameServer(server.hostPort()).build())
        .build();
    serviceId = records == 2 ? "/store/car" : "/prod/web";
    baseline = resolver.instances(serviceId).toArray(new Instance[0]);
    if (baseline.length != records) {
      throw new IllegalStateException(serviceId + ": expected " + records + ", got "
          + baseline.length);
    }
    resolver.pick(serviceId);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    resolver.close();
    server.close();
  }

  @Benchmark
  public Instance baselineAtomicCounter() {
    Instance[] instances = baseline;
    return instances[(counter.getAndIncrement() & Integer.MAX_VALUE) % instances.length];
  }

  @Benchmark
  public Instance resolverPick() {
    return resolver.pick(serviceId);
  }
}
