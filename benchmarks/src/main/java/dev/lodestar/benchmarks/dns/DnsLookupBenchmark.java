package dev.lodestar.benchmarks.dns;

import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.util.concurrent.TimeUnit;
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
 * Latency of one {@link MesosDnsSource#load(String)}: the SRV query plus the targets' addresses
 * (from the additional section), on loopback against discovery-dns's in-process Mesos-DNS stand-in.
 *
 * <ul>
 *   <li>{@code records=2}: {@code /store/car}, 2 SRV records, one UDP reply of ~200 bytes.
 *   <li>{@code records=80}: {@code /prod/web}, 40 tasks x 2 ports. Over {@code udp} the reply is cut
 *       at 512 bytes with TC set, so each lookup is a UDP round trip plus a TCP one; {@code tcp}
 *       ({@code useTcp(true)}) goes straight to TCP.
 * </ul>
 *
 * <p>Run from the repository root (needs discovery-dns's test-jar on the class path, see {@link
 * InProcessDnsServer}): {@code java -jar benchmarks/target/benchmarks.jar 'dns.DnsLookupBenchmark'
 * -f 1 -wi 3 -i 5 -prof gc -jvmArgsAppend -Dlodestar.testdata=testdata}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DnsLookupBenchmark {

  @Param({"2", "80"})
  int records;

  @Param({"udp", "tcp"})
  String transport;

  private MesosDnsServer server;
  private MesosDnsSource source;
  private String serviceId;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    server = InProcessDnsServer.start();
    source = MesosDnsSource.builder()
        .nameServer(server.hostPort())
        .useTcp(transport.equals("tcp"))
        .build();
    serviceId = records == 2 ? "/store/car" : "/prod/web";
    int found = source.load(serviceId).get(10, TimeUnit.SECONDS).instances().size();
    if (found != records) {
      throw new IllegalStateException(serviceId + ": expected " + records + ", got " + found);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    source.close();
    server.close();
  }

  @Benchmark
  public ServiceSnapshot lookup() throws Exception {
    return source.load(serviceId).get(10, TimeUnit.SECONDS);
  }
}
