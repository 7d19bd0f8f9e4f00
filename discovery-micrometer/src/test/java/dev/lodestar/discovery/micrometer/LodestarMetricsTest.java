package dev.lodestar.discovery.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.Selection;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.source.StaticSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LodestarMetricsTest {
  private static final String APP = "/shop";

  @Test
  void publishesCallsEjectionsRefreshesAndPerServiceGauges() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LodestarMetrics metrics = LodestarMetrics.create(registry);
    StaticSource source = StaticSource.create().set(APP,
        Instance.builder(APP, "a", "10.0.0.1", 80).build(),
        Instance.builder(APP, "b", "10.0.0.2", 80).build(),
        Instance.builder(APP, "c", "10.0.0.3", 80).build());
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .listener(metrics).recordPicks(true).build()) {
      metrics.bindTo(resolver);
      for (int i = 0; i < 4; i++) {
        resolver.pick(APP);
      }
      Selection ok = resolver.select(APP);
      ok.success(Duration.ofMillis(12));
      Selection bad = resolver.select(APP);
      bad.failure(new IOException("HTTP 500"));
      Selection refused = resolver.select(APP);
      refused.failure(new ConnectException("refused"));

      assertEquals(1.0, registry.get("lodestar.calls").tags("service", APP, "outcome", "success")
          .counter().count());
      assertEquals(2.0, registry.get("lodestar.calls").tags("service", APP, "outcome", "failure")
          .counter().count());
      assertEquals(12.0, registry.get("lodestar.call.latency").tag("service", APP).timer()
          .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS), 0.001);
      assertEquals(1.0, registry.get("lodestar.ejections").tag("service", APP).counter().count());
      assertEquals(1L, registry.get("lodestar.refresh").tags("service", APP, "outcome", "success")
          .timer().count());
      assertEquals(3.0, registry.get("lodestar.instances").tags("service", APP, "state", "total")
          .gauge().value());
      assertEquals(2.0, registry.get("lodestar.instances")
          .tags("service", APP, "state", "routable").gauge().value());
      assertEquals(1.0, registry.get("lodestar.instances")
          .tags("service", APP, "state", "ejected").gauge().value());
      assertEquals(7.0, registry.get("lodestar.picks").tag("service", APP).functionCounter()
          .count());
      double age = registry.get("lodestar.snapshot.age").tag("service", APP).gauge().value();
      assertTrue(age >= 0 && age < 60, "age " + age);
    }
  }
}
