package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.net.ConnectException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A log handler that blocks must not hold up routing: the ejection is visible to picks, status
 * and snapshot updates before the resolver logs it.
 */
@Timeout(30)
class SlowLogHandlerTest {
  private static final String APP = "/app";

  @Test
  void ejectionTakesEffectBeforeItIsLogged() throws Exception {
    Logger logger = Logger.getLogger(ServiceResolver.class.getName());
    CountDownLatch logging = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Handler blocking = new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (record.getMessage() != null && record.getMessage().contains("ejecting")) {
          logging.countDown();
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(blocking);
    StaticSource source = StaticSource.create().set(APP, instances(APP, 2));
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .strategy(LoadBalancingStrategy.roundRobin()).build()) {
      Selection doomed = resolver.select(APP);
      String ejected = doomed.instance().instanceId();
      Thread reporter = new Thread(() -> doomed.failure(new ConnectException("refused")));
      reporter.start();
      assertTrue(logging.await(10, TimeUnit.SECONDS), "the ejection is being logged");
      // The reporting thread is stuck in the log handler; routing has moved on regardless.
      for (int i = 0; i < 100; i++) {
        assertNotEquals(ejected, resolver.pick(APP).instanceId());
      }
      assertEquals(1, resolver.status(APP).orElseThrow().ejectedInstances());
      source.set(APP, instances(APP, 3)); // snapshot updates are not blocked either
      assertEquals(3, resolver.instances(APP).size());
      release.countDown();
      reporter.join(10_000);
    } finally {
      release.countDown();
      logger.removeHandler(blocking);
    }
  }
}
