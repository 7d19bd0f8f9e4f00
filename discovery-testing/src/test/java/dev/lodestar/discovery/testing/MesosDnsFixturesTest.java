package dev.lodestar.discovery.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The records derived from state files agree with what the real Mesos-DNS answered. */
class MesosDnsFixturesTest {

  @Test
  void derived_records_of_the_loopback_state_are_in_the_real_record_set() throws IOException {
    Set<MesosDnsFixtures.Rr> real = new HashSet<>(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json")));
    List<MesosDnsFixtures.Rr> derived =
        MesosDnsFixtures.stateRecords(MesosDnsFixtures.fixture("state-loopback.json"));
    // car.store (2 ports), chronos and reviewbot (1 port each): 4 ports x 4 SRV names, 3 A
    assertEquals(4 * 4 + 3, derived.size());
    for (MesosDnsFixtures.Rr rr : derived) {
      assertTrue(real.contains(rr), "Mesos-DNS published " + rr.zoneLine());
    }
  }

  @Test
  void derived_records_of_the_40_task_state_match_the_captured_tcp_answer() throws IOException {
    String dig = Files.readString(
        MesosDnsFixtures.fixture("mesos-dns-dig-truncation.txt"), StandardCharsets.UTF_8);
    String tcp = dig.substring(dig.indexOf("retrying in TCP mode"));
    Set<String> captured = new HashSet<>();
    Matcher m = Pattern.compile("(?m)^(\\S+)\\s+(\\d+)\\s+IN\\s+(SRV|A)\\s+(.+)$").matcher(tcp);
    while (m.find()) {
      captured.add(m.group(1) + " " + m.group(2) + " IN " + m.group(3) + " "
          + m.group(4).trim().replaceAll("\\s+", " "));
    }
    assertEquals(80 + 40, captured.size());
    Set<String> derived = MesosDnsFixtures.stateRecords(
            MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json")).stream()
        .filter(rr -> rr.name().startsWith("_web-prod._tcp.marathon.mesos.")
            || (rr.type().equals("A") && rr.name().startsWith("web-prod-")))
        .map(MesosDnsFixtures.Rr::zoneLine)
        .collect(Collectors.toSet());
    assertEquals(captured, derived);
  }
}
