package dev.lodestar.agent.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
