package dev.lodestar.agent.haproxy;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link HaproxyProcess} against a real HAProxy in master-worker mode. */
class HaproxyProcessTest {
  @TempDir Path dir;

  private static String config(int port) {
    return "global\n  maxconn 100\n"
        + "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n"
        + "  timeout server 1s\n"
        + "frontend f\n  bind 127.0.0.1:" + port + "\n  default_backend b\n"
        + "backend b\n  server s1 127.0.0.1:2\n";
  }

  /**
   * A config that passes {@code haproxy -c} but cannot be loaded (its frontend port is taken at
   * run time): the master counts the reload, and a failed one ({@code show proc}: {@code 1
   * [failed: 1]}), and goes on serving the old config. reload() used to look at the first counter
   * only and report success, so the installer took the new config as applied and never tried it
   * again.
   */
  @Test
  void aReloadHaproxyCouldNotLoadIsAFailure() throws Exception {
    String haproxy = HaproxyBinary.require();
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(cfg, config(Loopback.freePort()));
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        HaproxyProcess p = HaproxyProcess.start(haproxy, cfg, dir.resolve("master.sock"),
            dir.resolve("haproxy.log"), Duration.ofSeconds(30))) {
      p.reload(Duration.ofSeconds(30)); // the same config loads
      Files.writeString(cfg, config(taken.getLocalPort()));
      IOException e = assertThrows(IOException.class, () -> p.reload(Duration.ofSeconds(30)),
          "a reload HAProxy refused was reported applied; log:\n"
              + Files.readString(dir.resolve("haproxy.log")));
      assertTrue(p.isAlive(), "the master should go on serving the old config");
      assertTrue(e.getMessage().contains("haproxy.log"), e.getMessage());
    }
  }
}
