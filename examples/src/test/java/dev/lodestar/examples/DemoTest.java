package dev.lodestar.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the README's demo, short, on both backends, so it cannot rot. */
@Timeout(60)
class DemoTest {

  @Test
  void marathonBackendLosesNoCallAndStickyKeysMoveOnlyFromTheRemovedInstance() throws Exception {
    String output = runAndCheck("marathon", true);
    // on a terminal the table is redrawn in place: cursor up to its first line, clear below
    assertTrue(java.util.regex.Pattern.compile("\033\\[\\d+F\033\\[J").matcher(output).find(),
        output);
    assertTrue(output.contains("Marathon reports web-1 TASK_FAILED (status_update_event)"),
        output);
    assertTrue(output.contains("instance_health_changed_event healthy=false"), output);
    assertTrue(output.contains("web-5 passes its first health check"), output);
  }

  @Test
  void dnsBackendLosesNoCallAndStickyKeysMoveOnlyFromTheRemovedInstance() throws Exception {
    String output = runAndCheck("dns", false);
    assertFalse(output.contains("\033"), "control codes in non-terminal output:\n" + output);
    assertTrue(output.contains("\n  web-3   127.0.0.1:"), "no plain snapshot:\n" + output);
    assertTrue(output.contains("discovered through dns at 127.0.0.1:"), output);
    assertTrue(output.contains("its SRV record is gone"), output);
  }

  private static String runAndCheck(String backend, boolean terminal) throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Demo.Result r = new Demo(new PrintStream(buffer, true, StandardCharsets.UTF_8), terminal,
        Demo.Options.parse("--backend", backend, "--duration", "6")).run();
    String output = buffer.toString(StandardCharsets.UTF_8);
    assertEquals(0, r.failedCalls(), output);
    assertTrue(r.okCalls() > 0, output);
    assertEquals(r.stickyKeys(), r.stickyStable(), output);
    assertTrue(r.stickyKeysOfRemoved() > 0, output);
    assertEquals(r.stickyKeysOfRemoved(), r.stickyMoved(), output);
    assertEquals(0, r.stickyMovedFromOthers(), output);
    assertTrue(r.passed(), output);
    // killed, health-failed, slowed and scaled up, each shown
    assertTrue(output.contains("killed web-1: its port now refuses connections"), output);
    assertTrue(output.contains("web-2 fails its health check"), output);
    assertTrue(output.contains("web-3 becomes slow"), output);
    assertTrue(output.contains("scale up: web-5 starts"), output);
    assertTrue(output.contains("Summary: In 6 s,"), output);
    return output;
  }

  @Test
  void optionsAreCheckedAndHelpListsThem() {
    Demo.Options o = Demo.Options.parse("--strategy", "round-robin", "--instances", "5",
        "--duration", "10", "--backend", "dns");
    assertEquals(new Demo.Options("dns", "round-robin", 5, 10), o);
    assertEquals(Demo.Options.DEFAULTS, Demo.Options.parse());
    assertThrows(IllegalArgumentException.class, () -> Demo.Options.parse("--instances", "2"));
    assertThrows(IllegalArgumentException.class, () -> Demo.Options.parse("--strategy", "x"));
    assertThrows(IllegalArgumentException.class, () -> Demo.Options.parse("--backend", "zk"));
    assertThrows(IllegalArgumentException.class, () -> Demo.Options.parse("--duration"));
    for (String option : new String[] {"--backend", "--strategy", "--instances", "--duration"}) {
      assertTrue(Demo.Options.usage().contains(option), Demo.Options.usage());
    }
  }
}
