package dev.lodestar.agent.haproxy;

import static dev.lodestar.agent.haproxy.Loopback.answers;
import static dev.lodestar.agent.haproxy.Loopback.readOrEmpty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lodestar haproxy --watch} (in-process, real HAProxy on loopback) when HAProxy cannot
 * start or stops: the bridge starts it again on a later render, without a config change. Re-applies
 * of the unchanged config back off (1 s, 2 s, 4 s, ...; see {@link ConfigInstaller}), so a start
 * that keeps failing is retried, and reported at WARNING, far less often than renders happen.
 */
@Timeout(120)
class HaproxyRecoveryTest {
  @TempDir Path dir;

  /** Collects the WARNING (and higher) records of one java.util.logging logger. */
  private static final class Warnings extends Handler implements AutoCloseable {
    final List<String> messages = new CopyOnWriteArrayList<>();
    private final Logger logger;

    Warnings(Class<?> source) {
      logger = Logger.getLogger(source.getName());
      logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord r) {
      if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
        messages.add(r.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      logger.removeHandler(this);
    }
  }

  @Test
  void haproxyThatFailedToStartIsStartedOnceItsPortIsFree() throws Exception {
    try (Warnings warnings = new Warnings(HaproxyWatcher.class);
        Loopback.Backend app = new Loopback.Backend("app");
        ServerSocket blocker = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int servicePort = blocker.getLocalPort();
      Apps apps = new Apps();
      apps.app("/web", servicePort, "HAPROXY_0_BIND_ADDR", "127.0.0.1");
      apps.task("/web", "web.1", app.port());
      try (FixtureMarathon marathon = new FixtureMarathon(apps.document());
          RunningBridge bridge = new RunningBridge(dir, marathon)) {
        assertTrue(Loopback.await(60, () -> bridge.watcher.failures() >= 1),
            "HAProxy should fail to start while the frontend port is taken; config:\n"
                + readOrEmpty(bridge.config));
        assertTrue(readOrEmpty(bridge.config).contains("web_" + servicePort), "config not written");
        // Renders go on every 500 ms (poll), but the failed start is retried only 1 s, then 2 s,
        // then 4 s after the last try: at most 2 more tries in 3.5 s (about 7 without backoff).
        int seen = bridge.watcher.failures();
        Thread.sleep(3_500);
        int retries = bridge.watcher.failures() - seen;
        assertTrue(retries <= 2, retries + " failed starts in 3.5 s; renders="
            + bridge.watcher.renders());
        assertEquals(1, warnings.messages.stream()
            .filter(m -> m.startsWith("HAProxy start/reload failed")).count(),
            "a failure streak must be reported at WARNING once: " + warnings.messages);
        blocker.close();
        // Nothing changes in Marathon: only a periodic re-render (500 ms) once the current
        // backoff step (4 s or 8 s by now) has passed can start HAProxy.
        assertTrue(Loopback.await(30, () -> bridge.haproxy() != null
            && bridge.haproxy().isAlive()), "HAProxy was not started after the port became"
            + " free; renders=" + bridge.watcher.renders() + " installs="
            + bridge.watcher.installs() + " failures=" + bridge.watcher.failures());
        assertTrue(Loopback.await(30, () -> answers(servicePort, "x", "app")),
            "HAProxy does not route the app");
      }
    }
  }

  @Test
  void haproxyThatExitedIsStartedAgain() throws Exception {
    try (Loopback.Backend app = new Loopback.Backend("app")) {
      int servicePort = Loopback.freePort();
      Apps apps = new Apps();
      apps.app("/web", servicePort, "HAPROXY_0_BIND_ADDR", "127.0.0.1");
      apps.task("/web", "web.1", app.port());
      try (FixtureMarathon marathon = new FixtureMarathon(apps.document());
          RunningBridge bridge = new RunningBridge(dir, marathon)) {
        // The workers may answer before the master's CLI does, and start() returns only then.
        assertTrue(Loopback.await(60, () -> bridge.haproxy() != null
            && answers(servicePort, "x", "app")), "HAProxy does not route the app");
        HaproxyProcess first = bridge.haproxy();
        ProcessHandle master = ProcessHandle.of(first.pid()).orElseThrow();
        master.destroyForcibly();
        master.onExit().get();
        assertTrue(Loopback.await(30, () -> bridge.haproxy() != first
            && bridge.haproxy().isAlive()), "HAProxy was not started again after it exited");
        assertTrue(Loopback.await(30, () -> answers(servicePort, "x", "app")),
            "the restarted HAProxy does not route the app");
      }
    }
  }
}
