package dev.lodestar.agent.haproxy;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.ServiceWatch;
import dev.lodestar.discovery.ServiceWatcher;
import dev.lodestar.discovery.internal.DaemonThreads;
import dev.lodestar.discovery.internal.ListShrink;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code lodestar haproxy --watch}: re-renders when Lodestar's view changes and installs the
 * result. Triggers are the resolver's pushes for every service the last render read (the Marathon
 * source follows {@code /v2/events}) and a periodic re-read for apps created, deleted or
 * relabelled. Bursts coalesce: at most one render is pending, and renders start at least {@code
 * minInterval} apart; a render whose text is unchanged does nothing, unless the last start or
 * reload failed or HAProxy exited: then it is applied again, backing off from 1 s to 60 s between
 * re-applies of the same text (see {@link ConfigInstaller}); a changed text is applied at once.
 * No render is scheduled for the end of a backoff: the re-apply happens at the first render
 * (change or poll) after it.
 *
 * <p>An app list that, after a good one, holds no app or fewer than half the apps of the last
 * list rendered (a Marathon leader that answers before it loaded its state, or one restarted with
 * empty state) is held back: the installed config keeps serving, and the shrunk list is rendered
 * only once Marathon has answered lists that small for {@code 2 x pollInterval} (a real mass
 * deletion then goes through; the bridge has no per-app delete path that could confirm it
 * sooner). Logged at WARNING when it starts and at INFO when it ends.
 *
 * <p>Logging: a failed start or reload is logged at WARNING when it starts a streak of failures
 * (the first after a success, a new config or the bridge's start), and at DEBUG while the same
 * config keeps failing; a HAProxy master that exited is reported at WARNING once.
 *
 * <p>Thread safety: {@link #changed()} may be called from any thread; renders and installs run on
 * the watcher's one thread.
 */
final class HaproxyWatcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(HaproxyWatcher.class.getName());

  private final ConfigRenderer renderer;
  private final ConfigInstaller installer;
  private final ServiceResolver resolver;
  private final long minIntervalNanos;
  private final Duration pollInterval;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
      DaemonThreads.named("lodestar-haproxy-watcher"));
  private final AtomicBoolean pending = new AtomicBoolean();
  private final Map<String, ServiceWatch> watches = new HashMap<>();
  private final Set<String> loggedProblems = new HashSet<>();
  private volatile long lastRenderStart = System.nanoTime() - Long.MAX_VALUE / 4;
  /** Apps in the last list rendered, -1 before the first; watcher thread only. */
  private int renderedApps = -1;
  /** Since when lists have been shrunk (see the class comment), or -1; watcher thread only. */
  private long shrunkSinceNanos = -1;

  private final AtomicInteger renders = new AtomicInteger();
  private final AtomicInteger installs = new AtomicInteger();
  private final AtomicInteger rejects = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger heldBack = new AtomicInteger();
  private final List<Long> applyMillis = new CopyOnWriteArrayList<>();
  private final List<Long> checkMillis = new CopyOnWriteArrayList<>();
  private final List<Long> reloadMillis = new CopyOnWriteArrayList<>();

  HaproxyWatcher(ConfigRenderer renderer, ConfigInstaller installer, ServiceResolver resolver,
      Duration minInterval, Duration pollInterval) {
    this.renderer = renderer;
    this.installer = installer;
    this.resolver = resolver;
    this.minIntervalNanos = minInterval.toNanos();
    this.pollInterval = pollInterval;
  }

  /** Renders now, then follows changes. */
  void start() {
    changed();
    long ms = pollInterval.toMillis();
    thread.scheduleWithFixedDelay(this::changed, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Something may have changed: schedule a render unless one is pending. */
  void changed() {
    if (!pending.compareAndSet(false, true)) {
      return;
    }
    long wait = Math.max(0, lastRenderStart + minIntervalNanos - System.nanoTime());
    try {
      thread.schedule(this::apply, wait, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      pending.set(false);
    }
  }

  private void apply() {
    pending.set(false);
    lastRenderStart = System.nanoTime();
    try {
      MarathonApps.Listing listing = renderer.list();
      if (holdsBack(listing.apps().size())) {
        heldBack.incrementAndGet();
        return;
      }
      ConfigRenderer.Rendered r = renderer.render(listing.apps(), listing.problems());
      renders.incrementAndGet();
      for (String p : r.problems()) {
        if (loggedProblems.add(p)) {
          LOG.log(Level.WARNING, p);
        }
      }
      loggedProblems.retainAll(new HashSet<>(r.problems()));
      follow(r.serviceIds());
      long start = System.nanoTime();
      ConfigInstaller.Outcome outcome = installer.install(r.text());
      if (outcome == ConfigInstaller.Outcome.INSTALLED) {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long check = TimeUnit.NANOSECONDS.toMillis(installer.lastCheckNanos());
        long reload = TimeUnit.NANOSECONDS.toMillis(installer.lastApplyNanos());
        applyMillis.add(ms);
        checkMillis.add(check);
        reloadMillis.add(reload);
        installs.incrementAndGet();
        LOG.log(Level.INFO, "installed a new HAProxy config in {0} ms (haproxy -c {1} ms,"
            + " reload {2} ms)", ms, check, reload);
      } else if (outcome == ConfigInstaller.Outcome.REAPPLIED) {
        long ms = TimeUnit.NANOSECONDS.toMillis(installer.lastApplyNanos());
        installs.incrementAndGet();
        LOG.log(Level.INFO, "applied the installed HAProxy config again in {0} ms (the last"
            + " start/reload had failed or HAProxy was not running)", ms);
      } else if (outcome == ConfigInstaller.Outcome.REJECTED) {
        rejects.incrementAndGet();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ConfigInstaller.ApplyFailedException e) {
      failures.incrementAndGet();
      int n = e.failuresInARow();
      LOG.log(n == 1 ? Level.WARNING : Level.DEBUG, "HAProxy start/reload failed ({0} in a row);"
          + " the unchanged config is applied again in {1} s at the earliest, backing off to {2}"
          + " s (repeated failures are logged at DEBUG); a changed config is applied at once: {3}",
          n, e.retryIn().toSeconds(), ConfigInstaller.REAPPLY_BACKOFF_MAX.toSeconds(),
          String.valueOf(e.getCause()));
    } catch (Exception e) {
      failures.incrementAndGet();
      LOG.log(Level.WARNING, "HAProxy bridge render/install failed; will retry on the next"
          + " render (change or poll): {0}", e.toString());
    }
  }

  /** Whether a list of {@code apps} apps is held back as shrunk (see the class comment). */
  private boolean holdsBack(int apps) {
    int before = renderedApps;
    if (!ListShrink.suspicious(before, apps)) {
      if (shrunkSinceNanos >= 0) {
        LOG.log(Level.INFO, "the app list looks whole again ({0} apps); rendering it", apps);
        shrunkSinceNanos = -1;
      }
      renderedApps = apps;
      return false;
    }
    long now = System.nanoTime();
    if (shrunkSinceNanos < 0) {
      shrunkSinceNanos = now;
      LOG.log(Level.WARNING, "the app list shrank from {0} to {1} apps; keeping the installed"
          + " config, and rendering the smaller list if Marathon still answers it in {2} ms",
          before, apps, 2 * pollInterval.toMillis());
      return true;
    }
    if (now - shrunkSinceNanos < 2 * pollInterval.toNanos()) {
      return true;
    }
    LOG.log(Level.WARNING, "the app list has had {0} apps (down from {1}) for {2} ms; rendering"
        + " it", apps, before, TimeUnit.NANOSECONDS.toMillis(now - shrunkSinceNanos));
    shrunkSinceNanos = -1;
    renderedApps = apps;
    return false;
  }

  private void follow(Set<String> ids) {
    watches.entrySet().removeIf(e -> {
      if (!ids.contains(e.getKey())) {
        e.getValue().close();
        return true;
      }
      return false;
    });
    for (String id : ids) {
      watches.computeIfAbsent(id, k -> resolver.watch(k, new ServiceWatcher() {
        @Override
        public void onSnapshot(ServiceSnapshot snapshot) {
          changed();
        }

        @Override
        public void onError(DiscoveryException error) {
          changed();
        }
      }));
    }
  }

  /** Renders so far. */
  int renders() {
    return renders.get();
  }

  /**
   * Configs installed and applied so far, counting an unchanged config applied again (after a
   * failed start or reload, or once HAProxy exited).
   */
  int installs() {
    return installs.get();
  }

  /** App lists held back as shrunk so far (see the class comment). */
  int heldBack() {
    return heldBack.get();
  }

  /** Configs rejected by {@code haproxy -c} so far. */
  int rejects() {
    return rejects.get();
  }

  /** Renders or installs that failed (Marathon unreadable, HAProxy not started or reloaded). */
  int failures() {
    return failures.get();
  }

  /** {@code haproxy -c} time of each install, in milliseconds. */
  List<Long> checkMillis() {
    return List.copyOf(checkMillis);
  }

  /** Start or reload time of each install (until the master reports it), in milliseconds. */
  List<Long> reloadMillis() {
    return List.copyOf(reloadMillis);
  }

  /** Check + write + reload time of each install, in milliseconds. */
  List<Long> applyMillis() {
    return List.copyOf(applyMillis);
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watches.values().forEach(ServiceWatch::close);
    watches.clear();
  }
}
