package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.internal.ListShrink;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a {@link WatchModel} in sync with Marathon, per app: the first load reads the app (or
 * its blue/green group), then each tracked app has one read timer. With the event stream up, the
 * timer is a safety resync at the resync interval (jittered ±50%) and events apply from their
 * payload; an event whose payload is not enough asks for a confirming read, coalesced per app
 * and delayed by a random 1-10 s. With the stream down or disabled, the timer polls at the poll
 * interval (jittered). After the stream (re)connects, every app is re-read once at a random time
 * within the reconnect resync window, also one read while the stream was down or in flight at
 * the connect: events may have been missed after its request. Port lookups keep an index from
 * the lean app list ({@code /v2/apps} without tasks), re-listed at the resync interval and after
 * deployments.
 *
 * <p>Thread safety: everything except the constructor runs on the serial executor; public
 * entry points hop onto it. The one exception is the table of pending load futures, a concurrent
 * map that {@link #failPendingLoads} fails after the executor stopped.
 *
 * <p>Length (~750 lines): the read scheduling (timers, coalescing, jitter, reconnect spread),
 * the reads and the event dispatch share the serial-confined timer table, so they stay in one
 * class; the state they feed is {@link WatchModel}'s, the HTTP {@link MarathonHttp}'s.
 */
final class MarathonSync implements EventFeed.Handler {
  // One logger for everything a source does.
  private static final System.Logger LOG = System.getLogger(MarathonSource.class.getName());
  static final String ALL = "*";
  static final long CONFIRM_MIN_MILLIS = 1_000;
  static final long CONFIRM_MAX_MILLIS = 10_000;

  private final MarathonSource.Builder config;
  private final String name;
  private final MarathonHttp http;
  private final ScheduledExecutorService serial;
  private final ExecutorService parsers;
  private final WatchModel model;
  private final EventFeed stream;
  private final AtomicLong eventSeq = new AtomicLong();
  private volatile SnapshotListener listener = new SnapshotListener() {};
  /** {@link #listener} behind a catch: every call from the sync goes through it. */
  private final SnapshotListener safeListener;
  private volatile boolean closed;
  /** Futures {@link #load} returned and not completed yet, with their service ids; any thread. */
  private final Map<CompletableFuture<ServiceSnapshot>, String> pendingLoads =
      new ConcurrentHashMap<>();

  // Serial thread only.
  private final Map<String, Timer> timers = new HashMap<>();
  private final Set<String> warned = new HashSet<>();
  private volatile boolean streamUp;
  private boolean streamStoppedByAuth;
  private Map<String, MarathonApp> leanIndex;
  private ScheduledFuture<?> relist;

  /** One app's read schedule. */
  private static final class Timer {
    ScheduledFuture<?> next;
    long dueNanos;
    boolean inFlight;
    /** Read again within this many ms after the read in flight lands; {@code < 0}: no. */
    long againWithinMillis = -1;
    boolean loaded;
    /** The armed read confirms an event (due within the confirmation delay): see connected(). */
    boolean confirming;
  }

  MarathonSync(MarathonSource.Builder config, String name, MarathonHttp http,
      ScheduledExecutorService serial, ExecutorService parsers, InstanceMapper mapper) {
    this.config = config;
    this.name = name;
    this.http = http;
    this.serial = serial;
    this.parsers = parsers;
    this.safeListener = new SafeListener();
    this.model = new WatchModel(name, mapper, safeListener);
    this.stream = new EventFeed(name, http, config.eventStreamIdleTimeout,
        (int) Math.min(Integer.MAX_VALUE, config.maxResponseBytes),
        io.github.resilience4j.core.IntervalFunction.ofExponentialRandomBackoff(
            config.reconnectInitial.toMillis(), 1.5, 0.5, config.reconnectMax.toMillis()),
        config.reconnectSpread, this);
  }

  /** Calls the listener without letting it throw into the model. */
  private final class SafeListener implements SnapshotListener {
    @Override
    public void onSnapshot(ServiceSnapshot snapshot) {
      safe(() -> listener.onSnapshot(snapshot));
    }

    @Override
    public void onRemoved(String serviceId) {
      safe(() -> listener.onRemoved(serviceId));
    }

    @Override
    public void onError(String serviceId, Throwable error) {
      safe(() -> listener.onError(serviceId, error));
    }

    private void safe(Runnable call) {
      try {
        call.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, name + ": listener threw", e);
      }
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------

  void start(SnapshotListener l) {
    this.listener = l;
    if (config.eventStream) {
      long check = Math.max(10, config.eventStreamIdleTimeout.toMillis() / 4);
      serial.scheduleWithFixedDelay(stream::checkIdle, check, check, TimeUnit.MILLISECONDS);
      stream.start();
    }
  }

  void close() {
    closed = true;
    stream.close();
  }

  /**
   * Fails every load not completed yet with the closed error. Called once the serial executor is
   * shut down: the tasks it dropped would otherwise leave their callers waiting forever.
   */
  void failPendingLoads() {
    pendingLoads.forEach((f, serviceId) -> f.completeExceptionally(closedError(serviceId)));
  }

  /** Whether this source keeps its watches fresh by itself now (stream up, or polling on). */
  boolean keepsFresh() {
    return streamUp || !config.pollInterval.isZero();
  }

  void forget(String serviceId) {
    onSerial(() -> {
      model.forget(serviceId);
      LOG.log(Level.DEBUG, "{0}: no longer watching {1}", name, serviceId);
    });
  }

  // ---- loads ------------------------------------------------------------------------------

  /** Loads one service (see {@link MarathonSource#load}); completes on the serial thread. */
  CompletableFuture<ServiceSnapshot> load(String serviceId, ServiceKey key) {
    CompletableFuture<ServiceSnapshot> result = new CompletableFuture<>();
    pendingLoads.put(result, serviceId);
    result.whenComplete((s, e) -> pendingLoads.remove(result));
    onSerial(() -> {
      CompletableFuture<ServiceSnapshot> f;
      if (key.isPort()) {
        f = listLean(serviceId).thenCompose(lean -> {
          Map<String, Integer> covered = WatchModel.portApps(key.port(), lean);
          if (covered.isEmpty()) {
            throw new UnknownServiceException(serviceId, "no Marathon app has service port "
                + key.port() + labelFilterText());
          }
          model.hold(covered.keySet()); // read one by one: a prune meanwhile must keep them
          return readAll(covered.keySet(), serviceId).thenApply(v -> {
            ServiceSnapshot s = model.watchPort(serviceId, key, covered);
            // The index is re-listed at the resync interval, stream or not (a relist pending
            // sooner, after a deployment or a reconnect, stays).
            scheduleRelist(jitter(config.resyncInterval.toMillis()));
            return s;
          }).whenComplete((s, e) -> model.release(covered.keySet()));
        });
      } else {
        f = read(key.appId(), serviceId, true)
            .thenApply(app -> model.watchApp(serviceId, key));
      }
      f.whenComplete((s, e) -> {
        if (e != null) {
          if (!model.watching(serviceId)) {
            model.forget(serviceId); // drops apps read for a load that failed
          }
          result.completeExceptionally(Futures.unwrap(e));
        } else {
          result.complete(s);
        }
      });
    }, () -> result.completeExceptionally(closedError(serviceId)));
    return result;
  }

  private CompletableFuture<Void> readAll(Set<String> appIds, String serviceId) {
    List<CompletableFuture<MarathonApp>> all = new ArrayList<>();
    for (String id : appIds) {
      all.add(read(id, serviceId, true));
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  DiscoveryUnavailableException closedError(String serviceId) {
    return new DiscoveryUnavailableException(serviceId, name + " is closed", null);
  }

  // ---- reads ------------------------------------------------------------------------------

  /**
   * Reads one app, or its whole deployment group (a label-selected list) when it has one, and
   * applies the answer to the model; then re-arms its timer. Completes on the serial thread with
   * the app, or exceptionally with {@link UnknownServiceException} (404, outside the label filter)
   * or {@link DiscoveryUnavailableException} (I/O, a bad document, a 200 without the app).
   */
  private CompletableFuture<MarathonApp> read(String appId, String serviceId, boolean viaGroup) {
    return read(appId, serviceId, viaGroup, true, false);
  }

  /**
   * @param refresh a re-read of a tracked app (timer, event, reconnect), as opposed to a read a
   *     load or the port index asked for: its answer applies only if the app is still tracked,
   *     and it completes with {@code null} otherwise
   */
  private CompletableFuture<MarathonApp> read(String appId, String serviceId, boolean viaGroup,
      boolean mayRegroup, boolean refresh) {
    String group = viaGroup ? model.groupOf(appId) : null;
    long seq = eventSeq.get(); // the last event applied: event() numbers and applies at once
    String path = group != null ? listPath(true, group) : "/v2/apps" + encodePath(appId)
        + "?embed=app.tasks";
    Timer timer = timers.computeIfAbsent(appId, k -> new Timer());
    timer.inFlight = true;
    // A Marathon that ignores the label selector answers with every app: read only the tasks of
    // the group's apps (and of this app), skip the rest unread.
    MarathonParser.AppFilter wanted = group == null ? MarathonParser.AppFilter.ALL
        : (id, labels) -> id.equals(appId) || group.equals(labels.get(ZddDrain.GROUP));
    CompletableFuture<Parsed> answer = fetch(path, serviceId, wanted);
    if (group != null) {
      answer = answer.exceptionally(e -> null); // a failed group read falls back to a single one
    }
    return answer.thenCompose(parsed -> {
      if (parsed == null) {
        return read(appId, serviceId, false, false, refresh);
      }
      if (streamStoppedByAuth && config.eventStream) {
        // Marathon answered (a 404 too), so the credentials work again. Here and not in the
        // timer's path: with polling off, loads are the only reads. The flag stays set while the
        // refused stream's thread is still exiting (start() refuses): the next read tries again.
        if (stream.start()) {
          streamStoppedByAuth = false;
        }
      }
      if (refresh && !model.tracks(appId)) {
        // Deleted or forgotten while this re-read was in flight: applying the answer would bring
        // the app back without a watch, and its timer would re-read it forever.
        dropTimer(appId);
        return CompletableFuture.completedFuture(null);
      }
      if (!parsed.notFound) {
        for (MarathonApp a : parsed.document.apps()) {
          if (a.tasks() == null) {
            // Asked with embed=app(s).tasks: an app without the field is a broken answer (a
            // proxy's or an old cache's), not an app scaled to zero ("tasks": []).
            throw new DiscoveryUnavailableException(serviceId, "Marathon answered app "
                + a.id() + " without its tasks; keeping the last state", null);
          }
        }
      }
      Map<String, MarathonApp> byId = parsed.notFound ? Map.of() : filtered(parsed.document);
      MarathonApp app = byId.get(appId);
      if (app == null) {
        if (group != null) {
          // It left its group, or Marathon does not select by label: read it alone.
          return read(appId, serviceId, false, false, refresh);
        }
        if (parsed.notFound) {
          throw new UnknownServiceException(serviceId, "Marathon has no app " + appId);
        }
        boolean listed = false;
        for (MarathonApp a : parsed.document.apps()) {
          listed |= a.id().equals(appId);
        }
        if (!listed) {
          // Empty, or another app's answer (a proxy or cache serving the wrong path): no news
          // about this app. Only an app listed but outside the label filter is not served.
          throw new DiscoveryUnavailableException(serviceId, "Marathon answered 200 without"
              + " app " + appId + "; keeping the last state", null);
        }
        throw new UnknownServiceException(serviceId, "app " + appId + " is not served"
            + labelFilterText());
      }
      String newGroup = AppState.groupOf(app);
      if (group == null && newGroup != null && mayRegroup) {
        // Drain needs the other colour too: read the whole group.
        model.applyRead(List.of(app), seq);
        return read(appId, serviceId, true, true, refresh);
      }
      if (group != null) {
        boolean left = !group.equals(newGroup);
        if (left) {
          // Only a Marathon that ignores the label selector lists an app that left the group:
          // it is no member any more, so take it as a single read, then the members.
          model.applyRead(List.of(app), seq);
        }
        List<MarathonApp> members = new ArrayList<>();
        for (MarathonApp m : byId.values()) {
          if (group.equals(AppState.groupOf(m))) {
            members.add(m);
          }
        }
        model.applyGroup(group, members, seq);
        for (MarathonApp m : members) {
          if (!m.id().equals(appId) && timers.containsKey(m.id())) {
            rearm(m.id(), regularDelay());
          }
        }
        if (left && newGroup != null && mayRegroup) {
          return read(appId, serviceId, true, false, refresh); // joined another group: read it
        }
      } else {
        model.applyRead(List.of(app), seq);
      }
      warned.remove(appId);
      Timer done = timers.get(appId);
      boolean first = done != null && !done.loaded;
      if (done != null) {
        done.loaded = true;
      }
      // A first read's resync lands anywhere in one interval, so a fleet that started together
      // does not resync together.
      finished(appId, first && streamUp ? uniform(0, config.resyncInterval.toMillis())
          : regularDelay());
      return CompletableFuture.completedFuture(app);
    }).whenComplete((app, e) -> {
      if (e != null) {
        finished(appId, failedDelay());
      }
    });
  }

  /** A timer fired, or an event asked for a read. */
  private void timedRead(String appId) {
    Timer t = timers.get(appId);
    if (t == null || closed) {
      return;
    }
    t.next = null;
    if (!model.tracks(appId)) {
      timers.remove(appId);
      return;
    }
    if (t.inFlight) {
      t.againWithinMillis = 0;
      return;
    }
    read(appId, appId, true, true, true).whenComplete((app, e) -> {
      if (e == null) {
        return;
      }
      Throwable cause = Futures.unwrap(e);
      if (warned.add(appId)) {
        LOG.log(Level.WARNING, "{0}: reading {1} failed; serving the last good state: {2}",
            name, appId, cause.getMessage());
      }
      if (cause instanceof UnknownServiceException) {
        model.appUnknown(appId, cause.getMessage());
      } else {
        model.readFailed(appId, cause);
      }
    });
  }

  private void finished(String appId, long nextDelayMillis) {
    Timer t = timers.get(appId);
    if (t == null) {
      if (model.tracks(appId)) {
        rearm(appId, nextDelayMillis); // a load read it back after its timer was dropped
      }
      return;
    }
    t.inFlight = false;
    long again = t.againWithinMillis;
    t.againWithinMillis = -1;
    rearm(appId, again < 0 ? nextDelayMillis
        : nextDelayMillis < 0 ? again : Math.min(again, nextDelayMillis));
  }

  /** (Re)schedules an app's next read {@code delay} from now; {@code < 0} means none. */
  private void rearm(String appId, long delayMillis) {
    Timer t = timers.computeIfAbsent(appId, k -> new Timer());
    t.confirming = false;
    if (t.next != null) {
      t.next.cancel(false);
      t.next = null;
    }
    if (delayMillis < 0 || closed) {
      return;
    }
    t.dueNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
    try {
      t.next = serial.schedule(() -> timedRead(appId), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /**
   * {@link #readWithin} for a read that confirms an event: marked, so that a reconnect keeps it
   * (see {@link #connected}) instead of spreading it over the resync window.
   */
  private void confirmWithin(String appId, long delayMillis) {
    readWithin(appId, delayMillis);
    Timer t = timers.get(appId);
    if (t != null && !t.inFlight) {
      t.confirming = true;
    }
  }

  /** Forgets an app's read schedule; a read in flight then re-arms nothing. */
  private void dropTimer(String appId) {
    Timer t = timers.remove(appId);
    if (t != null && t.next != null) {
      t.next.cancel(false);
    }
  }

  /**
   * Brings an app's next read forward to within {@code delay}; never pushes it back. With a read
   * in flight (requested before whatever asks for this one), reads again within {@code delay}
   * after it lands.
   */
  private void readWithin(String appId, long delayMillis) {
    Timer t = timers.get(appId);
    if (t == null) {
      return;
    }
    if (t.inFlight) {
      t.againWithinMillis = t.againWithinMillis < 0 ? delayMillis
          : Math.min(t.againWithinMillis, delayMillis);
      return;
    }
    long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
    if (t.next == null || t.dueNanos - due > 0) {
      rearm(appId, delayMillis);
    }
  }

  /** The next read of a healthy app: a safety resync with the stream up, else a poll. */
  private long regularDelay() {
    Duration d = streamUp ? config.resyncInterval : config.pollInterval;
    return d.isZero() ? -1 : jitter(d.toMillis());
  }

  private long failedDelay() {
    Duration d = config.pollInterval.isZero() ? config.resyncInterval : config.pollInterval;
    return jitter(Math.min(d.toMillis(), config.resyncInterval.toMillis()));
  }

  private static long jitter(long millis) {
    return millis / 2 + ThreadLocalRandom.current().nextLong(Math.max(millis, 1));
  }

  private static long uniform(long min, long max) {
    return min + ThreadLocalRandom.current().nextLong(Math.max(max - min, 1));
  }

  // ---- port index -------------------------------------------------------------------------

  /** GETs the lean app list (no tasks) and keeps it as the port index unless it looks broken. */
  private CompletableFuture<Map<String, MarathonApp>> listLean(String serviceId) {
    MarathonParser.AppFilter all = MarathonParser.AppFilter.ALL;
    return fetch(listPath(false, null), serviceId, all).thenApply(parsed -> {
      Map<String, MarathonApp> lean = parsed.notFound ? Map.of() : filtered(parsed.document);
      Map<String, MarathonApp> previous = leanIndex;
      if (previous != null && ListShrink.suspicious(previous.size(), lean.size())) {
        if (warned.add(ALL)) {
          LOG.log(Level.WARNING, "{0}: the app list shrank from {1} to {2} apps; keeping the"
              + " previous port index until a list looks whole again", name, previous.size(),
              lean.size());
        }
        return previous;
      }
      warned.remove(ALL);
      leanIndex = lean;
      return lean;
    });
  }

  private void scheduleRelist(long delayMillis) {
    if (relist != null && !relist.isDone()) {
      if (relist.getDelay(TimeUnit.MILLISECONDS) <= delayMillis) {
        return;
      }
      relist.cancel(false);
    }
    try {
      relist = serial.schedule(this::relist, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  private void relist() {
    if (closed || !model.hasPortWatches()) {
      return;
    }
    listLean(ALL).thenCompose(lean -> {
      Set<String> missing = model.updatePortWatches(lean);
      return readAll(missing, ALL).thenRun(() -> model.updatePortWatches(lean));
    }).whenComplete((v, e) -> {
      if (e != null) {
        LOG.log(Level.DEBUG, "{0}: port index refresh failed: {1}", name, Futures.unwrap(e));
      }
      scheduleRelist(jitter(config.resyncInterval.toMillis()));
    });
  }

  // ---- event stream (called on the stream thread) -----------------------------------------

  @Override
  public void connected(URI at) {
    onSerial(() -> {
      if (streamUp) {
        return;
      }
      streamUp = true;
      long window = Math.min(config.resyncInterval.toMillis(),
          config.reconnectResyncWindow.toMillis());
      // Events may have been missed while disconnected, also after the request of a read done
      // meanwhile (a poll, a load) or in flight now: re-read every app, spread over the window
      // (a read in flight is repeated within it after it lands). Each then switches to the
      // resync interval. The polls armed while the stream was down are replaced, not kept when
      // sooner: a fleet that lost the stream together has them due together (a leader failover
      // took 300-500 requests/s for 30 s with them kept). A confirming read stays as it is.
      for (Map.Entry<String, Timer> e : List.copyOf(timers.entrySet())) {
        Timer t = e.getValue();
        long delay = uniform(0, window);
        if (t.inFlight || t.confirming) {
          readWithin(e.getKey(), delay);
        } else {
          rearm(e.getKey(), delay);
        }
      }
      if (model.hasPortWatches()) {
        scheduleRelist(uniform(0, window));
      }
    });
  }

  @Override
  public void event(MarathonEvent ev) {
    onSerial(() -> {
      WatchModel.EventEffect effect = model.onEvent(ev, eventSeq.incrementAndGet());
      if ("app_terminated_event".equals(ev.type())) {
        for (String appId : ev.appIds()) {
          if (!model.tracks(appId)) {
            dropTimer(appId);
          }
        }
      }
      for (String appId : effect.confirm()) {
        confirmWithin(appId, uniform(CONFIRM_MIN_MILLIS, CONFIRM_MAX_MILLIS));
      }
      if (effect.portIndexStale()) {
        scheduleRelist(uniform(CONFIRM_MIN_MILLIS, CONFIRM_MAX_MILLIS));
      }
    });
  }

  @Override
  public void disconnected(Exception cause) {
    onSerial(() -> {
      // Through the catch: a throwing listener must not skip the switch to polling below.
      safeListener.onError(null, cause);
      if (!streamUp) {
        return;
      }
      streamUp = false;
      if (config.pollInterval.isZero()) {
        return;
      }
      // Poll until the stream is back; start after the reconnect window so that a prompt
      // reconnect costs no poll.
      long start = config.reconnectSpread.toMillis();
      for (String appId : List.copyOf(timers.keySet())) {
        readWithin(appId, start + jitter(config.pollInterval.toMillis()));
      }
    });
  }

  @Override
  public void refused(MarathonAuthenticationException e) {
    onSerial(() -> {
      streamStoppedByAuth = true;
      disconnected(e);
    });
  }

  // ---- HTTP and parsing -------------------------------------------------------------------

  /** The response of one GET, parsed off the serial thread. */
  private record Parsed(boolean notFound, MarathonParser.Document document) {}

  /** GETs and parses off the serial thread; completes on the serial thread. */
  private CompletableFuture<Parsed> fetch(String path, String serviceId,
      MarathonParser.AppFilter filter) {
    CompletableFuture<Parsed> result = new CompletableFuture<>();
    http.get(path, serviceId)
        .thenCompose(r -> parseOffSerial(r, serviceId, filter))
        .whenComplete((parsed, error) -> onSerial(() -> {
          if (error != null) {
            result.completeExceptionally(Futures.unwrap(error));
          } else {
            result.complete(parsed);
          }
        }, () -> result.completeExceptionally(closedError(serviceId))));
    return result;
  }

  /**
   * {@link #parse} on the parser pool; if the pool refuses it (the source is closing), the
   * response is closed here, since nothing else would release its connection.
   */
  private CompletableFuture<Parsed> parseOffSerial(MarathonHttp.Response r, String serviceId,
      MarathonParser.AppFilter filter) {
    try {
      return CompletableFuture.supplyAsync(() -> parse(r, serviceId, filter), parsers);
    } catch (RejectedExecutionException closing) {
      r.close();
      return CompletableFuture.failedFuture(closedError(serviceId));
    }
  }

  private Parsed parse(MarathonHttp.Response r, String serviceId,
      MarathonParser.AppFilter filter) {
    if (r.status == 404) {
      // Marathon's 404 is JSON ({"message": "App '/x' does not exist"}); a page from a wrong
      // base URL is not "no such app".
      String body = r.excerpt();
      if (!body.isEmpty() && body.charAt(0) != '{') {
        throw new DiscoveryUnavailableException(serviceId, r.notMarathon(), null);
      }
      return new Parsed(true, null);
    }
    if (r.status != 200) {
      throw new DiscoveryUnavailableException(serviceId, "unexpected HTTP " + r.status + " from "
          + r.uri + ": " + r.excerpt(), null);
    }
    // The body streams into the parser; a body still arriving one request timeout after the
    // headers (stalled, or too slow for its size) is cut off, and the read fails.
    ScheduledFuture<?> deadline = null;
    try (InputStream in = r.body()) {
      try {
        deadline = serial.schedule(r::close, config.requestTimeout.toMillis(),
            TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        throw closedError(serviceId);
      }
      return new Parsed(false, MarathonParser.parse(in, filter));
    } catch (IOException e) {
      if (e instanceof com.fasterxml.jackson.core.JsonParseException && r.notJson()) {
        throw new DiscoveryUnavailableException(serviceId, r.notMarathon(), e);
      }
      throw new DiscoveryUnavailableException(serviceId, "unreadable answer from " + r.uri + ": "
          + e.getMessage(), e);
    } finally {
      if (deadline != null) {
        deadline.cancel(false);
      }
      r.close();
    }
  }

  private Map<String, MarathonApp> filtered(MarathonParser.Document doc) {
    Map<String, MarathonApp> byId = new HashMap<>();
    for (MarathonApp app : doc.apps()) {
      if (app.id().isEmpty()) {
        LOG.log(Level.WARNING, "{0}: skipping an app without id", name);
        continue;
      }
      if (config.labelKey != null
          && !config.labelValue.equals(app.labels().get(config.labelKey))) {
        continue;
      }
      byId.put(app.id(), app.tasks() == null ? app.withTasks(List.of()) : app);
    }
    return byId;
  }

  /** {@code /v2/apps}, with tasks or lean, selected by deployment group and label filter. */
  private String listPath(boolean tasks, String group) {
    List<String> selectors = new ArrayList<>(2);
    if (group != null) {
      selectors.add(ZddDrain.GROUP + "==" + group);
    }
    if (config.labelKey != null) {
      selectors.add(config.labelKey + "==" + config.labelValue);
    }
    String path = tasks ? "/v2/apps?embed=apps.tasks" : "/v2/apps";
    if (!selectors.isEmpty()) {
      path += (tasks ? "&" : "?") + "label="
          + URLEncoder.encode(String.join(",", selectors), StandardCharsets.UTF_8);
    }
    return path;
  }

  String labelFilterText() {
    return config.labelKey == null ? ""
        : " (label filter " + config.labelKey + "=" + config.labelValue + ")";
  }

  static String encodePath(String appId) {
    StringBuilder sb = new StringBuilder();
    for (String segment : appId.substring(1).split("/", -1)) {
      sb.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+",
          "%20"));
    }
    return sb.toString();
  }

  private void onSerial(Runnable task) {
    onSerial(task, () -> { });
  }

  private void onSerial(Runnable task, Runnable ifClosed) {
    try {
      serial.execute(task);
    } catch (RejectedExecutionException e) {
      ifClosed.run();
    }
  }

}
