package dev.lodestar.agent.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConfigInstaller} with the real {@code haproxy -c} and a scripted {@link
 * ConfigInstaller.Reloader}: when a text counts as installed, and when it is applied again.
 */
class ConfigInstallerTest {
  @TempDir Path dir;

  /** A complete config that passes {@code haproxy -c} (nothing is bound by the check). */
  static String validConfig(String extraBind) {
    return "global\n  maxconn 100\n"
        + "defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n"
        + "  timeout server 1s\n"
        + "frontend f\n  bind 127.0.0.1:1" + extraBind + "\n  default_backend b\n"
        + "backend b\n  server s1 127.0.0.1:2\n";
  }

  /** A reloader that fails while {@link #failing} is set, and reports {@link #running}. */
  static final class ScriptedReloader implements ConfigInstaller.Reloader {
    final AtomicInteger applies = new AtomicInteger();
    final AtomicBoolean failing = new AtomicBoolean();
    final AtomicBoolean running = new AtomicBoolean();

    @Override
    public void apply() throws IOException {
      applies.incrementAndGet();
      if (failing.get()) {
        running.set(false);
        throw new IOException("scripted: haproxy exited with 1 at start");
      }
      running.set(true);
    }

    @Override
    public boolean isRunning() {
      return running.get();
    }
  }

  /** A manual nanosecond clock for the installer's backoff; starts far from 0. */
  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  private ConfigInstaller installer(ScriptedReloader reloader) throws IOException {
    return new ConfigInstaller(HaproxyBinary.require(), dir.resolve("haproxy.cfg"), reloader,
        ConfigInstaller.RECHECK_REJECTED_AFTER, now::get);
  }

  @Test
  void aConfigWhoseApplyFailedIsAppliedAgainThoughItsTextIsUnchanged() throws Exception {
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = installer(reloader);
    String text = validConfig("");
    reloader.failing.set(true);
    assertThrows(IOException.class, () -> installer.install(text), "the scripted start fails");
    assertEquals(text, Files.readString(dir.resolve("haproxy.cfg")), "the checked file is written");

    reloader.failing.set(false);
    assertEquals(ConfigInstaller.Outcome.DEFERRED, installer.install(text),
        "within the first backoff step the failed text is not applied again");
    assertEquals(1, reloader.applies.get());
    advance(ConfigInstaller.REAPPLY_BACKOFF_MIN);
    assertEquals(ConfigInstaller.Outcome.REAPPLIED, installer.install(text),
        "the same text after a failed apply must be applied again, not reported unchanged");
    assertEquals(2, reloader.applies.get());
    assertEquals(ConfigInstaller.Outcome.UNCHANGED, installer.install(text),
        "once applied, the same text is unchanged");
    assertEquals(2, reloader.applies.get(), "an unchanged, running config is not applied again");
  }

  @Test
  void anUnchangedConfigIsAppliedAgainWhenHaproxyIsNotRunning() throws Exception {
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = installer(reloader);
    String text = validConfig("");
    assertEquals(ConfigInstaller.Outcome.INSTALLED, installer.install(text));
    reloader.running.set(false); // HAProxy exited behind the installer's back
    assertEquals(ConfigInstaller.Outcome.REAPPLIED, installer.install(text),
        "a HAProxy that is not running must be started again on the next render");
    assertEquals(2, reloader.applies.get());
    assertEquals(ConfigInstaller.Outcome.UNCHANGED, installer.install(text));
  }

  /**
   * Renders the same text {@code renders} times, calling {@code tick} before each; each must be
   * deferred or a failed apply. Returns how many applied.
   */
  private static int rendersApplied(ConfigInstaller installer, ScriptedReloader reloader,
      String text, Runnable tick, int renders) throws Exception {
    int before = reloader.applies.get();
    for (int i = 0; i < renders; i++) {
      tick.run();
      try {
        ConfigInstaller.Outcome o = installer.install(text);
        assertEquals(ConfigInstaller.Outcome.DEFERRED, o, "render " + i);
      } catch (ConfigInstaller.ApplyFailedException expected) {
        // an apply that was due, and failed again
      }
    }
    return reloader.applies.get() - before;
  }

