package dev.lodestar.benchmarks.peers;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;

/**
 * Spring Cloud LoadBalancer's {@link RoundRobinLoadBalancer} over a fixed instance list. Its
 * public API is reactive ({@code choose(request)} returns a {@code Mono}); the selection itself
 * is the private {@code getInstanceResponse(List)}, reached through a method handle for the
 * "select only" figure.
 */
@State(Scope.Benchmark)
public class SpringPeer {
  static final MethodHandle GET_INSTANCE_RESPONSE = findSelect();

  RoundRobinLoadBalancer balancer;
  List<ServiceInstance> instances;
  final Request<?> request = new DefaultRequest<>();

  @Setup(Level.Trial)
  public void setUp(PeerPickBenchmark.Size size) {
    List<ServiceInstance> list = new ArrayList<>(size.instances);
    for (int i = 0; i < size.instances; i++) {
      list.add(new DefaultServiceInstance("task-" + i, "bench", PeerPickBenchmark.host(i),
          31000 + i, false));
    }
    instances = List.copyOf(list);
    balancer = new RoundRobinLoadBalancer(
        ServiceInstanceListSuppliers.toProvider("bench", list.toArray(new ServiceInstance[0])),
        "bench");
  }

  private static MethodHandle findSelect() {
    try {
      return MethodHandles.privateLookupIn(RoundRobinLoadBalancer.class, MethodHandles.lookup())
          .findVirtual(RoundRobinLoadBalancer.class, "getInstanceResponse",
              MethodType.methodType(Response.class, List.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
