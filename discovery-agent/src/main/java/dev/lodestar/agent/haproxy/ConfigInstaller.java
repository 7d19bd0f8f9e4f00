package dev.lodestar.agent.haproxy;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Installs a rendered config: if the text differs from the installed one, checks it with {@code
 * haproxy -c -f <new file>}, moves it over the config file atomically (a file in the same
 * directory, then {@code rename}), and asks the {@link Reloader} to apply it.
 *
 * <p>Failure modes: a config that fails the check is never installed: the old file stays, HAProxy
 * keeps serving it, and the error is logged once per distinct rejected text. The same rejected
 * text is not checked again for {@code recheckRejectedAfter} (each check costs a few hundred ms
 * of CPU) but is still reported {@link Outcome#REJECTED}; after that it is checked once more, as a
 * file it names (a certificate) may have been fixed. A text counts as installed only once {@link
 * Reloader#apply} succeeded: after a failed start or reload, or when the reloader reports HAProxy
 * not running ({@link Reloader#isRunning}), a later call applies it again even if the text is
 * unchanged ({@link Outcome#REAPPLIED}).
 *
 * <p>Such re-applies of an unchanged text back off exponentially, as callers render often (on
 * every Marathon change and poll) and a start or reload that keeps failing (a frontend port taken
 * at runtime, which {@code haproxy -c} does not check) would otherwise be retried, and block the
 * caller for up to 30 s, on every render. The first re-apply for a HAProxy found not running
 * after it was running is immediate; after any apply of the installed text that failed, and after
 * each re-apply, the next re-apply waits {@link #REAPPLY_BACKOFF_MIN} (1 s), doubling up to {@link
 * #REAPPLY_BACKOFF_MAX} (60 s); a call within that wait does nothing and returns {@link
 * Outcome#DEFERRED}. The backoff resets when a call finds the installed text applied and running
 * (so a HAProxy that starts and then dies before the next render keeps backing off) and when a
 * changed text is installed: a changed text is always checked and applied at once. A failed apply
 * throws {@link ApplyFailedException}, which tells how many applies failed in a row and when the
 * next one may happen, so the caller can log the first failure of a streak loudly and the rest
 * quietly. Time is read from the injectable nanosecond clock.
 *
 * <p>Thread safety: not thread-safe; all its state is owned by the one thread that calls {@link
 * #install} (the watcher's).
 */
final class ConfigInstaller {
  private static final System.Logger LOG = System.getLogger(ConfigInstaller.class.getName());

  /** Makes HAProxy serve the config file that was just installed. */
  interface Reloader extends AutoCloseable {
    /**
     * Applies the installed config: starts HAProxy the first time, reloads it after that.
     *
     * @throws IOException when HAProxy could not be started or reloaded
     */
    void apply() throws IOException, InterruptedException;

    /**
     * Whether HAProxy is known to be running the last applied config. {@code false} makes the
     * installer apply an unchanged config again (restarting a HAProxy that exited; at once the
     * first time, then backing off while it keeps being found not running). The default
     * is {@code true}: a reload command cannot tell.
     */
    default boolean isRunning() {
      return true;
    }

    @Override
    default void close() {}
  }

  /** What {@link #install} did. */
  enum Outcome {
    /** The text is the installed one; nothing was done. */
    UNCHANGED,
    /** The text was checked, installed and applied. */
    INSTALLED,
    /**
     * The text was already installed but not running (the last apply failed, or HAProxy exited);
     * it was applied again without a new check.
     */
    REAPPLIED,
    /**
     * The text is installed but not running (the last apply failed, or HAProxy exited), and the
     * re-apply backoff has not passed yet; nothing was done. A later call applies it once it has.
     */
    DEFERRED,
    /** {@code haproxy -c} rejected the text; the old config stays. */
    REJECTED
  }

  /** How long a rejected text is not checked again, unless the caller says otherwise. */
  static final Duration RECHECK_REJECTED_AFTER = Duration.ofMinutes(1);
  /** The first wait before an unchanged text is applied again after a failed apply. */
  static final Duration REAPPLY_BACKOFF_MIN = Duration.ofSeconds(1);
  /** The longest wait between two re-applies of an unchanged text. */
  static final Duration REAPPLY_BACKOFF_MAX = Duration.ofMinutes(1);

  private final String haproxy;
  private final Path config;
  private final Reloader reloader;
  private final long recheckRejectedNanos;
  private final LongSupplier clock;
  /** The text in the config file, which passed the check; {@code null} before the first. */
  private String installed;
  /** Whether {@link #installed} was applied successfully. */
  private boolean applied;
  private String lastRejected;
  private long lastRejectedCheckedAt;
  private String lastCheckOutput = "";
  private long lastCheckNanos;
  private long lastApplyNanos;
  /**
   * The re-apply backoff step: 0 when a needed re-apply may happen at once; else the next one
   * waits {@link #REAPPLY_BACKOFF_MIN} * 2^(step-1), at most {@link #REAPPLY_BACKOFF_MAX}, from
   * {@link #lastAttemptAt}.
   */
  private int backoffStep;
  /** {@link #clock} when {@link #installed} was last applied (or tried). */
  private long lastAttemptAt;
  /** Applies of {@link #installed} that failed in a row; 0 after a successful one. */
  private int failedApplies;

  ConfigInstaller(String haproxy, Path config, Reloader reloader) {
    this(haproxy, config, reloader, RECHECK_REJECTED_AFTER);
  }

  /**
   * @param recheckRejectedAfter how long the same rejected text is reported rejected without
   *     running {@code haproxy -c} again
   */
  ConfigInstaller(String haproxy, Path config, Reloader reloader,
      Duration recheckRejectedAfter) {
    this(haproxy, config, reloader, recheckRejectedAfter, System::nanoTime);
  }

  /**
   * @param clock nanoseconds, as {@link System#nanoTime}: when a rejected text is checked again
   *     and when an unchanged one is applied again (tests pass a manual one); the durations
   *     reported by {@link #lastCheckNanos} and {@link #lastApplyNanos} are always measured
   */
  ConfigInstaller(String haproxy, Path config, Reloader reloader,
      Duration recheckRejectedAfter, LongSupplier clock) {
    this.haproxy = haproxy;
    this.config = config.toAbsolutePath();
    this.reloader = reloader;
    this.recheckRejectedNanos = recheckRejectedAfter.toNanos();
    this.clock = clock;
  }

  /**
   * Installs {@code text} if it changed and passes the check; applies it again if it is installed
   * but not running and the re-apply backoff has passed.
   *
   * @throws ApplyFailedException when HAProxy could not be started or reloaded; the file is then
   *     installed but not applied, and a later call applies it again (after the backoff)
   * @throws IOException when the file cannot be written or {@code haproxy -c} not run
   */
  Outcome install(String text) throws IOException, InterruptedException {
    if (text.equals(installed)) {
      if (applied && reloader.isRunning()) {
        backoffStep = 0;
        return Outcome.UNCHANGED;
      }
      if (backoffStep > 0 && clock.getAsLong() - lastAttemptAt < backoffNanos(backoffStep)) {
        return Outcome.DEFERRED;
      }
      lastCheckNanos = 0;
      backoffStep++;
      apply();
      return Outcome.REAPPLIED;
    }
    if (text.equals(lastRejected)
        && clock.getAsLong() - lastRejectedCheckedAt < recheckRejectedNanos) {
      return Outcome.REJECTED;
    }
    Path tmp = config.resolveSibling("." + config.getFileName() + ".new");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    String problem = check(haproxy, tmp);
    lastCheckNanos = System.nanoTime() - t0;
    if (problem != null) {
      Files.deleteIfExists(tmp);
      lastCheckOutput = problem;
      lastRejectedCheckedAt = clock.getAsLong();
      if (!text.equals(lastRejected)) {
        lastRejected = text;
        LOG.log(Level.ERROR, "generated HAProxy config failed 'haproxy -c'; keeping the"
            + " installed one: {0}", problem);
      }
      return Outcome.REJECTED;
    }
    Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    installed = text;
    applied = false;
    lastRejected = null;
    backoffStep = 0;
    failedApplies = 0;
    apply();
    return Outcome.INSTALLED;
  }

  /** The wait before the re-apply that follows backoff step {@code step} (1 or more). */
  static long backoffNanos(int step) {
    long min = REAPPLY_BACKOFF_MIN.toNanos();
    long max = REAPPLY_BACKOFF_MAX.toNanos();
    return step > 7 ? max : Math.min(max, min << (step - 1));
  }

  private void apply() throws IOException, InterruptedException {
    lastAttemptAt = clock.getAsLong();
    long t1 = System.nanoTime();
    try {
      reloader.apply();
    } catch (IOException e) {
      // applied stays false, so the same text is applied again, once the backoff has passed.
      failedApplies++;
      backoffStep = Math.max(backoffStep, 1);
      throw new ApplyFailedException(e, failedApplies,
          Duration.ofNanos(backoffNanos(backoffStep)));
    }
    applied = true;
    failedApplies = 0;
    lastApplyNanos = System.nanoTime() - t1;
  }

  /** How long the last {@code haproxy -c} took, in nanoseconds. */
  long lastCheckNanos() {
    return lastCheckNanos;
  }

  /** How long the last {@link Reloader#apply} took (start or reload), in nanoseconds. */
  long lastApplyNanos() {
    return lastApplyNanos;
  }

  /** The output of the last failed check, for diagnostics. */
  String lastCheckOutput() {
    return lastCheckOutput;
  }

  /**
   * Runs {@code haproxy -c -f file}.
   *
   * @return {@code null} when the config is valid, else HAProxy's output
   * @throws IOException when HAProxy cannot be run at all
   */
  static String check(String haproxy, Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(haproxy, "-c", "-f", file.toString())
        .redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "haproxy -c did not finish within 60 s";
    }
    return p.exitValue() == 0 ? null : new String(out, StandardCharsets.UTF_8).trim();
  }

  /**
   * {@link Reloader#apply} failed (its exception is the cause, its message this one's): the text
   * is installed but not applied, and is applied again no sooner than {@link #retryIn}.
   */
  static final class ApplyFailedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int failuresInARow;
    private final transient Duration retryIn;

    ApplyFailedException(IOException cause, int failuresInARow, Duration retryIn) {
      super(cause.getMessage(), cause);
      this.failuresInARow = failuresInARow;
      this.retryIn = retryIn;
    }

    /** Applies of the installed text that failed in a row, this one included: 1 is a new streak. */
    int failuresInARow() {
      return failuresInARow;
    }

    /** How long an unchanged text is not applied again (a changed one is applied at once). */
    Duration retryIn() {
      return retryIn;
    }
  }

  /** The built-in reloader: an {@link HaproxyProcess} in master-worker mode, started on demand. */
  static final class MasterWorker implements Reloader {
    private final String haproxy;
    private final Path config;
    private final Path socket;
    private final Path log;
    /** Written only by {@link #apply} (the installer's thread); volatile for readers elsewhere. */
    private volatile HaproxyProcess process;
    /** The pid of the exited master already reported at WARNING, or -1. */
    private long exitReported = -1;

    MasterWorker(String haproxy, Path config) {
      this.haproxy = haproxy;
      this.config = config.toAbsolutePath();
      this.socket = this.config.resolveSibling(this.config.getFileName() + ".master.sock");
      this.log = this.config.resolveSibling(this.config.getFileName() + ".log");
    }

    @Override
    public void apply() throws IOException, InterruptedException {
      HaproxyProcess old = process;
      if (old != null && !old.isAlive()) {
        // Once per exit: while starting it fails, the installer retries (backing off) and the
        // exited master stays the current one.
        boolean first = old.pid() != exitReported;
        exitReported = old.pid();
        LOG.log(first ? Level.WARNING : Level.DEBUG, "haproxy master pid {0} has exited; starting"
            + " it again (log {1})", old.pid(), log);
      }
      if (old == null || !old.isAlive()) {
        process = HaproxyProcess.start(haproxy, config, socket, log, Duration.ofSeconds(30));
        LOG.log(Level.INFO, "started haproxy master pid {0} on {1} (log {2})", process.pid(),
            config, log);
      } else {
        old.reload(Duration.ofSeconds(30));
      }
    }

    @Override
    public boolean isRunning() {
      HaproxyProcess p = process;
      return p != null && p.isAlive();
    }

    /** The running HAProxy, or {@code null} before the first {@link #apply}. */
    HaproxyProcess process() {
      return process;
    }

    @Override
    public void close() {
      if (process != null) {
        process.close();
      }
    }
  }

  /** {@code --reload-command}: runs the user's command with {@code sh -c} after each install. */
  static final class Command implements Reloader {
    private final String command;

    Command(String command) {
      this.command = command;
    }

    /**
     * Runs the command and waits up to 120 s for it to exit. Its output goes to a temporary file,
     * not a pipe read to its end: a process the command leaves in the background ({@code nohup
     * haproxy ... &}) keeps its output open, and reading that would wait for it to exit.
     */
    @Override
    public void apply() throws IOException, InterruptedException {
      Path out = Files.createTempFile("lodestar-reload-", ".out");
      try {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true)
            .redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IOException("reload command did not finish within 120 s: " + command);
        }
        if (p.exitValue() != 0) {
          throw new IOException("reload command exited with " + p.exitValue() + ": " + command
              + ": " + new String(Files.readAllBytes(out), StandardCharsets.UTF_8).trim());
        }
      } finally {
        Files.deleteIfExists(out);
      }
    }
  }
}