  @Test
  void anUnchangedConfigWhoseApplyKeepsFailingIsAppliedAgainOnlyAsTheBackoffAllows()
      throws Exception {
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = installer(reloader);
    String text = validConfig("");
    reloader.failing.set(true); // e.g. a frontend port taken at runtime: haproxy -c passes
    ConfigInstaller.ApplyFailedException first = assertThrows(
        ConfigInstaller.ApplyFailedException.class, () -> installer.install(text));
    assertEquals(1, first.failuresInARow(), "the first failure starts a streak (logged loudly)");
    assertEquals(Duration.ofSeconds(1), first.retryIn());
    assertEquals(1, reloader.applies.get());

    // 20 renders 45 ms apart (0.9 s < the first 1 s step): none applies.
    assertEquals(0, rendersApplied(installer, reloader, text,
        () -> advance(Duration.ofMillis(45)), 20), "applied again within the backoff");
    // Once the step passed, one render applies again (and fails); the step doubles to 2 s.
    advance(Duration.ofMillis(100));
    ConfigInstaller.ApplyFailedException second = assertThrows(
        ConfigInstaller.ApplyFailedException.class, () -> installer.install(text));
    assertEquals(2, second.failuresInARow(), "a repeat failure (logged quietly)");
    assertEquals(Duration.ofSeconds(2), second.retryIn());
    assertEquals(2, reloader.applies.get());
    advance(Duration.ofMillis(1999));
    assertEquals(ConfigInstaller.Outcome.DEFERRED, installer.install(text));
    advance(Duration.ofMillis(1));
    assertThrows(ConfigInstaller.ApplyFailedException.class, () -> installer.install(text));
    assertEquals(3, reloader.applies.get(), "one more apply once the 2 s step passed");

    // Ten minutes of renders every 500 ms (HaproxyRecoveryTest's poll; 1,200 renders, each an
    // apply before the backoff): applies 4, 12, 28, 60 s after the last one (steps 4, 8, 16, 32),
    // then every 60 s (120, 180, ..., 600): 4 + 9.
    assertEquals(13, rendersApplied(installer, reloader, text,
        () -> advance(Duration.ofMillis(500)), 1200));

    // A success resets the backoff: once a render finds it running, the next failure (HAProxy
    // exited) is handled at once again.
    reloader.failing.set(false);
    advance(ConfigInstaller.REAPPLY_BACKOFF_MAX);
    assertEquals(ConfigInstaller.Outcome.REAPPLIED, installer.install(text));
    assertEquals(ConfigInstaller.Outcome.UNCHANGED, installer.install(text));
    reloader.running.set(false);
    int applies = reloader.applies.get();
    assertEquals(ConfigInstaller.Outcome.REAPPLIED, installer.install(text),
        "HAProxy found not running after a success must be restarted at once");
    assertEquals(applies + 1, reloader.applies.get());
  }

  @Test
  void aChangedTextIsAppliedAtOnceDespiteTheBackoff() throws Exception {
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = installer(reloader);
    String a = validConfig("");
    String b = validConfig("0");
    String c = validConfig("1");
    reloader.failing.set(true);
    assertThrows(ConfigInstaller.ApplyFailedException.class, () -> installer.install(a));
    advance(Duration.ofMillis(100));
    assertEquals(ConfigInstaller.Outcome.DEFERRED, installer.install(a));
    assertEquals(1, reloader.applies.get());

    // Within a's backoff: b is checked, installed and applied at once; its failure starts a new
    // streak (logged loudly again) with its own backoff.
    ConfigInstaller.ApplyFailedException e = assertThrows(
        ConfigInstaller.ApplyFailedException.class, () -> installer.install(b));
    assertEquals(2, reloader.applies.get(), "a changed text was not applied at once");
    assertEquals(1, e.failuresInARow());
    assertEquals(b, Files.readString(dir.resolve("haproxy.cfg")));
    assertEquals(ConfigInstaller.Outcome.DEFERRED, installer.install(b));
    assertEquals(2, reloader.applies.get());

    reloader.failing.set(false);
    assertEquals(ConfigInstaller.Outcome.INSTALLED, installer.install(c),
        "a changed text within the backoff must be installed at once");
    assertEquals(3, reloader.applies.get());
    assertEquals(ConfigInstaller.Outcome.UNCHANGED, installer.install(c));
  }

