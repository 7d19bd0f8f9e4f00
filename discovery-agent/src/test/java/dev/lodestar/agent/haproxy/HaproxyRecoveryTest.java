package dev.lodestar.agent.haproxy;

import static dev.lodestar.agent.haproxy.Loopback.answers;
import static dev.lodestar.agent.haproxy.Loopback.readOrEmpty;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lodestar haproxy --watch} (in-process, real HAProxy on loopback) when HAProxy cannot
 * start or stops: the bridge starts it again on a later render, without a config change.
 */
@Timeout(120)
class HaproxyRecoveryTest {
  @TempDir Path dir;

  @Test
  void haproxyThatFailedToStartIsStartedOnceItsPortIsFree() throws Exception {
    try (Loopback.Backend app = new Loopback.Backend("app");
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
        blocker.close();
        // Nothing changes in Marathon: only the periodic re-render (500 ms) can start HAProxy.
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
