package dev.lodestar.discovery.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The servers bind to 127.0.0.1, the address they advertise, even in a JVM that prefers IPv6
 * (where {@code InetAddress.getLoopbackAddress()} is ::1).
 */
class LoopbackAddressTest {

  @Test
  void theAdvertisedAddressesAcceptConnectionsWhenTheJvmPrefersIpv6() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child = new ProcessBuilder(List.of(java, "-Djava.net.preferIPv6Addresses=true",
        "-cp", System.getProperty("java.class.path"), LoopbackProbe.class.getName()))
        .redirectErrorStream(true)
        .start();
    assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the probe JVM did not finish");
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), output);
  }
}
