package dev.lodestar.agent.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.DaemonThreads;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.internal.ListShrink;
import dev.lodestar.discovery.marathon.MarathonAuthenticationException;
import dev.lodestar.discovery.marathon.MarathonClient;
import io.github.resilience4j.core.IntervalFunction;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's one view of Marathon, shared by the proxy, the HAProxy bridge and the relay that
 * serves the host's JVMs: ONE {@code /v2/events} stream, the full app list ({@code
 * /v2/apps?embed=apps.tasks}) at start and after each reconnect, and one coalesced re-read of an
 * app ({@code /v2/apps/{id}?embed=app.tasks}) per burst of events about it.
 *
 * <p><b>Reads.</b> Events name the apps they concern; each named app is re-read, and events that
 * arrive while its read is in flight cause exactly one more read after it (events are
 * invalidations: Marathon does not order them). A full list runs after every (re)connection of
 * the stream, delayed by a random part of {@link Builder#resyncJitter(Duration)} so that the
 * agents of a cluster do not all list at once after a leader election, and every {@link
 * Builder#resyncInterval(Duration)}. A read that started before another one was applied never
 * overwrites it.
 *
 * <p><b>Failure modes.</b> A failed or malformed read (connection refused, 5xx, a body that is not
 * JSON, truncated, oversized) is logged and changes nothing: the mirror keeps its last good state.
 * So does a full list that, after the first, holds no app or fewer than half the apps the mirror
 * has (a Marathon restarted with empty state), logged once at WARNING until a list looks whole
 * again; apps deleted meanwhile still go, on their {@code app_terminated_event}.
 * A failed full list is retried with backoff, one retry at a time however many lists failed:
 * periodic resyncs are skipped while it waits, and a reconnect's list replaces it. An app element
 * without a string id is skipped with a logged reason; an app whose definition is invalid stays in
 * {@link #appJson} (the relay serves it as Marathon did) but not in {@link #apps()}, with its
 * reason logged once. A dropped or silent stream is reconnected with jittered exponential backoff.
 *
 * <p><b>Threads.</b> One daemon thread applies reads and events in order and calls the listeners
 * (so listener calls never overlap; a listener must not block), one daemon thread reads the
 * stream, and two daemon threads parse bodies. {@link #close()} stops them.
 *
 * <p>Thread safety: safe for concurrent use. Readers ({@link #apps()}, {@link #appJson}) see an
 * immutable state replaced as a whole on each change, and never block.
 *
 * <p>Length (~700 lines, 65 of them the builder): the stream loop, the coalesced app reads and
 * the full lists are one state machine on the serial thread; they share its request sequence
 * numbers and the rule that an older read never overwrites a newer one, which split across
 * classes would have to be opened up to all of them.
 */
public final class MarathonMirror implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(MarathonMirror.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final String FULL_LIST = "/v2/apps?embed=apps.tasks";

  private final MarathonClient client;
  private final Builder config;
  private final String name;
  private final ScheduledExecutorService serial;
  private final ExecutorService parsers;
  private final IntervalFunction backoff;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final List<RelaySink> sinks = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> firstSync = new CompletableFuture<>();
  private final AtomicLong fullReads = new AtomicLong();
  private final AtomicLong appReads = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong streamConnects = new AtomicLong();
  private volatile MirrorState state = MirrorState.EMPTY;
  private volatile boolean started;
  private volatile boolean closed;
  private volatile Thread streamThread;
  private volatile MarathonClient.EventStream currentStream;

  // Serial-thread state.
  private long requestSeq;
  /** Per app: the request sequence its current data (or its removal) came from. */
  private final Map<String, Long> appliedSeq = new HashMap<>();
  /** The request sequence of the last applied full list: older single reads lose to it. */
  private long fullListSeq;
  private final Map<String, AppRead> reading = new HashMap<>();
  private final Map<String, String> loggedInvalid = new HashMap<>();
  private boolean fullListRunning;
  private boolean fullListAgain;
  /**
   * The retry of the last failed full list while it waits, else {@code null}. Only set when no
   * list runs, and any list that starts cancels it: a struggling Marathon sees one retry chain.
   */
  private ScheduledFuture<?> fullListRetry;
  private boolean streamGap;
  private int fullListFailures;
  /** Whether the last full list was refused as shrunk (logged once per streak). */
  private boolean shrinkWarned;

  /** Receives what the relay forwards. */
  interface RelaySink {
    /**
     * An event from the stream, called on the stream thread after the re-reads it causes were
     * queued; must not block.
     */
    void onEvent(MarathonClient.Event event);

    /**
     * The stream reconnected after a gap and the full list was re-read (events were missed);
     * called on the serial thread.
     */
    void onResynced();
  }

  private MarathonMirror(MarathonClient client, Builder b) {
    this.client = client;
    this.config = b;
    int id = SEQUENCE.incrementAndGet();
    this.name = "mirror" + client.urls();
    this.serial = Executors.newSingleThreadScheduledExecutor(
        DaemonThreads.numbered("lodestar-mirror-" + id));
    this.parsers = Executors.newFixedThreadPool(2,
        DaemonThreads.numbered("lodestar-mirror-" + id + "-parse"));
    this.backoff = IntervalFunction.ofExponentialRandomBackoff(
        b.reconnectInitial.toMillis(), 1.5, 0.5, b.reconnectMax.toMillis());
  }

  /** Starts a builder for a mirror reading through {@code client}. */
  public static Builder builder(MarathonClient client) {
    return new Builder(Objects.requireNonNull(client, "client"));
  }

  /** Connects the stream and lists the apps; returns at once. Idempotent. */
  public synchronized void start() {
    if (started || closed) {
      return;
    }
    started = true;
    Thread t = DaemonThreads.newThread(this::streamLoop,
        "lodestar-mirror-events-" + SEQUENCE.get());
    streamThread = t;
    t.start();
    long idleCheck = Math.max(10, config.idleTimeout.toMillis() / 4);
    serial.scheduleWithFixedDelay(this::checkIdle, idleCheck, idleCheck, TimeUnit.MILLISECONDS);
    // The first list waits for the stream (so no event falls between them), but not for long.
    serial.schedule(() -> {
      if (!firstSync.isDone() && !fullListRunning) {
        fullList();
      }
    }, config.startGrace.toMillis(), TimeUnit.MILLISECONDS);
    if (!config.resyncInterval.isZero()) {
      long ms = config.resyncInterval.toMillis();
      serial.scheduleWithFixedDelay(this::periodicFullList, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Waits until the first full list was applied.
   *
   * @return whether it was, within {@code timeout}
   */
  public boolean awaitFirstSync(Duration timeout) throws InterruptedException {
    try {
      firstSync.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return false;
    }
  }

  /** Whether the first full list was applied. */
  public boolean isSynced() {
    return firstSync.isDone();
  }

  /** The usable apps, sorted by id (apps with an invalid definition are left out). */
  public List<AppDefinition> apps() {
    return state.definitions();
  }

  /** The usable app {@code appId}, if the mirror has it. */
  public Optional<AppDefinition> app(String appId) {
    MirroredApp a = state.apps().get(appId);
    return a == null ? Optional.empty() : Optional.ofNullable(a.definition());
  }

  /** The app object (tasks included) exactly as Marathon last sent it, or {@code null}. */
  public String appJson(String appId) {
    MirroredApp a = state.apps().get(appId);
    return a == null ? null : new String(a.json(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The current state (package-private: the relay serves its bytes). */
  MirrorState state() {
    return state;
  }

  /**
   * Calls {@code listener} after each applied change (an app added, changed or removed), on the
   * mirror's thread; it must be fast and must not block. A listener that throws is logged.
   */
  public void addListener(Runnable listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Removes a listener added with {@link #addListener}. */
  public void removeListener(Runnable listener) {
    listeners.remove(listener);
  }

  void addSink(RelaySink sink) {
    sinks.add(sink);
  }

  /**
   * Counters for logs and the admin JSON.
   *
   * @param synced whether the first full list was applied
   * @param streamConnected whether the event stream is open now
   * @param streamConnects event streams opened so far
   * @param fullReads full lists requested from Marathon
   * @param appReads single-app reads requested from Marathon
   * @param events events received
   * @param apps apps held
   */
  public record Stats(boolean synced, boolean streamConnected, long streamConnects,
      long fullReads, long appReads, long events, int apps) {}

  /** The current counters. */
  public Stats stats() {
    return new Stats(isSynced(), currentStream != null, streamConnects.get(), fullReads.get(),
        appReads.get(), events.get(), state.apps().size());
  }

  /**
   * Completes once no re-read of {@code appId} is pending (at once when none is): a relay client
   * told of an event gets the app as read after that event.
   */
  CompletableFuture<Void> whenFresh(String appId) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    runSerial(() -> {
      AppRead r = reading.get(appId);
      if (r == null) {
        done.complete(null);
      } else {
        r.waiters.add(done);
      }
    }, () -> done.complete(null));
    return done;
  }

  /** Completes when the first full list is applied. */
  CompletableFuture<Void> firstSync() {
    return firstSync;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    Thread t = streamThread;
    if (t != null) {
      t.interrupt();
    }
    MarathonClient.EventStream s = currentStream;
    if (s != null) {
      s.close();
    }
    serial.shutdownNow();
    parsers.shutdownNow();
  }

  @Override
  public String toString() {
    return name;
  }

  // ---------------------------------------------------------------------------------------------
  // Event stream (stream thread)

  private void streamLoop() {
    int failures = 0;
    while (!closed) {
      boolean connected = false;
      try (MarathonClient.EventStream stream = client.openEventStream(config.eventQuery)) {
        currentStream = stream;
        connected = true;
        streamConnects.incrementAndGet();
        LOG.log(Level.INFO, "{0}: event stream connected to {1}://{2}", name,
            stream.uri().getScheme(), stream.uri().getRawAuthority());
        runSerial(this::onStreamConnected, () -> { });
        MarathonClient.Event e;
        while (!closed && (e = stream.next()) != null) {
          MarathonClient.Event event = e;
          events.incrementAndGet();
          runSerial(() -> onEvent(event), () -> { });
          relay(event);
        }
        if (!closed) {
          LOG.log(Level.INFO, "{0}: event stream ended; reconnecting", name);
        }
      } catch (MarathonAuthenticationException e) {
        LOG.log(Level.ERROR, "{0}: event stream refused: {1}", name, e.getMessage());
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          LOG.log(Level.WARNING, "{0}: event stream failed: {1}", name, e.getMessage());
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        currentStream = null;
        if (connected) {
          runSerial(() -> streamGap = true, () -> { });
        }
      }
      failures = connected ? 1 : failures + 1;
      try {
        Thread.sleep(backoff.apply(failures));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void checkIdle() {
    MarathonClient.EventStream s = currentStream;
    if (s != null && s.nanosSinceLastByte() > config.idleTimeout.toNanos()) {
      LOG.log(Level.WARNING, "{0}: event stream silent for more than {1}; reconnecting", name,
          config.idleTimeout);
      s.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Serial thread: events, reads, state

  private void onStreamConnected() {
    if (!firstSync.isDone() && !fullListRunning) {
      fullList();
      return;
    }
    long jitter = config.resyncJitter.toMillis();
    long delay = jitter == 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter + 1);
    serial.schedule(this::fullList, delay, TimeUnit.MILLISECONDS);
  }

  private void onEvent(MarathonClient.Event event) {
    for (String appId : event.appIds()) {
      readApp(appId);
    }
  }

  /**
   * Hands an event to the relay straight from the stream thread (one thread hop less for every
   * relay client). It was queued to the serial thread first, so a client that re-reads an app
   * after this event finds the re-read already registered ({@link #whenFresh} queues behind it).
   */
  private void relay(MarathonClient.Event event) {
    for (RelaySink sink : sinks) {
      try {
        sink.onEvent(event);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, name + ": relay sink failed", e);
      }
    }
  }

  /** A re-read of one app in flight, and who waits for it. */
  private static final class AppRead {
    boolean again;
    final List<CompletableFuture<Void>> waiters = new ArrayList<>(0);
  }

  private void readApp(String appId) {
    AppRead r = reading.get(appId);
    if (r != null) {
      r.again = true;
      return;
    }
    reading.put(appId, new AppRead());
    sendAppRead(appId);
  }

  private void sendAppRead(String appId) {
    long seq = ++requestSeq;
    appReads.incrementAndGet();
    String path;
    try {
      path = MarathonClient.appPath(appId) + "?embed=app.tasks";
    } catch (IllegalArgumentException e) {
      finishAppRead(appId);
      return;
    }
    client.get(path)
        .thenApplyAsync(answer -> parseApp(appId, answer), parsers)
        .whenComplete((result, error) -> runSerial(
            () -> onAppRead(appId, seq, result, error), () -> { }));
  }

  /** The outcome of one app read: the app, or {@code null} for "Marathon has no such app". */
  private record AppResult(MirroredApp app) {}

  private AppResult parseApp(String appId, MarathonClient.Answer answer) {
    try (answer) {
      if (answer.status() == 404) {
        return new AppResult(null);
      }
      if (answer.status() != 200) {
        throw new CompletionException(new IOException("HTTP " + answer.status() + " from "
            + answer.uri() + ": " + answer.excerpt()));
      }
      JsonNode doc;
      try (InputStream in = answer.body()) {
        doc = JSON.readTree(in);
      }
      if (doc == null || !doc.isObject() || !doc.has("app")) {
        throw new IOException("no \"app\" object in the answer from " + answer.uri());
      }
      MirroredApp app = MirroredApp.of(doc.get("app"), JSON);
      if (!app.id().equals(appId)) {
        throw new IOException("asked for " + appId + ", got " + app.id());
      }
      return new AppResult(app);
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  private void onAppRead(String appId, long seq, AppResult result, Throwable error) {
    if (error != null) {
      LOG.log(Level.WARNING, "{0}: re-reading {1} failed, keeping the last state: {2}", name,
          appId, Futures.unwrap(error).getMessage());
    } else if (seq > appliedFor(appId)) {
      appliedSeq.put(appId, seq);
      TreeMap<String, MirroredApp> next = new TreeMap<>(state.apps());
      boolean changed;
      if (result.app() == null) {
        changed = next.remove(appId) != null;
      } else {
        logInvalid(result.app());
        changed = !result.app().sameAs(next.put(appId, result.app()));
      }
      if (changed) {
        publish(next);
      }
    }
    AppRead r = reading.get(appId);
    if (r != null && r.again) {
      r.again = false;
      sendAppRead(appId);
    } else {
      finishAppRead(appId);
    }
  }

  private void finishAppRead(String appId) {
    AppRead r = reading.remove(appId);
    if (r != null) {
      r.waiters.forEach(w -> w.complete(null));
    }
  }

  /** Lists every app now (replacing a pending retry), or once more after the list in flight. */
  private void fullList() {
    if (closed) {
      return;
    }
    if (fullListRunning) {
      fullListAgain = true;
      return;
    }
    if (fullListRetry != null) {
      fullListRetry.cancel(false);
      fullListRetry = null;
    }
    fullListRunning = true;
    long seq = ++requestSeq;
    fullReads.incrementAndGet();
    client.get(FULL_LIST)
        .thenApplyAsync(this::parseList, parsers)
        .whenComplete((apps, error) -> runSerial(() -> onFullList(seq, apps, error), () -> { }));
  }

  /** The periodic resync; skipped while a failed list waits for its retry, which lists anyway. */
  private void periodicFullList() {
    if (fullListRetry == null) {
      fullList();
    }
  }

  private void retryFullList() {
    fullListRetry = null;
    fullList();
  }

  private Map<String, MirroredApp> parseList(MarathonClient.Answer answer) {
    try (answer) {
      if (answer.status() != 200) {
        throw new IOException("HTTP " + answer.status() + " from " + answer.uri() + ": "
            + answer.excerpt());
      }
      JsonNode doc;
      try (InputStream in = answer.body()) {
        doc = JSON.readTree(in);
      }
      JsonNode list = doc == null ? null : doc.get("apps");
      if (list == null || !list.isArray()) {
        throw new IOException("no \"apps\" array in the answer from " + answer.uri());
      }
      Map<String, MirroredApp> apps = new HashMap<>();
      for (JsonNode node : list) {
        try {
          MirroredApp app = MirroredApp.of(node, JSON);
          apps.put(app.id(), app);
        } catch (IOException e) {
          LOG.log(Level.WARNING, "{0}: skipping an app of the list: {1}", name, e.getMessage());
        }
      }
      return apps;
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  private void onFullList(long seq, Map<String, MirroredApp> listed, Throwable error) {
    fullListRunning = false;
    if (error != null) {
      fullListFailures++;
      long delay = backoff.apply(fullListFailures);
      LOG.log(Level.WARNING, "{0}: listing the apps failed, keeping the last state; retrying"
          + " in {1} ms: {2}", name, delay, Futures.unwrap(error).getMessage());
      // A list asked for while this one ran is the retry: listing again at once would hammer.
      fullListAgain = false;
      if (!closed) {
        fullListRetry = serial.schedule(this::retryFullList, delay, TimeUnit.MILLISECONDS);
      }
    } else if (looksBroken(listed)) {
      // A Marathon restarted with empty state answers 200 with no (or few) apps: as the
      // Marathon source does, keep the last good state; events still remove deleted apps.
      fullListFailures = 0;
      if (!shrinkWarned) {
        shrinkWarned = true;
        LOG.log(Level.WARNING, "{0}: the app list shrank from {1} to {2} apps; keeping the last"
            + " state until a list looks whole again", name, state.apps().size(), listed.size());
      }
    } else {
      fullListFailures = 0;
      shrinkWarned = false;
      TreeMap<String, MirroredApp> next = new TreeMap<>(state.apps());
      boolean changed = false;
      // Apps missing from the list are gone, unless a newer single read says otherwise.
      for (String id : List.copyOf(next.keySet())) {
        if (!listed.containsKey(id) && appliedFor(id) < seq) {
          next.remove(id);
          changed = true;
        }
      }
      for (MirroredApp app : listed.values()) {
        if (appliedFor(app.id()) < seq) {
          logInvalid(app);
          changed |= !app.sameAs(next.put(app.id(), app));
        }
      }
      fullListSeq = Math.max(fullListSeq, seq);
      appliedSeq.values().removeIf(s -> s < fullListSeq);
      if (changed || !firstSync.isDone()) {
        publish(next);
      }
      if (!firstSync.isDone()) {
        LOG.log(Level.INFO, "{0}: first sync: {1} apps", name, next.size());
        firstSync.complete(null);
      }
      if (streamGap) {
        streamGap = false;
        for (RelaySink sink : sinks) {
          try {
            sink.onResynced();
          } catch (RuntimeException e) {
            LOG.log(Level.WARNING, name + ": relay sink failed", e);
          }
        }
      }
    }
    if (fullListAgain) {
      fullListAgain = false;
      fullList();
    }
  }

  /**
   * Whether a full list after the first one lost every app, or more than half of them: not
   * applied, as {@code MarathonSource} does not apply such a list either.
   */
  private boolean looksBroken(Map<String, MirroredApp> listed) {
    return firstSync.isDone() && ListShrink.suspicious(state.apps().size(), listed.size());
  }

  /** The request sequence the current data of {@code appId} comes from. */
  private long appliedFor(String appId) {
    return Math.max(appliedSeq.getOrDefault(appId, 0L), fullListSeq);
  }

  private void logInvalid(MirroredApp app) {
    String reason = app.invalidReason();
    if (reason == null) {
      loggedInvalid.remove(app.id());
    } else if (!reason.equals(loggedInvalid.put(app.id(), reason))) {
      LOG.log(Level.WARNING, "{0}: {1}; the app is relayed but not proxied", name, reason);
    }
  }

  private void publish(TreeMap<String, MirroredApp> apps) {
    state = new MirrorState(state.version() + 1, Collections.unmodifiableMap(apps));
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, name + ": listener threw", e);
      }
    }
  }

  private void runSerial(Runnable task, Runnable ifClosed) {
    try {
      serial.execute(task);
    } catch (RejectedExecutionException e) {
      ifClosed.run();
    }
  }

  /**
   * Configures a {@link MarathonMirror}; setters throw {@link IllegalArgumentException} for a
   * bad value.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final MarathonClient client;
    private Duration resyncInterval = Duration.ofMinutes(5);
    private Duration resyncJitter = Duration.ofSeconds(2);
    private Duration reconnectInitial = Duration.ofSeconds(1);
    private Duration reconnectMax = Duration.ofSeconds(60);
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration startGrace = Duration.ofSeconds(2);
    private String eventQuery = "plan-format=light";

    private Builder(MarathonClient client) {
      this.client = client;
    }

    /** Full list every this often besides reconnects (default 5 min); zero turns it off. */
    public Builder resyncInterval(Duration interval) {
      this.resyncInterval = Checks.notNegative(interval, "resyncInterval");
      return this;
    }

    /**
     * The full list after a reconnect waits a random delay up to this (default 2 s), so a
     * cluster's agents spread their lists after a leader election; zero lists at once.
     */
    public Builder resyncJitter(Duration jitter) {
      this.resyncJitter = Checks.notNegative(jitter, "resyncJitter");
      return this;
    }

    /**
     * Reconnect backoff: from {@code initial}, 1.5x per failure with 50% jitter, capped at
     * {@code max} (defaults 1 s and 60 s). Failed full lists retry on the same schedule.
     */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      Checks.backoff(initial, max);
      this.reconnectInitial = initial;
      this.reconnectMax = max;
      return this;
    }

    /** A stream silent (no byte, heartbeat included) this long is reconnected (default 30 s). */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Checks.positive(timeout, "idleTimeout");
      return this;
    }

    /** How long the first list waits for the stream to connect (default 2 s). */
    public Builder startGrace(Duration grace) {
      this.startGrace = Checks.notNegative(grace, "startGrace");
      return this;
    }

    /** Builds the mirror; it does no I/O before {@link MarathonMirror#start()}. */
    public MarathonMirror build() {
      Builder copy = new Builder(client);
      copy.resyncInterval = resyncInterval;
      copy.resyncJitter = resyncJitter;
      copy.reconnectInitial = reconnectInitial;
      copy.reconnectMax = reconnectMax;
      copy.idleTimeout = idleTimeout;
      copy.startGrace = startGrace;
      copy.eventQuery = eventQuery;
      return new MarathonMirror(client, copy);
    }
  }
}
