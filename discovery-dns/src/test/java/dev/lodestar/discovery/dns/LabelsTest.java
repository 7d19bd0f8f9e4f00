package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.dns.MesosDnsSource.Addressing;
import dev.lodestar.discovery.dns.MesosDnsSource.Naming;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Name translation against the oracle: the SRV names a real Mesos-DNS published for {@code
 * state-loopback-plus-group-names.json}, in default (RFC 1123) and RFC 952 mode.
 */
class LabelsTest {

  @ParameterizedTest
  @CsvSource({
    "worker.backend-services.production, worker-backend-services-production, worker-backend-servicesp",
    "1st-App_Name.Grp, 1st-app-name-grp, st-app-name-grp",
    "car.store, car-store, car-store",
    "'-x_Y!z-', x-yz, x-yz",
  })
  void mangles_task_names_like_mesos_dns(String name, String rfc1123, String rfc952) {
    assertEquals(rfc1123, Labels.label(name, Naming.RFC1123));
    assertEquals(rfc952, Labels.label(name, Naming.RFC952));
  }

  @Test
  void mangles_framework_names_part_by_part() {
    String fw = "chronos with a space AND MIXED CASE-2.0.1";
    assertEquals("chronoswithaspaceandmixedcase-2.0.1", Labels.domainFragment(fw, Naming.RFC1123));
    assertEquals("chronoswithaspaceandmixe", Labels.domainFragment(fw, Naming.RFC952));
  }

  @Test
  void cuts_rfc1123_labels_at_63_characters() {
    String long64 = "a".repeat(62) + "-b";
    // The cut falls on the '-', which is trimmed and back-filled from the text after it.
    assertEquals("a".repeat(62) + "b", Labels.label(long64, Naming.RFC1123));
    assertEquals("a".repeat(63), Labels.label("a".repeat(70), Naming.RFC1123));
  }

  @Test
  void turns_marathon_app_ids_into_task_names() {
    assertEquals("worker.backend-services.production",
        Labels.marathonTaskName("/production/backend-services/worker"));
    assertEquals("worker.backend-services.production",
        Labels.marathonTaskName("production/backend-services/worker"));
    assertEquals("web", Labels.marathonTaskName("/web"));
  }

  /** Every task label and framework name in the oracle comes out of our mangling, both modes. */
  @ParameterizedTest
  @EnumSource(Naming.class)
  @SuppressWarnings("unchecked")
  void reproduces_every_task_srv_name_of_the_oracle(Naming naming) throws IOException {
    String oracleFile = naming == Naming.RFC952
        ? "mesos-dns-axfr-group-names-rfc952.json"
        : "mesos-dns-axfr-group-names-default.json";
    Set<String> oracle = new TreeSet<>();
    for (MesosDnsFixtures.Rr rr : MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture(oracleFile))) {
      // _{task}._tcp.{fw}.slave.mesos. : always the mangled task name, never a raw DiscoveryInfo one
      // (leaving out the raw legacy names such as _liquor.store._tcp..., whose first label has a dot)
      if (rr.type().equals("SRV") && rr.name().contains("._tcp.")
          && rr.name().endsWith(".slave.mesos.")
          && !rr.name().substring(0, rr.name().indexOf("._tcp.")).contains(".")) {
        oracle.add(rr.name());
      }
    }
    Map<String, Object> state = (Map<String, Object>) MesosDnsFixtures.readJson(
        MesosDnsFixtures.fixture("state-loopback-plus-group-names.json"));
    Set<String> ours = new TreeSet<>();
    for (Object f : (List<Object>) state.get("frameworks")) {
      Map<String, Object> framework = (Map<String, Object>) f;
      String fw = Labels.domainFragment((String) framework.get("name"), naming);
      for (Object t : (List<Object>) framework.get("tasks")) {
        Map<String, Object> task = (Map<String, Object>) t;
        Map<String, Object> resources = (Map<String, Object>) task.get("resources");
        if (!"TASK_RUNNING".equals(task.get("state"))
            || MesosDnsFixtures.ports((String) resources.get("ports")).isEmpty()) {
          continue;
        }
        Map<String, Object> discovery = (Map<String, Object>) task.get("discovery");
        String name = discovery != null ? (String) discovery.get("name") : (String) task.get("name");
        ours.add("_" + Labels.label(name, naming) + "._tcp." + fw + ".slave.mesos.");
      }
    }
    assertEquals(oracle, ours);
  }

  /** The service id a Marathon user types reaches the name the real server published. */
  @ParameterizedTest
  @CsvSource({
    "RFC1123, /production/backend-services/worker, _worker-backend-services-production._tcp.marathon.slave.mesos., mesos-dns-axfr-group-names-default.json",
    "RFC952, /production/backend-services/worker, _worker-backend-servicesp._tcp.marathon.slave.mesos., mesos-dns-axfr-group-names-rfc952.json",
    "RFC1123, 1st-App_Name.Grp, _1st-app-name-grp._tcp.marathon.slave.mesos., mesos-dns-axfr-group-names-default.json",
    "RFC952, 1st-App_Name.Grp, _st-app-name-grp._tcp.marathon.slave.mesos., mesos-dns-axfr-group-names-rfc952.json",
  })
  void service_ids_map_to_published_srv_names(
      Naming naming, String serviceId, String expected, String oracleFile) throws IOException {
    MesosDnsSource source = MesosDnsSource.builder().nameServer("127.0.0.1:1").naming(naming).build();
    String name = source.srvName(serviceId);
    assertEquals(expected, name);
    assertTrue(MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture(oracleFile)).stream()
        .anyMatch(rr -> rr.name().equals(name)), name + " is published");
  }

  @Test
  void builds_task_and_named_port_names() {
    MesosDnsSource task = MesosDnsSource.builder().nameServer("127.0.0.1:1")
        .addressing(Addressing.TASK).portName("HTTP").build();
    assertEquals("_http._liquor-store._tcp.marathon.mesos.", task.srvName("/store/liquor"));
    MesosDnsSource udp = MesosDnsSource.builder().nameServer("127.0.0.1:1")
        .protocol(MesosDnsSource.Protocol.UDP).framework("chronos with a space AND MIXED CASE-2.0.1")
        .domain("mesos.").build();
    assertEquals("_some-box._udp.chronoswithaspaceandmixedcase-2.0.1.slave.mesos.",
        udp.srvName("/some-box"));
  }

  @Test
  void takes_raw_srv_names_as_they_are() {
    MesosDnsSource source = MesosDnsSource.builder().nameServer("127.0.0.1:1").build();
    assertEquals("_web._tcp.service.consul.", source.srvName("_web._tcp.service.consul"));
    assertEquals("_Liquor.Store._tcp.marathon.mesos.", source.srvName("_Liquor.Store._tcp.marathon.mesos."));
  }
}
