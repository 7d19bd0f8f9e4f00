package dev.lodestar.agent.haproxy;

import static dev.lodestar.agent.haproxy.Loopback.readOrEmpty;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lodestar haproxy --watch} as its own JVM ({@code LodestarCommand.main}, which ends with
 * {@code System.exit}), stopped with SIGTERM: it stops HAProxy and exits without waiting out the
 * shutdown hook's 20 s bound.
 */
@Timeout(180)
class HaproxyShutdownTest {
  @TempDir Path dir;

  @Test
  void sigtermStopsHaproxyAndTheBridgeWithoutWaitingOutTheHookBound() throws Exception {
    String haproxy = HaproxyBinary.require();
    Apps apps = new Apps();
    apps.app("/web", Loopback.freePort(), "HAPROXY_0_BIND_ADDR", "127.0.0.1");
    try (FixtureMarathon marathon = new FixtureMarathon(apps.document())) {
      Path out = dir.resolve("out.log");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
          "dev.lodestar.agent.LodestarCommand", "haproxy", "--marathon", marathon.url(),
          "--config", dir.resolve("haproxy.cfg").toString(), "--watch", "--haproxy", haproxy,
          "--bind-addr", "127.0.0.1", "--http-port", "" + Loopback.freePort(),
          "--https-port", "" + Loopback.freePort(), "--stats-port", "" + Loopback.freePort(),
          "--min-reload-interval", "200ms"))
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      List<ProcessHandle> children = List.of();
      try {
        assertTrue(Loopback.await(60, () -> readOrEmpty(out).contains("started haproxy master")
                && readOrEmpty(out).contains("installed a new HAProxy config")),
            "the bridge did not start HAProxy:\n" + readOrEmpty(out));
        children = p.descendants().toList();
        assertFalse(children.isEmpty(), "no HAProxy child process");
        p.destroy(); // SIGTERM
        // The hook waits at most 20 s for the cleanup; before the fix it always waited all of it.
        assertTrue(p.waitFor(15, TimeUnit.SECONDS),
            "the bridge did not exit within 15 s of SIGTERM:\n" + readOrEmpty(out));
        for (ProcessHandle child : children) {
          assertFalse(child.isAlive(), "HAProxy process " + child.pid() + " outlived the bridge");
        }
      } finally {
        p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
      }
    }
  }
}
