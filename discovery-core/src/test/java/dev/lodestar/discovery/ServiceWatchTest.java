package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.source.StaticSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ServiceResolver#watch}: initial delivery, pushed changes, removal, errors, idle expiry. */
@Timeout(30)
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
  void aWatcherThatThrowsAnErrorIsLoggedAndSkippedLikeOneThatThrowsAnException() {
    source.set("/shop/checkout", instance(1));
    resolver();
    List<ServiceSnapshot> seen = new CopyOnWriteArrayList<>();
    // A JUnit assertion in a callback throws AssertionFailedError, an Error.
    resolver.watch("/shop/checkout", new ServiceWatcher() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        if (!seen.isEmpty()) {
          throw new AssertionError("broken watcher");
        }
        seen.add(snapshot);
      }

      @Override
      public void onError(DiscoveryException error) {}
    });
    Recorder other = new Recorder();
    resolver.watch("/shop/checkout", other);

    // The push reaches the resolver on the source's thread (here the caller's): the watcher's
    // Error went back into it, and the other watch never got the snapshot.
    source.set("/shop/checkout", instance(1), instance(2));
    assertEquals(List.of(1, 2), other.events);
    assertEquals(2, resolver.instances("/shop/checkout").size());
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
    // The load that refresh() triggered delivered the snapshot; the refresh adds no second copy.
    assertEquals(2, r.events.size(), r.events.toString());
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
  void aWatcherEndsOnTheSnapshotTheResolverAppliedLast() throws Exception {
    String app = "/shop/checkout";
    ScriptedSource scripted = new ScriptedSource().answer(app, List.of(instance(1000)));
    ServiceSnapshot s1 = ServiceSnapshot.of(app, List.of(instance(1001)), "scripted");
    ServiceSnapshot s2 = ServiceSnapshot.of(app, List.of(instance(1002)), "scripted");
    CountDownLatch s1Applied = new CountDownLatch(1);
    CountDownLatch s2Delivered = new CountDownLatch(1);
    // Holds the thread that applied s1 between "applied" and "handed to watchers" (listeners run
    // first) until s2 is applied and delivered: a thread pre-empted there does the same.
    ResolverListener holdS1 = new ResolverListener() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        if (snapshot.equals(s1)) {
          s1Applied.countDown();
          try {
            s2Delivered.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
    resolver = (DefaultServiceResolver) ServiceResolver.builder().source(scripted).ticker(ticker)
        .executor(Runnable::run).listener(holdS1).build();
    List<ServiceSnapshot> seen = new CopyOnWriteArrayList<>();
    resolver.watch(app, new ServiceWatcher() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        seen.add(snapshot);
        if (snapshot.equals(s2)) {
          s2Delivered.countDown();
        }
      }

      @Override
      public void onError(DiscoveryException error) {}
    });
    assertEquals(1, seen.size(), "the initial snapshot");

    // A background refresh is under way...
    scripted.holdLoads = true;
    ticker.advance(ServiceResolver.Builder.DEFAULT_REFRESH_INTERVAL.plusSeconds(1));
    resolver.runMaintenance();
    assertEquals(1, scripted.pending.size(), "one refresh in flight");
    // ...its answer s1 is applied on the source's thread...
    Thread reply = new Thread(() -> scripted.pending.get(0).complete(s1), "source-reply");
    reply.start();
    assertTrue(s1Applied.await(10, TimeUnit.SECONDS), "s1 applied");
    // ...and the source pushes s2, which the resolver applies after s1.
    scripted.listener.onSnapshot(s2);
    reply.join(TimeUnit.SECONDS.toMillis(20));
    assertFalse(reply.isAlive(), "the reply thread finished");

    assertEquals(s2.instances(), resolver.instances(app), "the resolver routes over s2");
    // s2 reached the watcher first; s1, applied before it, must not follow and replace it.
    assertEquals(List.of(1000, 1002), seen.stream().map(x -> x.instances().get(0).port()).toList(),
        "ports of the snapshots delivered, in order");
  }

  @Test
  void refreshDeliversTheCurrentSnapshotAgainEvenWhenUnchanged() {
    source.set("/shop/checkout", instance(1), instance(2));
    resolver();
    Recorder r = new Recorder();
    ServiceWatch watch = resolver.watch("/shop/checkout", r);
    assertEquals(List.of(2), r.events, "the initial snapshot, once");
    // Nothing changed since: the same snapshot, with the sequence number it was delivered with.
    watch.refresh();
    assertEquals(List.of(2, 2), r.events, "refresh() delivers the current snapshot again");
    watch.refresh();
    assertEquals(List.of(2, 2, 2), r.events, "and again");
    // Pushes still drop exact repeats.
    source.set("/shop/checkout", instance(1), instance(2));
    assertEquals(List.of(2, 2, 2), r.events, "an unchanged push is not reported");
    source.set("/shop/checkout", instance(1), instance(2), instance(3));
    watch.refresh();
    assertEquals(List.of(2, 2, 2, 3, 3), r.events);
  }

  @Test
  void aSnapshotOlderThanOneDeliveredIsDroppedAfterARefreshToo() {
    String app = "/shop/checkout";
    source.set(app, instance(1));
    resolver();
    Recorder r = new Recorder();
    ResolverWatch watch = (ResolverWatch) resolver.watch(app, r);
    source.set(app, instance(1), instance(2));
    watch.refresh();
    assertEquals(List.of(1, 2, 2), r.events);
    ServiceSnapshot old = ServiceSnapshot.of(app, List.of(instance(7), instance(8), instance(9)),
        "static");
    // Sequence 1 is the first load's, below the push's: a late delivery of it must not follow.
    watch.onSnapshot(old, 1);
    assertEquals(List.of(1, 2, 2), r.events, "an older snapshot is dropped");
    // A refresh that read the state before the push was applied arrives late the same way.
    watch.onRefresh(old, 1, 0);
    assertEquals(List.of(1, 2, 2), r.events, "an older snapshot read by a refresh is dropped");
    watch.refresh();
    assertEquals(List.of(1, 2, 2, 2), r.events, "the watcher stays on the newest snapshot");
  }

  @Test
  void watchingAClosedResolverFails() {
    resolver().close();
    assertThrows(IllegalStateException.class, () -> resolver.watch("/x", new Recorder()));
  }
}
