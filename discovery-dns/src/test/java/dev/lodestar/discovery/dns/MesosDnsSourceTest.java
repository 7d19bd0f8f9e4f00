package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.dns.MesosDnsSource.Addressing;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.Rcode;

/** {@link MesosDnsSource} against {@link MesosDnsServer} serving the fixtures in testdata/ unchanged. */
class MesosDnsSourceTest {
  private static MesosDnsServer server;
  private static List<MesosDnsFixtures.Rr> axfr;
  private static List<MesosDnsFixtures.Rr> fortyTasks;

  @BeforeAll
  static void startServer() throws IOException {
    axfr = MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json"));
    fortyTasks = MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json"));
    server = MesosDnsServer.start(axfr);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void resetServer() {
    List<MesosDnsFixtures.Rr> all = new ArrayList<>(axfr);
    all.addAll(fortyTasks);
    server.records(all);
    server.failWith(-1);
    server.silent(false);
    server.omitAdditional(false);
  }

  private static MesosDnsSource.Builder source() {
    return MesosDnsSource.builder().nameServer(server.hostPort()).timeout(Duration.ofSeconds(2));
  }

  private static ServiceSnapshot load(MesosDnsSource source, String id) throws Exception {
    return source.load(id).get(20, TimeUnit.SECONDS);
  }

  private static Throwable failure(MesosDnsSource source, String id) throws Exception {
    CompletableFuture<ServiceSnapshot> future = source.load(id);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> future.get(20, TimeUnit.SECONDS));
    return e.getCause();
  }

  /** For every SRV name of the real record set: exactly the oracle's targets, ports and addresses. */
  @ParameterizedTest(name = "additional section omitted: {0}")
  @ValueSource(booleans = {false, true})
  void every_srv_name_of_the_axfr_oracle_yields_its_targets_and_ports(boolean omitAdditional)
      throws Exception {
    server.omitAdditional(omitAdditional);
    Map<String, List<MesosDnsFixtures.Rr>> byName = new TreeMap<>();
    for (MesosDnsFixtures.Rr rr : axfr) {
      byName.computeIfAbsent(rr.name(), n -> new ArrayList<>()).add(rr);
    }
    MesosDnsSource source = source().build();
    int names = 0;
    for (Map.Entry<String, List<MesosDnsFixtures.Rr>> e : byName.entrySet()) {
      if (!e.getValue().get(0).type().equals("SRV")) {
        continue;
      }
      names++;
      Map<String, InetAddress> expected = new TreeMap<>();
      for (MesosDnsFixtures.Rr srv : e.getValue()) {
        String[] fields = srv.data().split(" "); // 0 1 port target.
        String target = fields[3];
        expected.put(target.substring(0, target.length() - 1) + ":" + fields[2],
            firstAddress(byName.get(target)));
      }
      ServiceSnapshot snapshot = load(source, e.getKey());
      assertEquals(e.getKey(), snapshot.serviceId());
      Map<String, InetAddress> actual = new TreeMap<>();
      for (Instance instance : snapshot.instances()) {
        actual.put(instance.instanceId(), InetAddress.getByName(instance.host()));
        assertEquals(instance.instanceId(), instance.instanceId().replaceAll(":\\d+$", "")
            + ":" + instance.port());
        assertEquals(HealthStatus.UNKNOWN, instance.health());
        assertEquals(1, instance.weight());
      }
      assertEquals(expected, actual, e.getKey());
      assertEquals(Optional.of(Duration.ofSeconds(60)), snapshot.ttl());
    }
    assertEquals(46, names);
  }

  // The oracle's address for a target: its first A, else its first AAAA (literals, no lookup).
  private static InetAddress firstAddress(List<MesosDnsFixtures.Rr> records) throws IOException {
    Optional<MesosDnsFixtures.Rr> a = records.stream().filter(r -> r.type().equals("A")).findFirst();
    MesosDnsFixtures.Rr rr = a.orElseGet(() ->
        records.stream().filter(r -> r.type().equals("AAAA")).findFirst().orElseThrow());
    return InetAddress.getByName(rr.data());
  }

  @Test
  void marathon_ids_are_asked_under_the_slave_name_by_default() throws Exception {
    ServiceSnapshot snapshot = load(source().build(), "/store/car");
    assertEquals("/store/car", snapshot.serviceId());
    assertEquals(List.of(
            "car-store-zinaz-0.marathon.slave.mesos:31364 1.2.3.11:31364",
            "car-store-zinaz-0.marathon.slave.mesos:31365 1.2.3.11:31365"),
        describe(snapshot));
  }

