package dev.lodestar.discovery.dns;

import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import dev.lodestar.discovery.testing.ServiceSourceContract;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** {@link MesosDnsSource} passes the source contract against the in-process Mesos-DNS. */
class MesosDnsSourceServiceContractTest extends ServiceSourceContract {
  private MesosDnsServer server;

  @BeforeEach
  void startServer() throws Exception {
    List<MesosDnsFixtures.Rr> records = new ArrayList<>(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json")));
    records.addAll(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json")));
    server = MesosDnsServer.start(records);
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Override
  protected ServiceSource newSource() {
    return MesosDnsSource.builder().nameServer(server.hostPort()).timeout(Duration.ofSeconds(2))
        .build();
  }

  @Override
  protected ServiceSource newUnreachableSource() throws Exception {
    int port;
    try (DatagramSocket closed = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    }
    return MesosDnsSource.builder().nameServer("127.0.0.1:" + port)
        .timeout(Duration.ofMillis(500)).retries(0).build();
  }

  @Override
  protected String knownServiceId() {
    return "/prod/web";
  }
}
