package dev.lodestar.benchmarks.peers;

import io.smallrye.stork.api.ServiceInstance;
import io.smallrye.stork.impl.DefaultServiceInstance;
import io.smallrye.stork.loadbalancer.poweroftwochoices.PowerOfTwoChoicesLoadBalancer;
import io.smallrye.stork.loadbalancer.requests.LeastRequestsLoadBalancer;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * SmallRye Stork's power-of-two-choices and least-requests balancers over a fixed instance list;
 * the benchmark records the call's start and end on the returned instance, as Stork's service
 * does around a call.
 */
@State(Scope.Benchmark)
public class StorkPeer {
  List<ServiceInstance> instances;
  PowerOfTwoChoicesLoadBalancer p2c;
  LeastRequestsLoadBalancer leastRequests;

  @Setup(Level.Trial)
  public void setUp(PeerPickBenchmark.Size size) {
    List<ServiceInstance> list = new ArrayList<>(size.instances);
    for (int i = 0; i < size.instances; i++) {
      list.add(new DefaultServiceInstance(i, PeerPickBenchmark.host(i), 31000 + i, false));
    }
    instances = List.copyOf(list);
    p2c = new PowerOfTwoChoicesLoadBalancer(false) {}; // its constructor is protected
    leastRequests = new LeastRequestsLoadBalancer();
  }
}
