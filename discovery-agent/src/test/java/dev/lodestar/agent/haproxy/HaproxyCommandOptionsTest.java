package dev.lodestar.agent.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code lodestar haproxy} option checks, through the command-line API: a bad duration is a usage
 * error (exit 2, the option named on stderr, no stack trace) before anything starts.
 */
class HaproxyCommandOptionsTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "--poll-interval, 0s",
      "--poll-interval, -5s",
      "--poll-interval, PT0.0005S",
      "--min-reload-interval, -1s",
  })
  @Timeout(60) // an accepted value would start a watch that runs until interrupted
  void aNonPositiveIntervalIsAUsageError(String option, String value) throws Exception {
    Path cfg = dir.resolve("haproxy.cfg");
    // Nothing listens there: the check must come before Marathon is read or HAProxy started.
    String marathon = "http://127.0.0.1:" + Loopback.freePort();
    FixtureConfigTest.Run run = FixtureConfigTest.oneShot(marathon, "--config", cfg.toString(),
        "--watch", option, value);
    assertEquals(2, run.exit(), "expected a usage error; stderr:\n" + run.err());
    assertTrue(run.err().contains(option + " must"),
        "stderr does not say why " + option + " is refused:\n" + run.err());
    assertFalse(run.err().contains("at dev.lodestar"), "a stack trace:\n" + run.err());
    assertFalse(Files.exists(cfg), "a config was written despite the usage error");
  }

  /**
   * A frontend port outside 1..65535, or two of the shared ports the same (HAProxy binds both
   * with SO_REUSEPORT and splits the connections between them), is a usage error, not a config
   * that is printed, or rejected on every render of a watch that never ends.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "--http-port 0|--http-port",
      "--https-port 70000|--https-port",
      "--stats-port -1|--stats-port",
      "--http-port 8080 --https-port 8080|--https-port",
      "--stats-port 80|--stats-port",
  })
  @Timeout(60)
  void aSharedPortOutOfRangeOrTakenTwiceIsAUsageError(String options, String named)
      throws Exception {
    Path cfg = dir.resolve("haproxy.cfg");
    String marathon = "http://127.0.0.1:" + Loopback.freePort();
    java.util.List<String> args = new java.util.ArrayList<>(
        java.util.List.of("--config", cfg.toString()));
    args.addAll(java.util.List.of(options.split(" ")));
    FixtureConfigTest.Run run = FixtureConfigTest.oneShot(marathon, args.toArray(new String[0]));
    assertEquals(2, run.exit(), "expected a usage error; stderr:\n" + run.err());
    assertTrue(run.err().contains(named), "stderr does not name " + named + ":\n" + run.err());
    assertFalse(run.err().contains("at dev.lodestar"), "a stack trace:\n" + run.err());
    assertFalse(Files.exists(cfg), "a config was written despite the usage error");
  }

  /**
   * {@code --templates} naming no directory (a typo) used to be ignored without a word: the
   * built-in templates were used, and the config silently lacked the user's changes.
   */
  @Test
  void aTemplatesDirectoryThatDoesNotExistIsAUsageError() throws Exception {
    Apps apps = new Apps();
    apps.app("/web", Loopback.freePort());
    try (FixtureMarathon marathon = new FixtureMarathon(apps.document())) {
      Path missing = dir.resolve("templtes");
      FixtureConfigTest.Run run = FixtureConfigTest.oneShot(marathon.url(), "--templates",
          missing.toString());
      assertEquals(2, run.exit(), "expected a usage error; stdout:\n" + run.out()
          + "\nstderr:\n" + run.err());
      assertTrue(run.err().contains("--templates"), run.err());
      Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
      assertEquals(2, FixtureConfigTest.oneShot(marathon.url(), "--templates", file.toString())
          .exit());
    }
  }

  /**
   * One-shot with {@code --config}: a {@code haproxy} that cannot be run, or a {@code
   * --reload-command} that fails, is the work failing (exit 1) with one line saying why; it used
   * to escape as an exception, which picocli printed as a stack trace.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "--haproxy|/nonexistent/haproxy|/nonexistent/haproxy",
      "--reload-command|echo no reload for you >&2; exit 3|exited with 3",
  })
  void aFailingCheckOrReloadInOneShotModeIsExitOneWithoutAStackTrace(String option, String value,
      String why) throws Exception {
    if (option.equals("--reload-command")) {
      HaproxyBinary.require();
    }
    Apps apps = new Apps();
    apps.app("/web", Loopback.freePort());
    try (FixtureMarathon marathon = new FixtureMarathon(apps.document())) {
      FixtureConfigTest.Run run = FixtureConfigTest.oneShot(marathon.url(), "--config",
          dir.resolve("haproxy.cfg").toString(), option, value);
      assertEquals(1, run.exit(), run.err());
      assertTrue(run.err().contains(why), "stderr does not say why:\n" + run.err());
      assertFalse(run.err().contains("\tat "), "a stack trace:\n" + run.err());
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"500ms, 500", "2s, 2000", "1m, 60000", "PT1S, 1000", "PT2M, 120000",
      "pt0.25s, 250", "PT1H, 3600000"})
  void durationsAreReadInShortAndIsoForm(String text, long millis) {
    assertEquals(Duration.ofMillis(millis), new HaproxyCommand.DurationConverter().convert(text));
  }

  @Test
  void aZeroMinReloadIntervalIsAccepted() throws Exception {
    Apps apps = new Apps();
    apps.app("/web", Loopback.freePort());
    try (FixtureMarathon marathon = new FixtureMarathon(apps.document())) {
      FixtureConfigTest.Run run = FixtureConfigTest.oneShot(marathon.url(), "--group", "*",
          "--min-reload-interval", "0s");
      assertEquals(0, run.exit(), run.err());
      assertTrue(run.out().contains("web_"), run.out());
    }
  }
}