  /** The real haproxy behind a script that appends one line per run to {@code runs}. */
  private Path countingHaproxy(Path runs) throws IOException {
    Path script = dir.resolve("counting-haproxy");
    Files.writeString(script, "#!/bin/sh\necho \"$*\" >> '" + runs + "'\nexec '"
        + HaproxyBinary.require() + "' \"$@\"\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private static int lines(Path file) throws IOException {
    return Files.exists(file) ? Files.readAllLines(file).size() : 0;
  }

  @Test
  void theSameRejectedTextIsCheckedOnceAndStillReportedRejected() throws Exception {
    Path runs = dir.resolve("runs.txt");
    Path cfg = dir.resolve("haproxy.cfg");
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = new ConfigInstaller(countingHaproxy(runs).toString(), cfg,
        reloader);
    String bad = validConfig("") + "  no_such_keyword\n";
    for (int i = 0; i < 3; i++) {
      assertEquals(ConfigInstaller.Outcome.REJECTED, installer.install(bad), "render " + i);
    }
    assertEquals(1, lines(runs), "haproxy -c ran again for a text it already rejected: "
        + Files.readAllLines(runs));
    assertFalse(Files.exists(cfg), "a rejected config was written");
    assertTrue(installer.lastCheckOutput().contains("no_such_keyword"),
        installer.lastCheckOutput());

    assertEquals(ConfigInstaller.Outcome.INSTALLED, installer.install(validConfig("")));
    assertEquals(2, lines(runs));
    // After a good install the bad text is news again: checked (and logged) once more.
    assertEquals(ConfigInstaller.Outcome.REJECTED, installer.install(bad));
    assertEquals(3, lines(runs));
    assertEquals(List.of(validConfig("")), List.of(Files.readString(cfg)),
        "the last good config must stay installed");
  }

  @Test
  void aRejectedTextIsCheckedAgainOnceTheRecheckIntervalPassed() throws Exception {
    // The same text can become valid without changing: here the certificate it names appears.
    Path pem = dir.resolve("late.test.pem");
    String text = validConfig(" ssl crt " + pem);
    Path runs = dir.resolve("runs.txt");
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = new ConfigInstaller(countingHaproxy(runs).toString(),
        dir.resolve("haproxy.cfg"), reloader, Duration.ofMillis(300));
    assertEquals(ConfigInstaller.Outcome.REJECTED, installer.install(text));
    assertEquals(ConfigInstaller.Outcome.REJECTED, installer.install(text));
    assertEquals(1, lines(runs), "checked again within the recheck interval");
    SelfSignedCert.create(dir, "late.test");
    assertTrue(Files.isReadable(pem));
    Thread.sleep(400);
    assertEquals(ConfigInstaller.Outcome.INSTALLED, installer.install(text),
        "the same text, valid now, must be checked again after the interval");
    assertEquals(2, lines(runs));
  }

  /**
   * A {@code --reload-command} that leaves a process running in the background with the
   * command's output ({@code nohup haproxy -f ... &}): the reload itself has finished, but the
   * installer used to read the output to its end, which comes only when that process exits, so
   * the watcher's thread hung there (past the promised 120 s bound) and no config was installed
   * again.
   */
  @Test
  void aReloadCommandThatLeavesAProcessInTheBackgroundDoesNotHangTheInstaller()
      throws Exception {
    Path pid = dir.resolve("background.pid");
    ConfigInstaller.Command reload = new ConfigInstaller.Command(
        "sleep 300 & echo $! > " + pid + "; echo reloaded");
    try {
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
          reload::apply, "the reload command's background process kept apply() waiting");
    } finally {
      if (Files.exists(pid)) {
        ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()))
            .ifPresent(ProcessHandle::destroy);
      }
    }
  }

  @Test
  void aFailingReloadCommandReportsItsExitCodeAndOutput() {
    ConfigInstaller.Command reload = new ConfigInstaller.Command("echo cannot reload >&2; exit 3");
    IOException e = assertThrows(IOException.class, reload::apply);
    assertTrue(e.getMessage().contains("exited with 3") && e.getMessage().contains(
        "cannot reload"), e.getMessage());
  }
}
