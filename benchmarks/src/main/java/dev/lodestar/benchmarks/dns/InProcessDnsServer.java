package dev.lodestar.benchmarks.dns;

import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-process Mesos-DNS of discovery-testing ({@link MesosDnsServer}, Mesos-DNS behaviour
 * including the 512-byte UDP cut) serving the fixtures in testdata/: {@code mesos-dns-axfr.json}
 * plus the 40-task state.
 *
 * <p>Thread safety: not thread-safe; JMH calls it from one setup thread.
 */
final class InProcessDnsServer {
  private InProcessDnsServer() {}

  /** Starts the server on 127.0.0.1 and a free port. */
  static MesosDnsServer start() throws Exception {
    List<MesosDnsFixtures.Rr> records = new ArrayList<>(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json")));
    records.addAll(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json")));
    return MesosDnsServer.start(records);
  }
}
