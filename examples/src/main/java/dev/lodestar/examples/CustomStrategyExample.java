package dev.lodestar.examples;

import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceHandle;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.balance.Picker;
import dev.lodestar.discovery.source.StaticSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A custom {@link LoadBalancingStrategy}: round-robin over the instances in the caller's own zone,
 * and over all of them when none of those is routable. Runs on a {@link StaticSource}, so it needs
 * no cluster; plug the strategy into a resolver over Marathon or DNS the same way.
 */
public final class CustomStrategyExample {

  /**
   * The strategy. The resolver calls {@link #newPicker} whenever the routable set changes (a new
   * snapshot, an ejection, a return), so all the work happens here, once; the picker it returns
   * only indexes a precomputed array, which keeps {@code pick} lock-free and allocation-free, as
   * the {@link Picker} contract asks.
   */
  static final class SameZoneFirst implements LoadBalancingStrategy {
    private final String zone;

    SameZoneFirst(String zone) {
      this.zone = zone;
    }

    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      List<Endpoint> local = new ArrayList<>();
      for (Endpoint e : endpoints) { // only routable endpoints are passed, never an empty list
        if (e.instance().zone().map(zone::equals).orElse(false)) {
          local.add(e);
        }
      }
      Endpoint[] pool = (local.isEmpty() ? endpoints : local).toArray(new Endpoint[0]);
      // Keep the round-robin position across rebuilds, as the built-in strategies do.
      AtomicInteger next = previous instanceof ZonePicker
          ? ((ZonePicker) previous).next : new AtomicInteger();
      return new ZonePicker(pool, next);
    }

    @Override
    public String name() {
      return "same-zone-first(" + zone + ")";
    }
  }

  /** Immutable apart from its shared counter; called concurrently, never throws. */
  private static final class ZonePicker implements Picker {
    final Endpoint[] pool;
    final AtomicInteger next;

    ZonePicker(Endpoint[] pool, AtomicInteger next) {
      this.pool = pool;
      this.next = next;
    }

    @Override
    public Endpoint pick(String affinityKey) {
      return pool[(next.getAndIncrement() & Integer.MAX_VALUE) % pool.length];
    }
  }

  public static void main(String[] args) {
    run().forEach(System.out::println);
  }

  /** Picks four times with both zones up, then four times with zone a's instances unhealthy. */
  static List<String> run() {
    StaticSource source = StaticSource.create();
    Instance a1 = instance("a1", "zone-a", 8081);
    Instance a2 = instance("a2", "zone-a", 8082);
    Instance b1 = instance("b1", "zone-b", 8083);
    source.set("/shop/cart", a1, a2, b1);
    List<String> picks = new ArrayList<>();
    try (ServiceResolver resolver = ServiceResolver.builder()
        .source(source)
        .strategy(new SameZoneFirst("zone-a"))
        .build()) {
      // A handle on the service: looked up once, it follows every snapshot change below.
      ServiceHandle cart = resolver.service("/shop/cart");
      for (int i = 0; i < 4; i++) {
        picks.add("both zones up: " + cart.pick().instanceId());
      }
      // Zone a fails its health checks: the source pushes a new snapshot, the resolver asks the
      // strategy for a new picker, and traffic crosses zones.
      source.set("/shop/cart", a1.withHealth(HealthStatus.UNHEALTHY),
          a2.withHealth(HealthStatus.UNHEALTHY), b1);
      for (int i = 0; i < 4; i++) {
        picks.add("zone a down:    " + cart.pick().instanceId());
      }
    }
    return picks;
  }

  private static Instance instance(String id, String zone, int port) {
    return Instance.builder("/shop/cart", id, "10.0.0." + port % 100, port)
        .zone(zone).health(HealthStatus.HEALTHY).build();
  }
}
