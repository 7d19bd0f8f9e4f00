package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The same assertions as {@link MesosDnsSourceTest}, against a real authoritative server (NSD from
 * Debian) serving the zone that {@code .ci/dns-server.sh} generates from the fixtures. Runs when
 * {@code LODESTAR_DNS_SERVER} names it ({@code 127.0.0.1:15353}); skipped otherwise.
 *
 * <p>A real server differs from Mesos-DNS in two ways these tests allow for: NSD truncates whole
 * RRsets (a truncated UDP reply carries no answer at all, where Mesos-DNS keeps 8), and it answers
 * NXDOMAIN for an unknown SRV name, where Mesos-DNS answers NOERROR with nothing.
 */
class RealDnsServerIT {
  private static String server;
  private static List<MesosDnsFixtures.Rr> axfr;

  @BeforeAll
  static void requireServer() throws Exception {
    server = System.getenv("LODESTAR_DNS_SERVER");
    assumeTrue(server != null && !server.isBlank(),
        "LODESTAR_DNS_SERVER is not set: run .ci/dns-server.sh (as root) and set it to the"
            + " address it prints, e.g. LODESTAR_DNS_SERVER=127.0.0.1:15353");
    axfr = MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json"));
  }

  private static MesosDnsSource.Builder source() {
    return MesosDnsSource.builder().nameServer(server).timeout(Duration.ofSeconds(2));
  }

  @Test
  void every_srv_name_of_the_axfr_oracle_yields_its_targets_and_ports() throws Exception {
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
        String[] fields = srv.data().split(" ");
        String target = fields[3];
        List<MesosDnsFixtures.Rr> addresses = byName.get(target);
        MesosDnsFixtures.Rr address = addresses.stream().filter(r -> r.type().equals("A"))
            .findFirst().orElseGet(() -> addresses.get(0));
        expected.put(target.substring(0, target.length() - 1) + ":" + fields[2],
            InetAddress.getByName(address.data()));
      }
      ServiceSnapshot snapshot = source.load(e.getKey()).get(20, TimeUnit.SECONDS);
      Map<String, InetAddress> actual = new TreeMap<>();
      for (Instance instance : snapshot.instances()) {
        actual.put(instance.instanceId(), InetAddress.getByName(instance.host()));
      }
      assertEquals(expected, actual, e.getKey());
    }
    assertEquals(46, names);
  }

  @Test
  void the_real_server_truncates_the_40_task_answer_over_udp() throws Exception {
    String[] hostPort = server.split(":");
    SimpleResolver resolver = new SimpleResolver(
        new java.net.InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])));
    resolver.setIgnoreTruncation(true);
    Message udp = resolver.send(Message.newQuery(Record.newRecord(
        Name.fromString("_web-prod._tcp.marathon.slave.mesos."), Type.SRV, DClass.IN)));
    assertTrue(udp.getHeader().getFlag(Flags.TC), "TC set, so the source must retry over TCP");
    assertTrue(udp.getSection(Section.ANSWER).size() < 80);
  }

  @Test
  void forty_tasks_come_back_whole_through_the_tcp_retry() throws Exception {
    ServiceSnapshot snapshot = source().build().load("/prod/web").get(20, TimeUnit.SECONDS);
    Set<String> endpoints = new TreeSet<>();
    snapshot.instances().forEach(i -> endpoints.add(i.address()));
    Set<String> expected = new TreeSet<>();
    for (MesosDnsFixtures.Rr rr : MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json"))) {
      if (rr.name().equals("_web-prod._tcp.marathon.slave.mesos.")) {
        String[] fields = rr.data().split(" ");
        expected.add(ipOf(fields[3]) + ":" + fields[2]);
      }
    }
    assertEquals(80, expected.size());
    assertEquals(expected, endpoints);
  }

  private static String ipOf(String target) throws Exception {
    for (MesosDnsFixtures.Rr rr : MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json"))) {
      if (rr.type().equals("A") && rr.name().equals(target)) {
        return rr.data();
      }
    }
    throw new AssertionError("no A for " + target);
  }

  @Test
  void a_resolver_picks_over_all_80_endpoints() {
    try (ServiceResolver resolver = ServiceResolver.builder().source(source().build()).build()) {
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 160; i++) {
        seen.add(resolver.pick("/prod/web").address());
      }
      assertEquals(80, seen.size());
    }
  }

  @Test
  void an_unknown_name_is_unknown_service() {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> source().build().load("/no/such/app").get(20, TimeUnit.SECONDS));
    assertInstanceOf(UnknownServiceException.class, e.getCause());
  }
}
