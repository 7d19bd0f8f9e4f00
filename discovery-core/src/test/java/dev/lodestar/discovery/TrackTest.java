package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.source.StaticSource;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ServiceResolver#track}: outcome reporting for an instance chosen earlier by pick. */
@Timeout(30)
class TrackTest {
  private static final String APP = "/app";
  private final StaticSource source = StaticSource.create();
  private final ServiceResolver resolver = ServiceResolver.builder()
      .source(source)
      .healthPolicy(HealthPolicy.custom().consecutiveFailures(2).build())
      .executor(Runnable::run)
      .build();

  @AfterEach
  void close() {
    resolver.close();
  }

  private InstanceStatus status(String instanceId) {
    return resolver.status(APP).orElseThrow().instances().stream()
        .filter(s -> s.instance().instanceId().equals(instanceId))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aTrackedCallIsInFlightUntilItsReport() {
    source.set(APP, instance(APP, 1), instance(APP, 2));
    Instance picked = resolver.pick(APP);
    assertEquals(0, status(picked.instanceId()).inFlight()); // a plain pick is not tracked
    Selection selection = resolver.track(APP, picked);
    assertSame(picked, selection.instance());
    assertEquals(1, status(picked.instanceId()).inFlight());
    selection.success(Duration.ofMillis(7));
    assertEquals(0, status(picked.instanceId()).inFlight());
    assertEquals(Duration.ofMillis(7), status(picked.instanceId()).latencyEstimate());
  }

  @Test
  void trackedFailuresFeedPassiveHealth() {
    source.set(APP, instance(APP, 1), instance(APP, 2), instance(APP, 3));
    Instance one = resolver.instances(APP).get(0);
    resolver.track(APP, one).failure(new ConnectException("refused"));
    assertTrue(status(one.instanceId()).ejected());
    for (int i = 0; i < 30; i++) {
      assertFalse(resolver.pick(APP).instanceId().equals(one.instanceId()));
    }
  }

  @Test
  void anInstanceOutsideThePickersSetIsStillCounted() {
    source.set(APP, instance(APP, 1), instance(APP, 2, HealthStatus.UNHEALTHY));
    Instance unhealthy = resolver.instances(APP).get(1);
    Selection selection = resolver.track(APP, unhealthy);
    assertEquals(1, status(unhealthy.instanceId()).inFlight());
    selection.release();
    assertEquals(0, status(unhealthy.instanceId()).inFlight());
  }

  @Test
  void aServiceThatIsNotCachedGivesATicketWithoutEffect() {
    Instance stranger = instance("/other", 9);
    Selection selection = resolver.track("/other", stranger);
    assertSame(stranger, selection.instance());
    selection.failure(new ConnectException("refused")); // ignored, no exception
    selection.success();
    assertTrue(resolver.status("/other").isEmpty());
  }
}
