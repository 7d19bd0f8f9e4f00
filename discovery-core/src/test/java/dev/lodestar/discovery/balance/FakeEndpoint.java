package dev.lodestar.discovery.balance;

import dev.lodestar.discovery.Instance;
import java.util.ArrayList;
import java.util.List;

/** An endpoint whose live values the test sets directly. */
final class FakeEndpoint implements Endpoint {
  final Instance instance;
  volatile double weight = 1.0;
  volatile int inFlight;
  volatile double latency;

  FakeEndpoint(String id) {
    this.instance = Instance.builder("/svc", id, "10.1.0.1", 8080).build();
  }

  static List<Endpoint> many(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(new FakeEndpoint(String.format("task-%04d", i)));
    }
    return list;
  }

  @Override
  public Instance instance() {
    return instance;
  }

  @Override
  public double weight() {
    return weight;
  }

  @Override
  public int inFlight() {
    return inFlight;
  }

  @Override
  public double latencyEstimateNanos() {
    return latency;
  }

  @Override
  public String toString() {
    return instance.instanceId();
  }
}
