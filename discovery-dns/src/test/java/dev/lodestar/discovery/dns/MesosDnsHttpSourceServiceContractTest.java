package dev.lodestar.discovery.dns;

import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.testing.FakeMarathon;
import dev.lodestar.discovery.testing.ServiceSourceContract;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link MesosDnsHttpSource} passes the source contract against a loopback HTTP server (the fake
 * Marathon's raw answers) replaying the captured answers of {@code mesos-dns-http-api.txt}.
 */
class MesosDnsHttpSourceServiceContractTest extends ServiceSourceContract {
  private FakeMarathon http;

  @BeforeEach
  void startServer() throws Exception {
    http = new FakeMarathon();
    for (Map.Entry<String, String[]> e : MesosDnsHttpSourceTest.capturedAnswers().entrySet()) {
      // The source asks for the absolute name (trailing dot), which Mesos-DNS treats as optional.
      for (String path : new String[] {e.getKey(), e.getKey() + "."}) {
        http.answer(path, Integer.parseInt(e.getValue()[0]), e.getValue()[1]);
      }
    }
  }

  @AfterEach
  void stopServer() {
    http.close();
  }

  @Override
  protected ServiceSource newSource() {
    return MesosDnsHttpSource.builder().url(http.url()).timeout(Duration.ofSeconds(5)).build();
  }

  @Override
  protected ServiceSource newUnreachableSource() throws Exception {
    String url;
    try (FakeMarathon gone = new FakeMarathon()) {
      url = gone.url();
    }
    return MesosDnsHttpSource.builder().url(url).timeout(Duration.ofSeconds(2)).build();
  }

  @Override
  protected String knownServiceId() {
    return "_liquor-store._tcp.marathon.mesos";
  }

  @Override
  protected String unknownServiceId() {
    return "_nosuch._tcp.marathon.mesos";
  }
}
