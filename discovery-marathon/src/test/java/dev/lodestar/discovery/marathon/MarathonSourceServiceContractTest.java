package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.testing.FakeMarathon;
import dev.lodestar.discovery.testing.ServiceSourceContract;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link MarathonSource} (event stream on) passes the source contract against the fake Marathon.
 */
class MarathonSourceServiceContractTest extends ServiceSourceContract {
  private FakeMarathon marathon;

  @BeforeEach
  void startMarathon() throws Exception {
    marathon = new FakeMarathon();
    marathon.setTasks("/prod/web", List.of(
        new FakeMarathon.Task("prod_web.t1", 31001, "TASK_RUNNING"),
        new FakeMarathon.Task("prod_web.t2", 31002, "TASK_RUNNING")));
  }

  @AfterEach
  void stopMarathon() {
    marathon.close();
  }

  @Override
  protected ServiceSource newSource() {
    return MarathonSource.builder().url(marathon.url()).requestTimeout(Duration.ofSeconds(5))
        .build();
  }

  @Override
  protected ServiceSource newUnreachableSource() throws Exception {
    String url;
    try (FakeMarathon gone = new FakeMarathon()) {
      url = gone.url();
    }
    return MarathonSource.builder().url(url).eventStream(false)
        .requestTimeout(Duration.ofSeconds(2)).build();
  }

  @Override
  protected String knownServiceId() {
    return "/prod/web";
  }
}
