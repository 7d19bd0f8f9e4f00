package dev.lodestar.discovery;

import java.util.ArrayList;
import java.util.List;

/** Builders for test instances on fake addresses (never contacted). */
final class TestInstances {
  private TestInstances() {}

  static Instance instance(String serviceId, int n) {
    return instance(serviceId, n, HealthStatus.HEALTHY);
  }

  static Instance instance(String serviceId, int n, HealthStatus health) {
    return Instance.builder(serviceId, "task-" + n, "10.0.0." + n, 31000 + n).health(health).build();
  }

  static List<Instance> instances(String serviceId, int count) {
    List<Instance> list = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      list.add(instance(serviceId, i));
    }
    return list;
  }
}
