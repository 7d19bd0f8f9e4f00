package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.testing.FakeMarathon;
import dev.lodestar.discovery.testing.FakeMarathon.Task;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Marathon coming back empty (as after a restart with empty state): a 200 without the app, an
 * empty app list, or a 404 never drop a cached service before the resolver's unknown-service
 * grace, and each is logged once at WARNING. The resolver refreshes every 100 ms, so each case
 * sees dozens of bad answers; the grace is 2 s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MarathonEmptyAnswersTest {
  private static final String APP = "/web";
  private static final String APP_PATH = "/v2/apps/web?embed=app.tasks";
  private static final Duration GRACE = Duration.ofSeconds(2);

  private final Logger lodestarLogger = Logger.getLogger("dev.lodestar"); // strong ref for JUL
  private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
        warnings.add(record);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private FakeMarathon marathon;
  private ServiceResolver resolver;

  @BeforeEach
  void start() throws IOException {
    marathon = new FakeMarathon();
    marathon.setTasks(APP, List.of(new Task("web.1", 31001, "TASK_RUNNING"),
        new Task("web.2", 31002, "TASK_RUNNING")));
    // A second app on service port 10001, so the lean list has two apps.
    marathon.putApp("/api", "{\"id\":\"/api\",\"instances\":1,\"portDefinitions\":[{\"port\":10001}],"
        + "\"tasks\":[{\"id\":\"api.1\",\"appId\":\"/api\",\"host\":\"127.0.0.1\",\"ports\":[32001],"
        + "\"state\":\"TASK_RUNNING\"}]}");
    lodestarLogger.addHandler(capture);
    resolver = ServiceResolver.builder()
        .source(MarathonSource.builder().url(marathon.url()).eventStream(false)
            .pollInterval(Duration.ZERO).build())
        .refreshInterval(Duration.ofMillis(100))
        .unknownServiceGrace(GRACE)
        .build();
  }

  @AfterEach
  void stop() {
    lodestarLogger.removeHandler(capture);
    resolver.close();
    marathon.close();
  }

  /** Refreshes for longer than the grace while the bad answer stands; picks keep working. */
  private void servedPastTheGrace(String serviceId, String path) throws InterruptedException {
    int before = marathon.requestCount(path);
    long end = System.nanoTime() + GRACE.multipliedBy(2).toNanos();
    while (System.nanoTime() < end) {
      Instance e = resolver.pick(serviceId);
      assertTrue(e.port() == 31001 || e.port() == 31002, e.toString());
      Thread.sleep(20);
    }
    assertTrue(marathon.requestCount(path) - before >= 5,
        "the resolver kept asking: " + marathon.requests());
  }

  private long warningsAbout(String text) {
    return warnings.stream().filter(r -> String.valueOf(r.getMessage()).contains(text)
        || Arrays.toString(r.getParameters()).contains(text)).count();
  }

  @Test
  void aTwoHundredWithoutTheAppKeepsTheLastStateAndWarnsOnce() throws Exception {
    resolver.pick(APP);
    marathon.answer(APP_PATH, 200, "{}");
    servedPastTheGrace(APP, "/v2/apps/web");
    marathon.answer(APP_PATH, 200, "{\"apps\":[]}");
    servedPastTheGrace(APP, "/v2/apps/web");
    assertEquals(1, warningsAbout("/web"), warnings.toString());
  }

  /**
   * A 200 that carries another app (a proxy or cache answering for the wrong path) is a 200
   * without the app: the last state is kept past the grace, not dropped as an unknown service.
   */
  @Test
  void aTwoHundredForAnotherAppKeepsTheLastState() throws Exception {
    resolver.pick(APP);
    marathon.answer(APP_PATH, 200, "{\"app\":{\"id\":\"/api\",\"instances\":1,"
        + "\"portDefinitions\":[{\"port\":10001}],\"tasks\":[{\"id\":\"api.1\",\"host\":"
        + "\"127.0.0.1\",\"ports\":[32001],\"state\":\"TASK_RUNNING\"}]}}");
    servedPastTheGrace(APP, "/v2/apps/web");
    assertEquals(1, warningsAbout("/web"), warnings.toString());
  }

  /**
   * An app answered without its {@code tasks} field although asked with {@code embed=app.tasks}
   * is a broken answer, not an app scaled to zero ({@code "tasks": []}): the last state is kept.
   */
  @Test
  void anAppAnsweredWithoutItsTasksFieldKeepsTheLastState() throws Exception {
    resolver.pick(APP);
    marathon.answer(APP_PATH, 200, "{\"app\":{\"id\":\"/web\",\"instances\":2,"
        + "\"portDefinitions\":[{\"port\":10000}]}}");
    servedPastTheGrace(APP, "/v2/apps/web");
    assertEquals(1, warningsAbout("/web"), warnings.toString());
  }

  @Test
  void aNotFoundIsServedThroughTheGraceThenTheServiceIsUnknown() throws Exception {
    resolver.pick(APP);
    marathon.removeApp(APP);
    long removedAt = System.nanoTime();
    awaitTrue(() -> marathon.requestCount("/v2/apps/web") >= 3);
    // Within the grace (the 404s have started), the cached instances are still served.
    if (System.nanoTime() - removedAt < GRACE.toNanos() / 2) {
      assertTrue(resolver.pick(APP).port() > 31000);
    }
    awaitTrue(() -> {
      try {
        resolver.pick(APP);
        return false;
      } catch (UnknownServiceException expected) {
        return true;
      }
    });
    assertTrue(System.nanoTime() - removedAt >= GRACE.toNanos(),
        "dropped before the grace ran out");
    assertThrows(UnknownServiceException.class, () -> resolver.pick(APP));
  }

  @Test
  void anEmptyAppListKeepsThePortIndexAndWarnsOnce() throws Exception {
    assertEquals(31001 / 1000, resolver.pick("port:10000").port() / 1000);
    marathon.answer("/v2/apps", 200, "{\"apps\":[]}");
    // The refreshes of port:10000 re-list; the empty list is not believed.
    servedPastTheGrace("port:10000", "/v2/apps");
    // A new port service is found in the kept index.
    assertEquals(32001, resolver.pick("port:10001").port());
    assertEquals(1, warningsAbout("shrank"), warnings.toString());
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(10);
    }
  }
}
