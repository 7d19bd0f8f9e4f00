package dev.lodestar.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the README's demo so it cannot rot. */
@Timeout(60)
class DemoTest {

  @Test
  void demoRunsWithoutFailedCalls() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    long failed = new Demo(new PrintStream(buffer, true, StandardCharsets.UTF_8), 200).run();
    String output = buffer.toString(StandardCharsets.UTF_8);
    assertEquals(0, failed, output);
    assertTrue(output.contains("3. web-3 killed"), output);
    assertTrue(output.contains("all"), output);
    assertTrue(output.matches("(?s).*web-3 removed: (\\d+) keys moved, all \\1 of them.*"), output);
  }
}
