package dev.lodestar.benchmarks.peers;

import java.util.ArrayList;
import java.util.List;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.details.InstanceProvider;
import org.apache.curator.x.discovery.strategies.RandomStrategy;
import org.apache.curator.x.discovery.strategies.RoundRobinStrategy;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Curator x-discovery's provider strategies over an {@link InstanceProvider} that returns a fixed
 * list, as its {@code ServiceProvider} does from its cache (no ZooKeeper is involved).
 */
@State(Scope.Benchmark)
public class CuratorPeer {
  InstanceProvider<Void> provider;
  final RoundRobinStrategy<Void> roundRobin = new RoundRobinStrategy<>();
  final RandomStrategy<Void> random = new RandomStrategy<>();

  @Setup(Level.Trial)
  public void setUp(PeerPickBenchmark.Size size) throws Exception {
    List<ServiceInstance<Void>> list = new ArrayList<>(size.instances);
    for (int i = 0; i < size.instances; i++) {
      list.add(ServiceInstance.<Void>builder().name("bench").id("task-" + i)
          .address(PeerPickBenchmark.host(i)).port(31000 + i).build());
    }
    List<ServiceInstance<Void>> instances = List.copyOf(list);
    provider = () -> instances;
  }
}
