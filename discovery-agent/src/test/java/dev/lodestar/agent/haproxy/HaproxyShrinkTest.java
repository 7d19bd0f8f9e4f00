package dev.lodestar.agent.haproxy;

import static dev.lodestar.agent.haproxy.Loopback.answers;
import static dev.lodestar.agent.haproxy.Loopback.readOrEmpty;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lodestar haproxy --watch} (in-process, real HAProxy on loopback) when Marathon's app list
 * shrinks to less than half at once, as a leader answering before it loaded its state does: the
 * installed config keeps serving every app until Marathon has answered the small list for two
 * poll intervals (1 s here), then the small list is rendered.
 */
@Timeout(120)
class HaproxyShrinkTest {
  @TempDir Path dir;

  @Test
  void aListThatLostMoreThanHalfTheAppsIsHeldBackThenRenderedIfItStays() throws Exception {
    String[] ids = {"/a", "/b", "/c", "/d"};
    Loopback.Backend[] backends = new Loopback.Backend[ids.length];
    int[] servicePorts = new int[ids.length];
    Apps apps = new Apps();
    try {
      for (int i = 0; i < ids.length; i++) {
        backends[i] = new Loopback.Backend(ids[i].substring(1));
        servicePorts[i] = Loopback.freePort();
        apps.app(ids[i], servicePorts[i], "HAPROXY_0_BIND_ADDR", "127.0.0.1");
        apps.task(ids[i], ids[i].substring(1) + ".1", backends[i].port());
      }
      try (FixtureMarathon marathon = new FixtureMarathon(apps.document());
          RunningBridge bridge = new RunningBridge(dir, marathon)) {
        assertTrue(Loopback.await(60, () -> answers(servicePorts[3], "x", "d")),
            "HAProxy does not route /d; config:\n" + readOrEmpty(bridge.config));

        Apps one = new Apps();
        one.app("/a", servicePorts[0], "HAPROXY_0_BIND_ADDR", "127.0.0.1");
        one.task("/a", "a.1", backends[0].port());
        marathon.set(one.document());
        // The small list is held back (for 1 s from the first one): the installed config still
        // has /d and HAProxy still routes it.
        assertTrue(Loopback.await(30, () -> bridge.watcher.heldBack() >= 1),
            "the shrunk list was not held back; heldBack=" + bridge.watcher.heldBack()
                + " config:\n" + readOrEmpty(bridge.config));
        assertTrue(readOrEmpty(bridge.config).contains("d_" + servicePorts[3]),
            "the shrunk list was installed before it had stayed two poll intervals:\n"
                + readOrEmpty(bridge.config));
        assertTrue(answers(servicePorts[3], "x", "d"), "/d is no longer routed");

        // Marathon keeps answering one app: after two poll intervals it is rendered.
        assertTrue(Loopback.await(30,
                () -> !readOrEmpty(bridge.config).contains("d_" + servicePorts[3])),
            "the list that stayed small was never rendered:\n" + readOrEmpty(bridge.config));
        assertTrue(readOrEmpty(bridge.config).contains("a_" + servicePorts[0]));
      }
    } finally {
      for (Loopback.Backend b : backends) {
        if (b != null) {
          b.close();
        }
      }
    }
  }
}
