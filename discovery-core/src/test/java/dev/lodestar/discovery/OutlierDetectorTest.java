package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.HealthPolicy;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Ejection, trial, maximum ejected share, slow start and panic, without a resolver. */
class OutlierDetectorTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong clock = new AtomicLong(1_000 * SECOND);
  private final List<Runnable> deferred = new ArrayList<>();

  private OutlierDetector detector(HealthPolicy policy) {
    return new OutlierDetector("/svc", policy, clock::get, deferred::add);
  }

  private static ServiceSnapshot snapshot(int n, HealthStatus health) {
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      instances.add(Instance.builder("/svc", "i" + i, "10.0.0." + (i + 1), 8080)
          .health(health).build());
    }
    return ServiceSnapshot.of("/svc", instances, "test");
  }

  private static List<String> ids(OutlierDetector.Routing r) {
    List<String> ids = new ArrayList<>();
    for (Endpoint e : r.endpoints()) {
      ids.add(e.instance().instanceId());
    }
    return ids;
  }

  @Test
  void consecutiveFailuresEjectForAGrowingTimeThenTheInstanceReturnsOnTrial() {
    HealthPolicy policy = HealthPolicy.ofDefaults().toBuilder().consecutiveFailures(3)
        .ejectOnConnectionRefused(false).baseEjectionTime(Duration.ofSeconds(30))
        .maxEjectionTime(Duration.ofSeconds(300)).build();
    OutlierDetector d = detector(policy);
    ServiceSnapshot s = snapshot(4, HealthStatus.HEALTHY);
    d.track(s.instances(), true, clock.get());
    InstanceStats st = d.stats("i0");
    assertFalse(d.failureCallsForEjection(st, new IOException("500")));
    assertFalse(d.failureCallsForEjection(st, new IOException("500")));
    assertTrue(d.failureCallsForEjection(st, new IOException("500")));
    assertEquals(Duration.ofSeconds(30), d.eject(st, s.instances(), clock.get()));
    assertNull(d.eject(st, s.instances(), clock.get()), "already ejected");
    OutlierDetector.Routing r = d.route(s, false, clock.get());
    assertEquals(List.of("i1", "i2", "i3"), ids(r));
    assertEquals(1, r.ejected());
    assertEquals(clock.get() + 30 * SECOND, r.rebuildAtNanos());

    clock.addAndGet(30 * SECOND);
    r = d.route(s, false, clock.get());
    assertEquals(4, r.endpoints().size(), "back after the ejection time");
    assertTrue(st.onTrial);
    assertTrue(d.failureCallsForEjection(st, new IOException("500")),
        "on trial one failure ejects");
    assertEquals(Duration.ofSeconds(60), d.eject(st, s.instances(), clock.get()),
        "second in a row: twice as long");

    clock.addAndGet(60 * SECOND);
    d.route(s, false, clock.get());
    assertTrue(OutlierDetector.successEndsTrial(st));
    OutlierDetector.endTrial(st);
    assertFalse(st.onTrial);
    assertEquals(0, st.ejectionsInARow, "a success ends the run of ejections");
  }

  @Test
  void aRefusedConnectionEjectsAtOnceButNeverBeyondTheMaximumShare() {
    OutlierDetector d = detector(HealthPolicy.ofDefaults().toBuilder().maxEjectionPercent(50)
        .build());
    ServiceSnapshot s = snapshot(4, HealthStatus.HEALTHY);
    d.track(s.instances(), true, clock.get());
    for (int i = 0; i < 4; i++) {
      assertTrue(d.failureCallsForEjection(d.stats("i" + i), new ConnectException("refused")));
    }
    assertTrue(d.eject(d.stats("i0"), s.instances(), clock.get()) != null);
    assertTrue(d.eject(d.stats("i1"), s.instances(), clock.get()) != null);
    assertNull(d.eject(d.stats("i2"), s.instances(), clock.get()), "50% of 4 already ejected");
    assertEquals(List.of("i2", "i3"), ids(d.route(s, false, clock.get())));
  }

  @Test
  void theMaximumShareIsOfTheInstancesTheSourceCallsRoutable() {
    OutlierDetector d = detector(HealthPolicy.ofDefaults()); // 50%
    List<Instance> instances = new ArrayList<>(snapshot(2, HealthStatus.HEALTHY).instances());
    instances.add(Instance.builder("/svc", "u0", "10.0.1.1", 8080)
        .health(HealthStatus.UNHEALTHY).build());
    instances.add(Instance.builder("/svc", "u1", "10.0.1.2", 8080)
        .health(HealthStatus.UNHEALTHY).build());
    ServiceSnapshot s = ServiceSnapshot.of("/svc", instances, "test");
    d.track(s.instances(), true, clock.get());
    assertTrue(d.eject(d.stats("i0"), s.instances(), clock.get()) != null);
    assertNull(d.eject(d.stats("i1"), s.instances(), clock.get()),
        "50% of the 2 routable instances is 1; the unhealthy ones do not count");
    assertTrue(d.eject(d.stats("u0"), s.instances(), clock.get()) != null,
        "an instance the source calls unhealthy takes no routable capacity");
    OutlierDetector.Routing r = d.route(s, false, clock.get());
    assertEquals(List.of("i1"), ids(r));
    assertEquals(1, r.routable());
  }

  @Test
  void evenAFullShareNeverEjectsTheLastRoutableInstance() {
    OutlierDetector d = detector(HealthPolicy.ofDefaults().toBuilder().maxEjectionPercent(100)
        .build());
    ServiceSnapshot s = snapshot(2, HealthStatus.HEALTHY);
    d.track(s.instances(), true, clock.get());
    assertTrue(d.eject(d.stats("i0"), s.instances(), clock.get()) != null);
    assertNull(d.eject(d.stats("i1"), s.instances(), clock.get()), "i1 is the last routable one");
    assertEquals(List.of("i1"), ids(d.route(s, false, clock.get())));

    OutlierDetector single = detector(HealthPolicy.ofDefaults().toBuilder()
        .maxEjectionPercent(100).build());
    ServiceSnapshot one = snapshot(1, HealthStatus.HEALTHY);
    single.track(one.instances(), true, clock.get());
    assertNull(single.eject(single.stats("i0"), one.instances(), clock.get()),
        "a single instance is never ejected");
  }

  @Test
  void laterJoinersSlowStartFromATenthOfTheirWeight() {
    OutlierDetector d = detector(HealthPolicy.ofDefaults().toBuilder()
        .slowStartWindow(Duration.ofSeconds(10)).build());
    ServiceSnapshot first = snapshot(1, HealthStatus.HEALTHY);
    d.track(first.instances(), true, clock.get());
    ServiceSnapshot second = snapshot(2, HealthStatus.HEALTHY);
    d.track(second.instances(), false, clock.get());
    assertEquals(1.0, d.slowStartFactor(d.stats("i0"), clock.get()), "present from the start");
    assertEquals(0.1, d.slowStartFactor(d.stats("i1"), clock.get()), 1e-9);
    OutlierDetector.Routing r = d.route(second, false, clock.get());
    assertEquals(0.1, r.endpoints().get(1).weight(), 1e-9);
    assertTrue(r.rebuildAtNanos() < Long.MAX_VALUE, "a rebuild is scheduled for the next step");
    clock.addAndGet(5 * SECOND);
    assertEquals(0.55, d.slowStartFactor(d.stats("i1"), clock.get()), 1e-9);
    clock.addAndGet(5 * SECOND);
    assertEquals(1.0, d.slowStartFactor(d.stats("i1"), clock.get()));
  }

  @Test
  void belowThePanicThresholdItRoutesOverAllOrNone() {
    ServiceSnapshot s = snapshot(3, HealthStatus.UNHEALTHY);
    OutlierDetector all = detector(HealthPolicy.ofDefaults().toBuilder()
        .panic(0.5, HealthPolicy.PanicMode.ROUTE_ALL).build());
    all.track(s.instances(), true, clock.get());
    OutlierDetector.Routing r = all.route(s, false, clock.get());
    assertTrue(r.panic());
    assertEquals(3, r.endpoints().size());
    assertEquals(1, deferred.size(), "entering panic is logged once");

    OutlierDetector none = detector(HealthPolicy.ofDefaults().toBuilder()
        .panic(0.5, HealthPolicy.PanicMode.FAIL).build());
    none.track(s.instances(), true, clock.get());
    r = none.route(s, false, clock.get());
    assertFalse(r.panic());
    assertTrue(r.endpoints().isEmpty());
    assertTrue(r.unavailableReason().contains("0 of 3 instances routable (unhealthy: 3"),
        r.unavailableReason());
  }
}
