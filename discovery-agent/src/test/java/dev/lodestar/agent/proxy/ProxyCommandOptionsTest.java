package dev.lodestar.agent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.agent.LodestarCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code lodestar proxy} option checks, through the command-line API: a bad value is a usage
 * error (exit 2, the option named on stderr, no stack trace) before anything starts.
 */
class ProxyCommandOptionsTest {
  /**
   * {@code --port PORT=APP_ID} with an id no source accepts ({@code //}, {@code ..}, a trailing
   * slash): the resolver refused it only when the listener was created, after the admin port,
   * the mirror and the proxy had started, and the exception ended the command with a stack trace
   * (exit 1).
   */
  @ParameterizedTest(name = "--port PORT={0}")
  @ValueSource(strings = {"/a//b", "/../web", "web/"})
  @Timeout(60)
  void anInvalidAppIdInPortIsAUsageError(String appId) {
    String port = ProxyProcess.freePort() + "=" + appId;
    assertUsageError("--port", "--admin-port", "0", "--port", port);
  }

  @ParameterizedTest(name = "--admin-port {0}")
  @ValueSource(strings = {"70000", "-1"})
  @Timeout(60) // an accepted value would start a proxy that runs until the JVM stops
  void anAdminPortOutOfRangeIsAUsageError(String port) {
    // Nothing listens at the Marathon URL: the check must come before Marathon is read.
    assertUsageError("--admin-port", "--admin-port", port);
  }

  /**
   * A timeout under 1 ms was 0 ms, which Netty takes as no timeout, and one past an int of
   * milliseconds wrapped around when cast.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"--connect-timeout, PT0.0005S, connectTimeout",
      "--connect-timeout, P30D, connectTimeout", "--idle-timeout, PT0.0001S, idleTimeout",
      "--idle-timeout, P400D, idleTimeout", "--shutdown-grace, P100D, shutdownGrace"})
  @Timeout(60)
  void aTimeoutOutOfRangeIsAUsageError(String option, String value, String named) {
    assertUsageError(named, option, value);
  }

  /** Runs {@code proxy --marathon <nothing> args}: exit 2, {@code option} named, no trace. */
  private static void assertUsageError(String option, String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = LodestarCommand.commandLine();
    cl.setOut(new PrintWriter(new StringWriter()));
    cl.setErr(new PrintWriter(err));
    String[] all = new String[args.length + 3];
    all[0] = "proxy";
    all[1] = "--marathon";
    all[2] = "http://127.0.0.1:" + ProxyProcess.freePort();
    System.arraycopy(args, 0, all, 3, args.length);
    int exit = cl.execute(all);
    assertEquals(2, exit, "expected a usage error; stderr:\n" + err);
    assertTrue(err.toString().contains(option), "stderr does not name " + option + ":\n" + err);
    assertFalse(err.toString().contains("at dev.lodestar"), "a stack trace:\n" + err);
  }

}
