package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;

/** End to end: a {@link ServiceResolver} fed by {@link MesosDnsSource} and {@link MesosDnsServer}. */
class MesosDnsResolverTest {
  private MesosDnsServer server;
  private ServiceResolver resolver;

  @BeforeEach
  void start() throws Exception {
    List<MesosDnsFixtures.Rr> records = new ArrayList<>(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json")));
    records.addAll(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json")));
    server = MesosDnsServer.start(records);
    resolver = ServiceResolver.builder()
        .source(MesosDnsSource.builder().nameServer(server.hostPort())
            .timeout(Duration.ofMillis(500)).retries(0).build())
        .refreshInterval(Duration.ofMillis(200))
        .build();
  }

  @AfterEach
  void stop() {
    resolver.close();
    server.close();
  }

  @Test
  void picks_spread_over_all_80_endpoints_of_the_truncated_answer() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 160; i++) {
      seen.add(resolver.pick("/prod/web").address());
    }
    assertEquals(80, seen.size());
    assertEquals(80, resolver.instances("/prod/web").size());
  }

  @Test
  void failed_and_empty_refreshes_keep_the_last_good_snapshot_and_churn_replaces_it()
      throws Exception {
    assertEquals(80, resolver.instances("/prod/web").size());

    server.failWith(Rcode.SERVFAIL);
    awaitQueries(3);
    assertEquals(80, resolver.instances("/prod/web").size());

    server.failWith(-1);
    server.records(List.of()); // every SRV name now answers NOERROR with no records
    awaitQueries(3);
    // Within unknownServiceGrace (1 min by default) such answers keep the snapshot.
    assertEquals(80, resolver.instances("/prod/web").size());
    resolver.pick("/prod/web");

    server.records(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-after-churn.json")));
    await(() -> resolver.instances("/prod/web").size() == 6);
    Instance picked = resolver.pick("/prod/web");
    assertTrue(picked.port() == 31000 || picked.port() >= 31001, picked.toString());
  }

  @Test
  void an_app_without_records_is_an_unknown_service() {
    UnknownServiceException e =
        assertThrows(UnknownServiceException.class, () -> resolver.pick("/no/such/app"));
    assertTrue(e.getMessage().contains("no SRV records"), e.getMessage());
  }

  /**
   * Churn removes car.store (/store/car): Mesos-DNS then answers its name with NOERROR and no
   * records, never NXDOMAIN. Within unknownServiceGrace the last good snapshot is served; after
   * it the service is dropped and picks fail with UnknownServiceException. Two resolvers, one
   * with a grace longer than the test and one with a short grace, so nothing depends on timing.
   */
  @Test
  void a_service_gone_from_mesos_dns_is_served_during_the_grace_then_dropped() throws Exception {
    try (ServiceResolver longGrace = resolver(Duration.ofHours(1));
        ServiceResolver shortGrace = resolver(Duration.ofMillis(300))) {
      for (ServiceResolver r : List.of(longGrace, shortGrace)) {
        assertEquals(2, r.instances("/store/car").size());
        assertEquals(80, r.instances("/prod/web").size());
      }

      server.records(MesosDnsFixtures.stateRecords(
          MesosDnsFixtures.fixture("state-marathon-after-churn.json")));

      // Long grace: refreshes report the service unknown, and its snapshot stays in use.
      await(() -> longGrace.status("/store/car").flatMap(ServiceStatus::lastError)
          .filter(UnknownServiceException.class::isInstance).isPresent());
      assertEquals(2, longGrace.instances("/store/car").size());
      assertEquals("/store/car", longGrace.pick("/store/car").serviceId());

      // Short grace: dropped from the cache, then a pick loads it again and is told it is gone.
      await(() -> shortGrace.status("/store/car").isEmpty());
      UnknownServiceException gone =
          assertThrows(UnknownServiceException.class, () -> shortGrace.pick("/store/car"));
      assertTrue(gone.getMessage().contains("no SRV records"), gone.getMessage());
      // The app that is still there is unaffected: it shrinks to its 3 remaining tasks.
      await(() -> shortGrace.instances("/prod/web").size() == 6);
    }
  }

  private ServiceResolver resolver(Duration unknownServiceGrace) {
    return ServiceResolver.builder()
        .source(MesosDnsSource.builder().nameServer(server.hostPort())
            .timeout(Duration.ofMillis(500)).retries(0).build())
        .refreshInterval(Duration.ofMillis(200))
        .unknownServiceGrace(unknownServiceGrace)
        .build();
  }

  private void awaitQueries(int more) throws InterruptedException {
    int target = server.udpQueries() + server.tcpQueries() + more;
    await(() -> server.udpQueries() + server.tcpQueries() >= target);
  }

  // Polls for a condition; the deadline only guards against a hang, it asserts no timing.
  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(20);
    }
  }
}
