package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.NoInstanceAvailableException;
import dev.lodestar.discovery.ServiceResolver;
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
    assertEquals(80, resolver.instances("/prod/web").size());
    resolver.pick("/prod/web");

    server.records(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-after-churn.json")));
    await(() -> resolver.instances("/prod/web").size() == 6);
    Instance picked = resolver.pick("/prod/web");
    assertTrue(picked.port() == 31000 || picked.port() >= 31001, picked.toString());
  }

  @Test
  void an_app_without_records_is_no_instance_available() {
    assertThrows(NoInstanceAvailableException.class, () -> resolver.pick("/no/such/app"));
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
