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

  @Test
  void aConfigWhoseApplyFailedIsAppliedAgainThoughItsTextIsUnchanged() throws Exception {
    String haproxy = HaproxyBinary.require();
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = new ConfigInstaller(haproxy, dir.resolve("haproxy.cfg"), reloader);
    String text = validConfig("");
    reloader.failing.set(true);
    assertThrows(IOException.class, () -> installer.install(text), "the scripted start fails");
    assertEquals(text, Files.readString(dir.resolve("haproxy.cfg")), "the checked file is written");

    reloader.failing.set(false);
    assertEquals(ConfigInstaller.Outcome.REAPPLIED, installer.install(text),
        "the same text after a failed apply must be applied again, not reported unchanged");
    assertEquals(2, reloader.applies.get());
    assertEquals(ConfigInstaller.Outcome.UNCHANGED, installer.install(text),
        "once applied, the same text is unchanged");
    assertEquals(2, reloader.applies.get(), "an unchanged, running config is not applied again");
  }

  @Test
  void anUnchangedConfigIsAppliedAgainWhenHaproxyIsNotRunning() throws Exception {
    String haproxy = HaproxyBinary.require();
    ScriptedReloader reloader = new ScriptedReloader();
    ConfigInstaller installer = new ConfigInstaller(haproxy, dir.resolve("haproxy.cfg"), reloader);
    String text = validConfig("");
    assertEquals(ConfigInstaller.Outcome.INSTALLED, installer.install(text));
    reloader.running.set(false); // HAProxy exited behind the installer's back
    assertEquals(ConfigInstaller.Outcome.REAPPLIED, installer.install(text),
        "a HAProxy that is not running must be started again on the next render");
    assertEquals(2, reloader.applies.get());
    assertEquals(ConfigInstaller.Outcome.UNCHANGED, installer.install(text));
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
}