  @Test
  void task_addressing_with_a_port_name_uses_discovery_info_ports() throws Exception {
    MesosDnsSource source = source().addressing(Addressing.TASK).portName("http").build();
    ServiceSnapshot snapshot = load(source, "/store/liquor");
    assertEquals(List.of(
            "liquor-store-4dfjd-0.marathon.mesos:80 1.2.3.11:80",
            "liquor-store-zasmd-1.marathon.mesos:80 1.2.3.12:80"),
        describe(snapshot));
    for (Instance instance : snapshot.instances()) {
      assertEquals(Optional.of(80), instance.namedPort("http"));
    }
  }

  @Test
  void ipv6_only_targets_get_their_aaaa_address() throws Exception {
    ServiceSnapshot snapshot = load(source().framework("ipv6-framework").build(), "/toy-store");
    assertEquals(2, snapshot.instances().size());
    for (Instance instance : snapshot.instances()) {
      assertEquals(InetAddress.getByName("2001:db8::1"), InetAddress.getByName(instance.host()));
    }
  }

  /** The Marathon id finds the task in both of Mesos-DNS's naming modes (their own record sets). */
  @ParameterizedTest
  @CsvSource({
    "RFC1123, mesos-dns-axfr-group-names-default.json, worker-backend-services-production-998wg-0",
    "RFC952, mesos-dns-axfr-group-names-rfc952.json, worker-backend-servicesp-998wg-0",
  })
  void marathon_ids_resolve_in_both_naming_modes(
      MesosDnsSource.Naming naming, String axfrFile, String canonical) throws Exception {
    try (MesosDnsServer modeServer = MesosDnsServer.start(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture(axfrFile)))) {
      MesosDnsSource source = MesosDnsSource.builder().nameServer(modeServer.hostPort())
          .naming(naming).build();
      assertEquals(List.of(
              canonical + ".marathon.slave.mesos:31364 1.2.3.11:31364",
              canonical + ".marathon.slave.mesos:31365 1.2.3.11:31365"),
          describe(load(source, "/production/backend-services/worker")));
    }
  }

  private static List<String> describe(ServiceSnapshot snapshot) {
    List<String> out = new ArrayList<>();
    for (Instance i : snapshot.instances()) {
      out.add(i.instanceId() + " " + i.address());
    }
    return out;
  }

  /** 40 tasks x 2 ports: Mesos-DNS cuts the UDP reply at 512 bytes; all 80 come back over TCP. */
  @Test
  void forty_tasks_come_back_whole_through_the_tcp_retry() throws Exception {
    int tcpBefore = server.tcpQueries();
    int udpBefore = server.udpQueries();
    ServiceSnapshot snapshot = load(source().build(), "/prod/web");
    assertEquals(expectedWebProd("state-marathon-40-web-prod-tasks.json"), endpoints(snapshot));
    assertEquals(80, snapshot.instances().size());
    assertEquals(1, server.udpQueries() - udpBefore, "one UDP query, truncated");
    assertEquals(1, server.tcpQueries() - tcpBefore, "then one TCP query, whole");
  }

  @Test
  void use_tcp_skips_the_udp_round_trip() throws Exception {
    int udpBefore = server.udpQueries();
    ServiceSnapshot snapshot = load(source().useTcp(true).build(), "/prod/web");
    assertEquals(expectedWebProd("state-marathon-40-web-prod-tasks.json"), endpoints(snapshot));
    assertEquals(0, server.udpQueries() - udpBefore);
  }

  @Test
  void forty_tasks_without_additional_section_resolve_each_target() throws Exception {
    server.omitAdditional(true);
    ServiceSnapshot snapshot = load(source().build(), "/prod/web");
    assertEquals(expectedWebProd("state-marathon-40-web-prod-tasks.json"), endpoints(snapshot));
  }

  @Test
  void churn_shrinks_the_snapshot_and_removes_gone_apps() throws Exception {
    MesosDnsSource source = source().build();
    assertEquals(80, load(source, "/prod/web").instances().size());
    assertEquals(2, load(source, "/store/car").instances().size());

    server.records(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-after-churn.json")));

    ServiceSnapshot after = load(source, "/prod/web");
    assertEquals(expectedWebProd("state-marathon-after-churn.json"), endpoints(after));
    assertEquals(6, after.instances().size());
    assertInstanceOf(UnknownServiceException.class, failure(source, "/store/car"),
        "a removed app answers NOERROR without records, never NXDOMAIN");
  }

  // host:port of every web.prod port in a state file, read straight from the JSON.
  @SuppressWarnings("unchecked")
  private static TreeSet<String> expectedWebProd(String stateFile) throws IOException {
    Map<String, Object> state =
        (Map<String, Object>) MesosDnsFixtures.readJson(MesosDnsFixtures.fixture(stateFile));
    Map<String, String> agentIp = new TreeMap<>();
    for (Object s : (List<Object>) state.get("slaves")) {
      Map<String, Object> slave = (Map<String, Object>) s;
      agentIp.put((String) slave.get("id"), (String) slave.get("hostname"));
    }
    TreeSet<String> out = new TreeSet<>();
    for (Object f : (List<Object>) state.get("frameworks")) {
      for (Object t : (List<Object>) ((Map<String, Object>) f).get("tasks")) {
        Map<String, Object> task = (Map<String, Object>) t;
        if (!"web.prod".equals(task.get("name"))) {
          continue;
        }
        String ports = (String) ((Map<String, Object>) task.get("resources")).get("ports");
        for (int port : MesosDnsFixtures.ports(ports)) {
          out.add(agentIp.get((String) task.get("slave_id")) + ":" + port);
        }
      }
    }
    return out;
  }

  private static TreeSet<String> endpoints(ServiceSnapshot snapshot) {
    TreeSet<String> out = new TreeSet<>();
    snapshot.instances().forEach(i -> out.add(i.address()));
    return out;
  }

  @Test
  void lowest_priority_wins_weights_carry_over_and_bad_records_are_skipped() throws Exception {
    server.records(List.of(
        new MesosDnsFixtures.Rr("_prio._tcp.marathon.mesos.", "SRV", 30, "0 5 1000 a.marathon.mesos."),
        new MesosDnsFixtures.Rr("_prio._tcp.marathon.mesos.", "SRV", 30, "0 0 1001 b.marathon.mesos."),
        new MesosDnsFixtures.Rr("_prio._tcp.marathon.mesos.", "SRV", 30, "0 1 0 a.marathon.mesos."),
        new MesosDnsFixtures.Rr("_prio._tcp.marathon.mesos.", "SRV", 30, "0 1 1002 ."),
        new MesosDnsFixtures.Rr("_prio._tcp.marathon.mesos.", "SRV", 30, "10 1 2000 c.marathon.mesos."),
        new MesosDnsFixtures.Rr("_fallback._tcp.marathon.mesos.", "SRV", 30, "0 1 1000 gone.marathon.mesos."),
        new MesosDnsFixtures.Rr("_fallback._tcp.marathon.mesos.", "SRV", 30, "10 1 2000 c.marathon.mesos."),
        new MesosDnsFixtures.Rr("a.marathon.mesos.", "A", 20, "10.0.0.1"),
        new MesosDnsFixtures.Rr("b.marathon.mesos.", "A", 30, "10.0.0.2"),
        new MesosDnsFixtures.Rr("c.marathon.mesos.", "A", 30, "10.0.0.3")));
    ServiceSnapshot prio = load(source().build(), "_prio._tcp.marathon.mesos");
    assertEquals(List.of("a.marathon.mesos:1000 10.0.0.1:1000", "b.marathon.mesos:1001 10.0.0.2:1001"),
        describe(prio));
    assertEquals(5, prio.instances().get(0).weight());
    assertEquals(1, prio.instances().get(1).weight(), "SRV weight 0 counts as 1");
    assertEquals(Optional.of(Duration.ofSeconds(20)), prio.ttl(), "the smallest TTL used");

    ServiceSnapshot fallback = load(source().build(), "_fallback._tcp.marathon.mesos");
    assertEquals(List.of("c.marathon.mesos:2000 10.0.0.3:2000"), describe(fallback),
        "a priority whose targets have no address is passed over");
  }

  @Test
  void empty_answer_is_an_unknown_service() throws Exception {
    Throwable t = failure(source().build(), "/no/such/app");
    assertInstanceOf(UnknownServiceException.class, t);
    assertEquals("/no/such/app", ((UnknownServiceException) t).serviceId());
  }

  @Test
  void nxdomain_is_unknown_service() throws Exception {
    server.failWith(Rcode.NXDOMAIN);
    assertInstanceOf(UnknownServiceException.class, failure(source().build(), "/store/car"));
  }

  @Test
  void servfail_is_discovery_unavailable() throws Exception {
    server.failWith(Rcode.SERVFAIL);
    Throwable t = failure(source().retries(1).build(), "/store/car");
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("SERVFAIL"), t.getMessage());
  }

  @Test
  void refused_is_discovery_unavailable() throws Exception {
    // Mesos-DNS refuses names outside its domain (externalon: false).
    Throwable t = failure(source().retries(0).build(), "_web._tcp.example.com");
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("REFUSED"), t.getMessage());
  }

  @Test
  void timeout_is_discovery_unavailable() throws Exception {
    server.silent(true);
    MesosDnsSource source = source().timeout(Duration.ofMillis(200)).retries(0).build();
    assertInstanceOf(DiscoveryUnavailableException.class, failure(source, "/store/car"));
  }

  @Test
  void server_down_is_discovery_unavailable() throws Exception {
    int port;
    try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    MesosDnsSource source = MesosDnsSource.builder().nameServer("127.0.0.1:" + port)
        .timeout(Duration.ofMillis(200)).retries(0).build();
    assertInstanceOf(DiscoveryUnavailableException.class, failure(source, "/store/car"));
  }

  @Test
  void a_failing_name_server_is_followed_by_the_next() throws Exception {
    try (MesosDnsServer broken = MesosDnsServer.start(axfr)) {
      broken.failWith(Rcode.SERVFAIL);
      MesosDnsSource source = MesosDnsSource.builder()
          .nameServer(broken.hostPort()).nameServer(server.hostPort())
          .timeout(Duration.ofSeconds(2)).retries(0).build();
      assertEquals(2, load(source, "/store/car").instances().size());
      int brokenQueries = broken.udpQueries();
      assertEquals(2, load(source, "/store/car").instances().size());
      assertEquals(brokenQueries, broken.udpQueries(), "the server that answered is asked first");
    }
  }

  @Test
  void a_silent_name_server_is_followed_by_the_next() throws Exception {
    try (MesosDnsServer silent = MesosDnsServer.start(axfr)) {
      silent.silent(true);
      MesosDnsSource source = MesosDnsSource.builder()
          .nameServer(silent.hostPort()).nameServer(server.hostPort())
          .timeout(Duration.ofMillis(200)).retries(0).build();
      assertEquals(2, load(source, "/store/car").instances().size());
    }
  }

  @Test
  void ttl_hint_is_capped_by_configuration() throws Exception {
    ServiceSnapshot snapshot = load(source().maxTtl(Duration.ofSeconds(5)).build(), "/store/car");
    assertEquals(Optional.of(Duration.ofSeconds(5)), snapshot.ttl());
    ServiceSnapshot floored = load(source().minTtl(Duration.ofSeconds(90))
        .maxTtl(Duration.ofSeconds(120)).build(), "/store/car");
    assertEquals(Optional.of(Duration.ofSeconds(90)), floored.ttl());
  }

  @Test
  void closed_source_fails_loads_without_throwing() throws Exception {
    MesosDnsSource source = source().build();
    source.close();
    assertInstanceOf(DiscoveryUnavailableException.class, failure(source, "/store/car"));
  }

  @Test
  void builder_checks_its_input() {
    assertThrows(IllegalArgumentException.class, () -> MesosDnsSource.builder().nameServer("dns.example.com:53"));
    assertThrows(IllegalArgumentException.class, () -> MesosDnsSource.builder().nameServer("127.0.0.1:0"));
    assertThrows(IllegalArgumentException.class, () -> MesosDnsSource.builder().timeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> MesosDnsSource.builder().retries(-1));
    assertThrows(IllegalArgumentException.class, () -> MesosDnsSource.builder().framework("!!"));
    assertThrows(IllegalStateException.class,
        () -> MesosDnsSource.builder().nameServer("127.0.0.1").portName("http").build());
    assertEquals("mesos-dns[[fd00:0:0:0:0:0:0:1]:8053, 10.0.0.5:53]", MesosDnsSource.builder()
        .nameServer("[fd00::1]:8053").nameServer("10.0.0.5").build().name());
  }
}
