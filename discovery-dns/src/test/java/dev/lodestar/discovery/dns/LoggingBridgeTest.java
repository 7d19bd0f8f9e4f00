package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What the README's "Logging" section promises: with {@code org.slf4j:slf4j-jdk-platform-logging}
 * on the classpath, a record Lodestar logs through {@link System.Logger} arrives in the SLF4J
 * backend (Logback here), formatted, at the matching level, under the class's logger name.
 *
 * <p>Runs in the {@code logging-bridge} Surefire execution of this module, the only one with the
 * bridge and Logback on its classpath (see the pom); the default execution skips it.
 */
class LoggingBridgeTest {

  @Test
  void aLodestarWarningReachesLogbackThroughSlf4j() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("lodestar.loggingBridge"),
        "runs in the logging-bridge execution, which has the bridge on its classpath");
    assertEquals("org.slf4j.jdk.platform.logging.SLF4JSystemLoggerFinder",
        System.LoggerFinder.getLoggerFinder().getClass().getName(),
        "System.Logger goes to SLF4J");

    List<Captured> captured = Logback.capture(MesosDnsSource.class.getName(), () -> {
      try (MesosDnsServer dns = MesosDnsServer.start(List.of(
          new MesosDnsFixtures.Rr("_web._tcp.marathon.slave.mesos.", "SRV", 60, "0 1 1000 a.mesos."),
          new MesosDnsFixtures.Rr("_web._tcp.marathon.slave.mesos.", "SRV", 60, "0 1 1001 ."),
          new MesosDnsFixtures.Rr("a.mesos.", "A", 60, "10.0.0.1")))) {
        MesosDnsSource source = MesosDnsSource.builder().nameServer(dns.hostPort())
            .timeout(Duration.ofSeconds(2)).build();
        // The SRV record with target "." is skipped, and MesosDnsSource logs why at WARNING.
        ServiceSnapshot snapshot = source.load("/web").get(20, TimeUnit.SECONDS);
        assertEquals(1, snapshot.instances().size());
      }
    });

    List<Captured> warnings = captured.stream().filter(e -> e.level().equals("WARN")).toList();
    assertEquals(1, warnings.size(), captured.toString());
    Captured warning = warnings.get(0);
    assertEquals(MesosDnsSource.class.getName(), warning.logger());
    String message = warning.message();
    assertTrue(message.startsWith("/web: skipping "), message);
    assertTrue(message.contains("1001 ."), message);
    assertTrue(message.endsWith("target \".\" means no service"), message);
  }

  /** One event as Logback received it. */
  record Captured(String level, String logger, String message) {}

  /** Code that may throw. */
  interface Action {
    void run() throws Exception;
  }

  /**
   * Every Logback type is used here, so that the test class itself loads in the default
   * execution, where Logback is not on the classpath and the test is skipped.
   */
  static final class Logback {
    private Logback() {}

    /** Runs {@code action} and returns what {@code loggerName} logged at INFO and above. */
    static List<Captured> capture(String loggerName, Action action) throws Exception {
      LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
      Logger logger = context.getLogger(loggerName);
      ListAppender<ILoggingEvent> appender = new ListAppender<>();
      appender.setContext(context);
      appender.start();
      logger.addAppender(appender);
      logger.setLevel(Level.INFO);
      try {
        action.run();
      } finally {
        logger.detachAppender(appender);
      }
      return appender.list.stream().map(e -> new Captured(
          e.getLevel().toString(), e.getLoggerName(), e.getFormattedMessage())).toList();
    }
  }
}
