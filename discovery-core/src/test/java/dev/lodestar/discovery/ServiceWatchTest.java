package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.source.StaticSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link ServiceResolver#watch}: initial delivery, pushed changes, removal, errors, idle expiry. */
class ServiceWatchTest {
  private final FakeTicker ticker = new FakeTicker();
  private final StaticSource source = StaticSource.named("static");
  private DefaultServiceResolver resolver;

  /** Records what it is told, in order. */
  static final class Recorder implements ServiceWatcher {
    final List<Object> events = new CopyOnWriteArrayList<>();

    @Override
    public void onSnapshot(ServiceSnapshot snapshot) {
      events.add(snapshot.instances().size());
    }

    @Override
    public void onError(DiscoveryException error) {
      events.add(error);
    }
  }

  private DefaultServiceResolver resolver() {
    resolver = (DefaultServiceResolver) ServiceResolver.builder()
        .source(source)
        .ticker(ticker)
        .executor(Runnable::run)
        .idleExpiry(Duration.ofMinutes(1))
        .refreshInterval(Duration.ofMinutes(10)) // refreshes would count as use
        .unknownServiceGrace(Duration.ZERO)
        .build();
    return resolver;
  }

  @AfterEach
  void close() {
    if (resolver != null) {
      resolver.close();
    }
  }

  private static Instance instance(int port) {
    return Instance.of("/shop/checkout", "127.0.0.1", port);
  }

  @Test
  void deliversTheCurrentSnapshotThenEveryChange() {
    source.set("/shop/checkout", instance(1), instance(2));
    resolver();
    Recorder r = new Recorder();
    ServiceWatch watch = resolver.watch("/shop/checkout", r);
    assertEquals(List.of(2), r.events);
    source.set("/shop/checkout", instance(1), instance(2), instance(3));
    source.set("/shop/checkout", instance(1), instance(2), instance(3)); // unchanged: not reported
    assertEquals(List.of(2, 3), r.events);
    watch.close();
    source.set("/shop/checkout", instance(1));
    assertEquals(List.of(2, 3), r.events);
  }

  @Test
  void anUnknownServiceIsReportedAndRefreshTriesAgain() {
    resolver();
    Recorder r = new Recorder();
    ServiceWatch watch = resolver.watch("/shop/checkout", r);
    assertEquals(1, r.events.size());
    assertInstanceOf(UnknownServiceException.class, r.events.get(0));
    source.set("/shop/checkout", instance(1));
    watch.refresh();
    assertEquals(1, r.events.get(1));
  }

  @Test
  void aRemovedServiceIsReported() {
    source.set("/shop/checkout", instance(1));
    resolver();
    Recorder r = new Recorder();
    resolver.watch("/shop/checkout", r);
    source.remove("/shop/checkout");
    assertEquals(2, r.events.size(), r.events.toString());
    assertInstanceOf(UnknownServiceException.class, r.events.get(1));
  }

  @Test
  void aWatchedServiceDoesNotIdleExpire() {
    source.set("/shop/checkout", instance(1));
    source.set("/shop/cart", Instance.of("/shop/cart", "127.0.0.1", 9));
    resolver();
    resolver.pick("/shop/cart");
    ServiceWatch watch = resolver.watch("/shop/checkout", new Recorder());
    for (int i = 0; i < 5; i++) {
      ticker.advance(Duration.ofSeconds(30));
      resolver.runMaintenance();
    }
    assertTrue(resolver.cachedServices().contains("/shop/checkout"), resolver.toString());
    assertTrue(!resolver.cachedServices().contains("/shop/cart"), resolver.toString());
    watch.close();
    for (int i = 0; i < 5; i++) {
      ticker.advance(Duration.ofSeconds(30));
      resolver.runMaintenance();
    }
    assertTrue(!resolver.cachedServices().contains("/shop/checkout"), resolver.toString());
  }

  @Test
  void watchingAClosedResolverFails() {
    resolver().close();
    assertThrows(IllegalStateException.class, () -> resolver.watch("/x", new Recorder()));
  }
}
