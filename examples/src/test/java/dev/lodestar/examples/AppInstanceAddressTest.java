package dev.lodestar.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The demo's app instances listen on 127.0.0.1, the host they report, even in a JVM preferring IPv6. */
class AppInstanceAddressTest {

  @Test
  void anInstanceAcceptsConnectionsOnItsReportedAddressWhenTheJvmPrefersIpv6() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child = new ProcessBuilder(List.of(java, "-Djava.net.preferIPv6Addresses=true",
        "-cp", System.getProperty("java.class.path"), AppInstanceProbe.class.getName()))
        .redirectErrorStream(true)
        .start();
    assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the probe JVM did not finish");
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), output);
  }
}
