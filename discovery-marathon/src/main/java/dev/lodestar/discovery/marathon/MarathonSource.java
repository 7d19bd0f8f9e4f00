package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.DaemonThreads;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import io.github.resilience4j.core.IntervalFunction;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A {@link ServiceSource} that reads service instances from Marathon: apps and their tasks over
 * the REST API, changes pushed over the {@code /v2/events} stream.
 *
 * <pre>{@code
 * MarathonSource source = MarathonSource.builder()
 *     .urls("http://m1:8080", "http://m2:8080")
 *     .basicAuth("user", "secret")
 *     .portName("http")
 *     .build();
 * }</pre>
 *
 * <p><b>Service ids</b> are Marathon app ids ({@code /group/app}; {@code group/app} without the
 * leading slash is accepted and the snapshot keeps the caller's spelling). {@code port:10000}
 * looks a service up by service port, the way haproxy-marathon-bridge routes: it gathers the
 * tasks of every app with a port slot whose service port is 10000 (so the blue and green apps of a
 * zero-downtime deployment appear together).
 *
 * <p><b>Reads.</b> The first {@link #load} of an app GETs {@code
 * /v2/apps/{id}?embed=app.tasks}; port lookups and the periodic full resync GET {@code
 * /v2/apps?embed=apps.tasks} (with a {@code label} selector when a label filter is set). Bodies
 * are parsed with a streaming Jackson parser and refused past {@link
 * Builder#maxResponseBytes(long)}, without buffering the body. Every Marathon shape since 0.x is read: host networking ({@code
 * portDefinitions} or the legacy {@code ports}), Docker and UCR bridge, IP per task ({@code
 * ipAddresses} and the container port), the pre-1.5 {@code container.docker} layout and the 1.5+
 * {@code networks}. The port is chosen by {@link Builder#portIndex(int)} or {@link
 * Builder#portName(String)}; every named slot also appears in {@link Instance#namedPorts()}.
 * Health follows the {@link MarathonHealthPolicy}.
 *
 * <p><b>Pushes.</b> After {@link #start}, the source keeps one {@code /v2/events} connection
 * (unless {@link Builder#eventStream(boolean) disabled}), asking Marathon to send only the event
 * types it uses. A task killed, failed or reported unhealthy by an event is applied to the cached
 * app at once and pushed; every relevant event also triggers a REST read of that app, because
 * events can arrive out of order. A full resync runs every {@link Builder#pollInterval(Duration)},
 * after every (re)connect of the stream, and after deployments when port lookups are in use. A
 * stream that drops or stays silent past {@link Builder#eventStreamIdleTimeout(Duration)} is
 * reconnected with jittered exponential backoff. Without a stream, polling keeps working.
 *
 * <p><b>Several URLs.</b> Connect errors, timeouts and 5xx answers (502 and 503 mean "no leader")
 * move on to the next URL; the URL that answered last is tried first next time. A standby answers
 * the event stream with a redirect to the leader, which is followed once with the same
 * credentials.
 *
 * <p><b>Failure modes.</b> {@link #load} never throws: an unknown app (404, or an app outside the
 * label filter) fails the future with {@link UnknownServiceException}; 401/403 with {@link
 * MarathonAuthenticationException} (not retried on other URLs); everything else (all URLs down, a
 * malformed or truncated or oversized document, an app without the configured port name, an app
 * whose every task is unusable) with {@link DiscoveryUnavailableException}, so a resolver keeps
 * its last good snapshot. A bad task (no host, an invalid host, port 0 or outside 1..65535) is
 * skipped with a logged reason. Pushed
 * errors go to {@link SnapshotListener#onError}; a failed resync never pushes an empty snapshot.
 *
 * <p><b>Threads.</b> Each source owns one daemon thread that applies responses and events and
 * calls the listener (so listener calls never overlap), one daemon thread for the event stream and
 * a small daemon pool that reads and parses response bodies as they stream in (a body that stalls
 * is cut off after the request timeout). {@link #close()} stops them all.
 *
 * <p>Credentials never appear in {@link #name()}, {@link #toString()}, logs or exceptions.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class MarathonSource implements ServiceSource {
  private static final System.Logger LOG = System.getLogger(MarathonSource.class.getName());
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final String PORT_PREFIX = "port:";
  private static final String ALL = "*";

  /** Event types the source applies; the stream asks Marathon (1.3.7+) to send only these. */
  static final List<String> EVENT_TYPES = List.of("status_update_event", "instance_changed_event",
      "health_status_changed_event", "instance_health_changed_event",
      "unhealthy_task_kill_event", "unhealthy_instance_kill_event", "app_terminated_event",
      "api_post_event", "deployment_info", "deployment_step_success", "deployment_step_failure",
      "deployment_success", "deployment_failed");

  private final Builder config;
  private final String name;
  private final MarathonHttp http;
  private final HttpClient client;
  private final InstanceMapper mapper;
  private final ScheduledExecutorService serial;
  private final ExecutorService parsers;
  private final AtomicLong eventSeq = new AtomicLong();
  private final IntervalFunction backoff;
  private volatile SnapshotListener listener = new SnapshotListener() {};
  private volatile boolean closed;
  private volatile boolean started;
  private volatile Thread streamThread;
  private volatile InputStream currentStream;
  private volatile long lastStreamActivity;
  private volatile boolean streamStoppedByAuth;
  /** Whether the current stream attempt got a 200 (stream thread only). */
  private boolean streamConnected;

  // State below is touched only on the serial thread.
  private final Map<String, AppEntry> apps = new HashMap<>();
  private final Map<String, Watch> watches = new LinkedHashMap<>();
  private boolean resyncRunning;
  private boolean resyncAgain;

  private MarathonSource(Builder b) {
    this.config = b;
    this.name = "marathon" + b.urls;
    HttpClient.Builder hb = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(b.connectTimeout);
    if (b.sslContext != null) {
      hb.sslContext(b.sslContext);
    }
    this.client = hb.build();
    this.http = new MarathonHttp(b.urls, client, b.authorization, b.requestTimeout,
        b.maxResponseBytes);
    this.mapper = new InstanceMapper(b.healthPolicy, b.portIndex, b.portName, b.fallbackPort);
    int id = SEQUENCE.incrementAndGet();
    this.serial = Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("lodestar-marathon-" + id));
    this.parsers = Executors.newFixedThreadPool(4, DaemonThreads.numbered("lodestar-marathon-" + id + "-parse"));
    this.backoff = IntervalFunction.ofExponentialRandomBackoff(
        b.reconnectInitial.toMillis(), 1.5, 0.5, b.reconnectMax.toMillis());
  }

  /** Starts a builder; at least one URL is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The service id that looks up every task behind a service port: {@code port:<n>}. */
  public static String servicePortId(int servicePort) {
    Checks.port(servicePort, "servicePort");
    return PORT_PREFIX + servicePort;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return "MarathonSource{" + name + ", eventStream=" + config.eventStream + ", pollInterval="
        + config.pollInterval + ", " + config.healthPolicy + "}";
  }

  // ---------------------------------------------------------------------------------------------
  // load

  @Override
  public CompletableFuture<ServiceSnapshot> load(String serviceId) {
    try {
      ServiceIds.check(serviceId);
    } catch (IllegalArgumentException | NullPointerException e) {
      return CompletableFuture.failedFuture(e); // before any request: /../x never reaches Marathon
    }
    if (closed) {
      return CompletableFuture.failedFuture(
          new DiscoveryUnavailableException(serviceId, name + " is closed", null));
    }
    Key key;
    try {
      key = Key.of(serviceId);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new UnknownServiceException(serviceId,
          e.getMessage()));
    }
    long seq = eventSeq.get();
    String path = key.port > 0 ? fullListPath() : "/v2/apps" + encodePath(key.appId)
        + "?embed=app.tasks";
    CompletableFuture<ServiceSnapshot> result = new CompletableFuture<>();
    http.get(path, serviceId)
        .thenApplyAsync(r -> parse(r, serviceId), parsers)
        .whenComplete((doc, error) -> runSerial(() -> {
          try {
            if (error != null) {
              result.completeExceptionally(Futures.unwrap(error));
            } else {
              result.complete(onLoaded(serviceId, key, doc, seq));
            }
          } catch (RuntimeException e) {
            result.completeExceptionally(e);
          }
        }, () -> result.completeExceptionally(
            new DiscoveryUnavailableException(serviceId, name + " is closed", null))));
    return result;
  }

  /** Applies a loaded document on the serial thread and returns the snapshot for the caller. */
  private ServiceSnapshot onLoaded(String serviceId, Key key, Parsed parsed, long seq) {
    if (parsed.notFound) {
      throw new UnknownServiceException(serviceId, "Marathon has no app " + key.appId);
    }
    Map<String, MarathonApp> byId = filtered(parsed.document);
    Watch watch = new Watch(serviceId, key);
    if (key.port > 0) {
      if (!portWatch(watch, byId)) {
        throw new UnknownServiceException(serviceId, "no Marathon app has service port "
            + key.port + labelFilterText());
      }
      Map<String, Set<String>> draining = ZddDrain.compute(byId.values());
      for (String id : watch.appIds) {
        AppEntry e = entry(id);
        e.update(byId.get(id), seq);
        e.draining = draining.getOrDefault(id, Set.of());
      }
    } else {
      MarathonApp app = byId.get(key.appId);
      if (app == null) {
        throw new UnknownServiceException(serviceId, parsed.document.apps().isEmpty()
            ? "Marathon returned no app " + key.appId
            : "app " + key.appId + " is not served" + labelFilterText());
      }
      watch.appIds.add(app.id());
      entry(app.id()).update(app, seq);
    }
    ServiceSnapshot snapshot = snapshot(watch);
    watch.last = snapshot;
    watches.put(serviceId, watch);
    return snapshot;
  }

  private String labelFilterText() {
    return config.labelKey == null ? ""
        : " (label filter " + config.labelKey + "=" + config.labelValue + ")";
  }

  /** The response of one GET, parsed off the serial thread. */
  private static final class Parsed {
    final boolean notFound;
    final MarathonParser.Document document;

    Parsed(boolean notFound, MarathonParser.Document document) {
      this.notFound = notFound;
      this.document = document;
    }
  }

  private Parsed parse(MarathonHttp.Response r, String serviceId) {
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
    // The body streams into the parser; a body that stalls is cut off after the request timeout.
    java.util.concurrent.ScheduledFuture<?> deadline = null;
    try (InputStream in = r.body()) {
      try {
        deadline = serial.schedule(r::close, config.requestTimeout.toMillis(),
            TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closed) {
        throw new DiscoveryUnavailableException(serviceId, name + " is closed", null);
      }
      return new Parsed(false, MarathonParser.parse(in));
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

  /**
   * Points a port watch at the apps with that service port, plus the other colour of each one's
   * blue/green deployment group (at the same slot), as marathon-lb merges them. Returns whether
   * any app matched.
   */
  private static boolean portWatch(Watch w, Map<String, MarathonApp> byId) {
    w.appIds.clear();
    w.partnerSlots.clear();
    for (MarathonApp app : matching(byId, w.key.port)) {
      w.appIds.add(app.id());
      String group = app.labels().get(ZddDrain.GROUP);
      if (group == null || group.isEmpty()) {
        continue;
      }
      int slot = InstanceMapper.slotsWithServicePort(app, w.key.port).get(0);
      for (MarathonApp other : byId.values()) {
        if (!other.id().equals(app.id()) && group.equals(other.labels().get(ZddDrain.GROUP))
            && InstanceMapper.slotsWithServicePort(other, w.key.port).isEmpty()) {
          w.appIds.add(other.id());
          w.partnerSlots.put(other.id(), slot);
        }
      }
    }
    return !w.appIds.isEmpty();
  }

  private static List<MarathonApp> matching(Map<String, MarathonApp> byId, int port) {
    List<MarathonApp> out = new ArrayList<>();
    for (MarathonApp app : byId.values()) {
      if (!InstanceMapper.slotsWithServicePort(app, port).isEmpty()) {
        out.add(app);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // State: apps, watches, snapshots (serial thread only)

  /** What the source knows about one app. */
  private static final class AppEntry {
    MarathonApp app;
    final Map<String, TaskOverride> overrides = new HashMap<>();
    final Set<String> seenHealthy = new HashSet<>();
    /** Tasks a blue/green deployment drains, from the last full app list. */
    Set<String> draining = Set.of();
    boolean refreshing;
    boolean refreshAgain;

    /** Takes a REST answer; event overrides newer than the request survive it. */
    void update(MarathonApp fresh, long requestSeq) {
      app = fresh;
      overrides.values().removeIf(o -> o.seq < requestSeq);
    }

    /** The app with event overrides applied on top of the last REST answer. */
    MarathonApp effective() {
      if (overrides.isEmpty()) {
        return app;
      }
      List<MarathonTask> tasks = new ArrayList<>(app.tasks().size());
      for (MarathonTask t : app.tasks()) {
        TaskOverride o = overrides.get(t.id());
        if (o != null) {
          if (o.state != null) {
            t = t.withState(o.state);
          }
          if (o.alive != null) {
            t = t.withResults(Math.max(1, app.healthChecks()), o.alive);
          }
        }
        tasks.add(t);
      }
      return app.withTasks(tasks);
    }
  }

  /** A task state or health an event reported, applied until a newer REST read replaces it. */
  private static final class TaskOverride {
    final String state;
    final Boolean alive;
    final long seq;

    TaskOverride(String state, Boolean alive, long seq) {
      this.state = state;
      this.alive = alive;
      this.seq = seq;
    }
  }

  /** A service id some caller loaded, and the apps behind it. */
  private static final class Watch {
    final String serviceId;
    final Key key;
    final Set<String> appIds = new HashSet<>();
    /** For port lookups: the slot of apps that joined through their deployment group. */
    final Map<String, Integer> partnerSlots = new HashMap<>();
    ServiceSnapshot last;

    Watch(String serviceId, Key key) {
      this.serviceId = serviceId;
      this.key = key;
    }
  }

  /** A parsed service id: an app id, or a service port. */
  private static final class Key {
    final String appId;
    final int port;

    private Key(String appId, int port) {
      this.appId = appId;
      this.port = port;
    }

    static Key of(String serviceId) {
      String id = serviceId.trim();
      if (id.startsWith(PORT_PREFIX)) {
        int port;
        try {
          port = Integer.parseInt(id.substring(PORT_PREFIX.length()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("not a service port: " + id);
        }
        if (port < 1 || port > 65535) {
          throw new IllegalArgumentException("service port outside 1..65535: " + port);
        }
        return new Key(null, port);
      }
      String appId = id.startsWith("/") ? id : "/" + id;
      while (appId.length() > 1 && appId.endsWith("/")) {
        appId = appId.substring(0, appId.length() - 1);
      }
      if (appId.equals("/") || appId.contains("//") || appId.contains("?")
          || appId.contains("#")) {
        throw new IllegalArgumentException("not a Marathon app id: " + id);
      }
      return new Key(appId, 0);
    }
  }

  private AppEntry entry(String appId) {
    return apps.computeIfAbsent(appId, k -> new AppEntry());
  }

  private ServiceSnapshot snapshot(Watch watch) {
    List<Instance> instances = new ArrayList<>();
    List<String> ids = new ArrayList<>(watch.appIds);
    ids.sort(null);
    for (String appId : ids) {
      AppEntry e = apps.get(appId);
      if (e == null || e.app == null) {
        continue;
      }
      MarathonApp app = e.effective();
      List<Integer> slots;
      if (watch.key.port > 0) {
        slots = InstanceMapper.slotsWithServicePort(app, watch.key.port);
        if (slots.isEmpty()) {
          Integer partner = watch.partnerSlots.get(appId);
          if (partner == null) {
            continue;
          }
          slots = List.of(partner);
        }
      } else {
        try {
          slots = List.of(mapper.slotOf(app));
        } catch (InstanceMapper.NoSuchPortException ex) {
          throw new DiscoveryUnavailableException(watch.serviceId, ex.getMessage(), null);
        }
      }
      int before = instances.size();
      mapper.map(watch.serviceId, app, slots.get(0), e.seenHealthy, e.draining, instances);
      int live = InstanceMapper.liveTasks(app);
      if (live > 0 && instances.size() == before) {
        // Every task was skipped for bad data: treat the document as bad, keep the last snapshot.
        throw new DiscoveryUnavailableException(watch.serviceId, "none of the " + live
            + " tasks of app " + appId + " has a usable address and port (reasons are logged)",
            null);
      }
    }
    return ServiceSnapshot.of(watch.serviceId, instances, name);
  }

  /** Rebuilds and pushes every watch that covers {@code appId}. */
  private void publish(String appId) {
    for (Watch w : List.copyOf(watches.values())) {
      if (w.appIds.contains(appId)) {
        publish(w);
      }
    }
  }

  private void publish(Watch w) {
    ServiceSnapshot s;
    try {
      s = snapshot(w);
    } catch (RuntimeException e) {
      safeListener(l -> l.onError(w.serviceId, e));
      return;
    }
    if (!s.equals(w.last)) {
      w.last = s;
      safeListener(l -> l.onSnapshot(s));
    }
  }

  private void removeWatch(Watch w, String reason) {
    watches.remove(w.serviceId);
    LOG.log(Level.DEBUG, "{0}: {1} removed: {2}", name, w.serviceId, reason);
    safeListener(l -> l.onRemoved(w.serviceId));
  }

  /** Drops apps no watch refers to. */
  private void prune() {
    Set<String> used = new HashSet<>();
    for (Watch w : watches.values()) {
      used.addAll(w.appIds);
    }
    apps.keySet().retainAll(used);
  }

  private void safeListener(java.util.function.Consumer<SnapshotListener> call) {
    try {
      call.accept(listener);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, name + ": listener threw", e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Targeted refresh and full resync

  /** Re-reads one app; coalesces requests that come while one is in flight. */
  private void refreshApp(String appId) {
    AppEntry e = apps.get(appId);
    if (e == null || closed) {
      return;
    }
    if (e.refreshing) {
      e.refreshAgain = true;
      return;
    }
    e.refreshing = true;
    long seq = eventSeq.get();
    http.get("/v2/apps" + encodePath(appId) + "?embed=app.tasks", appId)
        .thenApplyAsync(r -> parse(r, appId), parsers)
        .whenComplete((parsed, error) -> runSerial(() -> {
          AppEntry current = apps.get(appId);
          if (current == null) {
            return;
          }
          current.refreshing = false;
          if (error != null) {
            Throwable cause = Futures.unwrap(error);
            LOG.log(Level.DEBUG, "{0}: refresh of {1} failed: {2}", name, appId,
                cause.getMessage());
            for (Watch w : List.copyOf(watches.values())) {
              if (w.appIds.contains(appId)) {
                safeListener(l -> l.onError(w.serviceId, cause));
              }
            }
          } else {
            MarathonApp app = parsed.notFound ? null : filtered(parsed.document).get(appId);
            if (app == null) {
              appGone(appId, parsed.notFound ? "Marathon has no app " + appId
                  : "app " + appId + " is no longer served");
              return;
            }
            current.update(app, seq);
            publish(appId);
          }
          if (current.refreshAgain) {
            current.refreshAgain = false;
            refreshApp(appId);
          }
        }, () -> { }));
  }

  private void appGone(String appId, String reason) {
    apps.remove(appId);
    for (Watch w : List.copyOf(watches.values())) {
      if (!w.appIds.remove(appId)) {
        continue;
      }
      if (w.appIds.isEmpty()) {
        removeWatch(w, reason);
      } else {
        publish(w);
      }
    }
  }

  /** Runs a full resync now, or once more after the one in flight. */
  private void resync() {
    if (closed) {
      return;
    }
    if (resyncRunning) {
      resyncAgain = true;
      return;
    }
    if (watches.isEmpty()) {
      return;
    }
    resyncRunning = true;
    long seq = eventSeq.get();
    http.get(fullListPath(), ALL)
        .thenApplyAsync(r -> parse(r, ALL), parsers)
        .whenComplete((parsed, error) -> runSerial(() -> {
          resyncRunning = false;
          if (error != null) {
            Throwable cause = Futures.unwrap(error);
            LOG.log(Level.WARNING, "{0}: full resync failed, keeping the last snapshots: {1}",
                name, cause.getMessage());
            safeListener(l -> l.onError(null, cause));
          } else {
            applyResync(parsed, seq);
            if (streamStoppedByAuth && config.eventStream && started) {
              streamStoppedByAuth = false;
              startStream();
            }
          }
          if (resyncAgain) {
            resyncAgain = false;
            resync();
          }
        }, () -> { }));
  }

  private void applyResync(Parsed parsed, long seq) {
    if (parsed.notFound) {
      LOG.log(Level.WARNING, "{0}: /v2/apps answered 404; keeping the last snapshots", name);
      return;
    }
    Map<String, MarathonApp> byId = filtered(parsed.document);
    Map<String, Set<String>> draining = ZddDrain.compute(byId.values());
    for (Watch w : List.copyOf(watches.values())) {
      if (w.key.port > 0) {
        portWatch(w, byId);
      } else {
        w.appIds.clear();
        if (byId.containsKey(w.key.appId)) {
          w.appIds.add(w.key.appId);
        }
      }
      if (w.appIds.isEmpty()) {
        removeWatch(w, "not in Marathon's app list any more");
        continue;
      }
      for (String id : w.appIds) {
        AppEntry e = entry(id);
        e.update(byId.get(id), seq);
        e.draining = draining.getOrDefault(id, Set.of());
      }
    }
    prune();
    for (Watch w : List.copyOf(watches.values())) {
      publish(w);
    }
  }

  private String fullListPath() {
    String path = "/v2/apps?embed=apps.tasks";
    if (config.labelKey != null) {
      path += "&label=" + URLEncoder.encode(config.labelKey + "==" + config.labelValue,
          StandardCharsets.UTF_8);
    }
    return path;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /** Applies one decoded event on the serial thread. */
  void onEvent(MarathonEvent ev) {
    long seq = eventSeq.incrementAndGet();
    switch (ev.type()) {
      case "status_update_event":
        if (ev.taskStatus() != null && !MarathonTask.RUNNING.equals(ev.taskStatus())) {
          override(ev, ev.taskStatus(), null, seq);
        }
        refreshApps(ev);
        break;
      case "instance_changed_event":
        String state = stateOfCondition(ev.condition());
        if (state != null && !MarathonTask.RUNNING.equals(state)) {
          override(ev, state, null, seq);
        }
        refreshApps(ev);
        break;
      case "health_status_changed_event":
      case "instance_health_changed_event":
        if (Boolean.FALSE.equals(ev.healthy())) {
          override(ev, null, Boolean.FALSE, seq);
        } else if (Boolean.TRUE.equals(ev.healthy())
            && ev.type().equals("instance_health_changed_event")) {
          override(ev, null, Boolean.TRUE, seq);
        }
        refreshApps(ev);
        break;
      case "unhealthy_task_kill_event":
      case "unhealthy_instance_kill_event":
        override(ev, "TASK_KILLED", null, seq);
        refreshApps(ev);
        break;
      case "app_terminated_event":
        for (String appId : ev.appIds()) {
          if (apps.containsKey(appId)) {
            appGone(appId, "app_terminated_event");
          }
        }
        break;
      case "api_post_event":
      case "deployment_info":
      case "deployment_step_success":
      case "deployment_step_failure":
      case "deployment_success":
      case "deployment_failed":
        refreshApps(ev);
        if (hasPortWatches()) {
          // A deployment may have added an app behind a watched service port.
          resync();
        }
        break;
      default:
        // Unknown and unused events are ignored.
    }
  }

  private boolean hasPortWatches() {
    for (Watch w : watches.values()) {
      if (w.key.port > 0) {
        return true;
      }
    }
    return false;
  }

  private void refreshApps(MarathonEvent ev) {
    for (String appId : ev.appIds()) {
      refreshApp(appId);
    }
  }

  private void override(MarathonEvent ev, String state, Boolean alive, long seq) {
    for (String appId : ev.appIds()) {
      AppEntry e = apps.get(appId);
      if (e == null || e.app == null) {
        continue;
      }
      boolean changed = false;
      for (MarathonTask t : e.app.tasks()) {
        if (matches(t.id(), ev)) {
          TaskOverride old = e.overrides.get(t.id());
          String s = state != null ? state : old != null ? old.state : null;
          Boolean a = alive != null ? alive : old != null ? old.alive : null;
          e.overrides.put(t.id(), new TaskOverride(s, a, seq));
          changed = true;
        }
      }
      if (changed) {
        publish(appId);
      }
    }
  }

  /**
   * Whether an event's task or instance id designates task {@code taskId}. The {@code taskId} of
   * some 1.4+ events holds an instance id, so both are compared with both.
   */
  private static boolean matches(String taskId, MarathonEvent ev) {
    if (taskId.equals(ev.taskId()) || taskId.equals(ev.instanceId())) {
      return true;
    }
    String instance = MarathonTask.instanceIdOf(taskId);
    return instance.equals(ev.instanceId()) || instance.equals(ev.taskId());
  }

  /** Maps an instance condition (1.4+) to the Mesos state the health policy understands. */
  static String stateOfCondition(String condition) {
    if (condition == null) {
      return null;
    }
    switch (condition) {
      case "Running":
        return MarathonTask.RUNNING;
      case "Killing":
        return "TASK_KILLING";
      case "Unreachable":
      case "UnreachableInactive":
        return "TASK_UNREACHABLE";
      case "Killed":
        return "TASK_KILLED";
      case "Failed":
        return "TASK_FAILED";
      case "Finished":
        return "TASK_FINISHED";
      case "Error":
        return "TASK_ERROR";
      case "Gone":
        return "TASK_GONE";
      case "Dropped":
        return "TASK_DROPPED";
      case "Unknown":
        return "TASK_UNKNOWN";
      default:
        return "TASK_STAGING";
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Event stream

  @Override
  public void start(SnapshotListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    if (closed || started) {
      return;
    }
    started = true;
    if (!config.pollInterval.isZero()) {
      long ms = config.pollInterval.toMillis();
      serial.scheduleWithFixedDelay(this::resync, ms, ms, TimeUnit.MILLISECONDS);
    }
    if (config.eventStream) {
      long check = Math.max(10, config.eventStreamIdleTimeout.toMillis() / 4);
      serial.scheduleWithFixedDelay(this::checkIdle, check, check, TimeUnit.MILLISECONDS);
      startStream();
    }
  }

  private synchronized void startStream() {
    if (closed || (streamThread != null && streamThread.isAlive())) {
      return;
    }
    Thread t = DaemonThreads.newThread(this::streamLoop,
        "lodestar-marathon-events-" + SEQUENCE.get());
    streamThread = t;
    t.start();
  }

  private void checkIdle() {
    InputStream in = currentStream;
    if (in != null && System.nanoTime() - lastStreamActivity
        > config.eventStreamIdleTimeout.toNanos()) {
      LOG.log(Level.WARNING, "{0}: event stream silent for more than {1}; reconnecting", name,
          config.eventStreamIdleTimeout);
      closeQuietly(in);
    }
  }

  private void streamLoop() {
    int failures = 0;
    while (!closed) {
      streamConnected = false;
      try {
        streamOnce();
        if (closed) {
          return;
        }
        LOG.log(Level.INFO, "{0}: event stream ended; reconnecting", name);
      } catch (MarathonAuthenticationException e) {
        LOG.log(Level.ERROR, "{0}: event stream refused: {1}; polling continues and the stream"
            + " restarts after the next successful poll", name, e.getMessage());
        streamStoppedByAuth = true;
        runSerial(() -> safeListener(l -> l.onError(null, e)), () -> { });
        return;
      } catch (IOException | RuntimeException e) {
        if (closed) {
          return;
        }
        LOG.log(Level.WARNING, "{0}: event stream failed: {1}", name, e.getMessage());
        DiscoveryUnavailableException error = new DiscoveryUnavailableException(ALL,
            "event stream failed: " + e.getMessage(), e);
        runSerial(() -> safeListener(l -> l.onError(null, error)), () -> { });
      } catch (InterruptedException e) {
        return;
      }
      // The backoff restarts after a stream that connected; it grows while connecting fails.
      failures = streamConnected ? 1 : failures + 1;
      long delay = backoff.apply(failures);
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * Connects to the first URL that accepts the stream (following one redirect) and reads events
   * until the stream ends.
   */
  private void streamOnce() throws IOException, InterruptedException {
    StringBuilder query = new StringBuilder("/v2/events?plan-format=light");
    for (String type : EVENT_TYPES) {
      query.append("&event_type=").append(type);
    }
    HttpResponse<InputStream> response =
        http.connectEventStream(query.toString(), ALL, () -> closed);
    streamConnected = true;
    read(response);
  }

  private void read(HttpResponse<InputStream> response) throws IOException {
    InputStream body = response.body();
    lastStreamActivity = System.nanoTime();
    currentStream = body;
    URI at = response.uri();
    LOG.log(Level.INFO, "{0}: event stream connected to {1}://{2}", name, at.getScheme(),
        at.getRawAuthority());
    // Events may have been missed while disconnected.
    runSerial(this::resync, () -> { });
    try (InputStream in = new java.io.BufferedInputStream(new ActivityStream(body), 8192)) {
      SseReader reader = new SseReader(in, (int) Math.min(Integer.MAX_VALUE,
          config.maxResponseBytes));
      SseReader.Event e;
      while (!closed && (e = reader.next()) != null) {
        MarathonEvent ev;
        try {
          ev = MarathonEvent.decode(e.name(), e.data());
        } catch (IOException bad) {
          LOG.log(Level.WARNING, "{0}: skipping an unreadable event: {1}", name,
              bad.getMessage());
          continue;
        }
        runSerial(() -> onEvent(ev), () -> { });
      }
    } finally {
      currentStream = null;
    }
  }

  /** Records when bytes (heartbeats included) last arrived. */
  private final class ActivityStream extends java.io.FilterInputStream {
    ActivityStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      lastStreamActivity = System.nanoTime();
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      lastStreamActivity = System.nanoTime();
      return n;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle and helpers

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Thread t = streamThread;
    if (t != null) {
      t.interrupt();
    }
    InputStream in = currentStream;
    if (in != null) {
      closeQuietly(in);
    }
    serial.shutdownNow();
    parsers.shutdownNow();
  }

  /** Stops re-reading an app the resolver no longer caches (unless another watch uses it). */
  @Override
  public void forget(String serviceId) {
    runSerial(() -> {
      if (watches.remove(serviceId) != null) {
        LOG.log(Level.DEBUG, "{0}: no longer watching {1}", name, serviceId);
        prune();
      }
    }, () -> { });
  }

  private void runSerial(Runnable task, Runnable ifClosed) {
    try {
      serial.execute(task);
    } catch (RejectedExecutionException e) {
      ifClosed.run();
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException | RuntimeException ignored) {
      // Closing is best effort; the reader sees the stream end either way.
    }
  }

  private static String encodePath(String appId) {
    StringBuilder sb = new StringBuilder();
    for (String segment : appId.substring(1).split("/", -1)) {
      sb.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+",
          "%20"));
    }
    return sb.toString();
  }

  /**
   * Configures a {@link MarathonSource}. Setters validate their argument at once and throw
   * {@link IllegalArgumentException} for a bad one.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    /** Default connect timeout: 3 s (marathon-lb uses 3.05 s). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** Default request timeout: 30 s. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Default full-resync interval: 30 s. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(30);
    /** Default event-stream idle timeout: 30 s (Marathon sends a heartbeat every 10 s). */
    public static final Duration DEFAULT_EVENT_STREAM_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** Default first reconnect delay: 1 s, growing 1.5x per failure with 50% jitter. */
    public static final Duration DEFAULT_RECONNECT_INITIAL = Duration.ofSeconds(1);
    /** Default longest reconnect delay: 60 s. */
    public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(60);
    /**
     * Default response size limit: 256 MiB after decompression (a 10,000-app, 100,000-task
     * {@code /v2/apps?embed=apps.tasks} is about 85 MB).
     */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 256L << 20;

    private final List<URI> urls = new ArrayList<>();
    private Supplier<String> authorization;
    private SSLContext sslContext;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private boolean eventStream = true;
    private Duration eventStreamIdleTimeout = DEFAULT_EVENT_STREAM_IDLE_TIMEOUT;
    private Duration reconnectInitial = DEFAULT_RECONNECT_INITIAL;
    private Duration reconnectMax = DEFAULT_RECONNECT_MAX;
    private int portIndex;
    private String portName;
    private int fallbackPort;
    private String labelKey;
    private String labelValue;
    private MarathonHealthPolicy healthPolicy = MarathonHealthPolicy.ofDefaults();
    private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;

    private Builder() {}

    /**
     * Adds a Marathon base URL, e.g. {@code http://marathon-1:8080} or {@code
     * https://dcos/service/marathon}. URLs are tried in the order added.
     *
     * @throws IllegalArgumentException if it is not an absolute http(s) URL, or carries
     *     credentials (use {@link #basicAuth} instead)
     */
    public Builder url(String url) {
      Objects.requireNonNull(url, "url");
      URI uri;
      try {
        uri = URI.create(url.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a valid URL");
      }
      if (uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException(
            "Marathon URL must not carry credentials; use basicAuth() or dcosToken()");
      }
      if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
          || uri.getHost() == null) {
        throw new IllegalArgumentException("Marathon URL must be absolute http(s): " + uri);
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException("Marathon URL must not have a query or fragment: "
            + uri);
      }
      urls.add(uri);
      return this;
    }

    /** Adds several base URLs in order; see {@link #url(String)}. */
    public Builder urls(String... urls) {
      for (String u : urls) {
        url(u);
      }
      return this;
    }

    /** Sends HTTP basic credentials ({@code --http_credentials}); replaces a token. */
    public Builder basicAuth(String user, String password) {
      this.authorization = MarathonHttp.basicAuth(user, password);
      return this;
    }

    /** Sends a DC/OS ACS token as {@code Authorization: token=...}; replaces basic auth. */
    public Builder dcosToken(String token) {
      this.authorization = MarathonHttp.dcosToken(token);
      return this;
    }

    /**
     * Sends a DC/OS ACS token obtained from {@code token} on every request, so a renewed token is
     * picked up; replaces basic auth. The supplier must be fast and thread-safe; {@code null}
     * sends no header.
     */
    public Builder dcosToken(Supplier<String> token) {
      Objects.requireNonNull(token, "token");
      this.authorization = () -> {
        String t = token.get();
        return t == null ? null : "token=" + t;
      };
      return this;
    }

    /** TLS settings for https URLs (default: the JDK's default context). */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /** Bound on opening a connection (default 3 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Checks.positive(timeout, "connectTimeout");
      return this;
    }

    /** Bound on one REST request until its headers arrive (default 30 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Checks.positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * How often every loaded service is re-read with one {@code /v2/apps?embed=apps.tasks}
     * (default 30 s); {@link Duration#ZERO} turns periodic resync off.
     */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = Checks.notNegative(interval, "pollInterval");
      return this;
    }

    /** Whether to follow {@code /v2/events} (default true). */
    public Builder eventStream(boolean enabled) {
      this.eventStream = enabled;
      return this;
    }

    /** A stream with no byte, heartbeat included, for this long is reconnected (default 30 s). */
    public Builder eventStreamIdleTimeout(Duration timeout) {
      this.eventStreamIdleTimeout = Checks.positive(timeout, "eventStreamIdleTimeout");
      return this;
    }

    /**
     * Event-stream reconnect backoff: starts at {@code initial}, grows 1.5x per failure with 50%
     * jitter, capped at {@code max} (defaults 1 s and 60 s).
     *
     * @throws IllegalArgumentException if not positive or {@code max < initial}
     */
    public Builder reconnectBackoff(Duration initial, Duration max) {
      Checks.backoff(initial, max);
      this.reconnectInitial = initial;
      this.reconnectMax = max;
      return this;
    }

    /** Uses the port slot at this index (default 0); clears {@link #portName}. */
    public Builder portIndex(int index) {
      this.portIndex = Checks.atLeast(index, 0, "portIndex");
      this.portName = null;
      return this;
    }

    /**
     * Uses the port slot with this name (a port definition's or port mapping's {@code name}); an
     * app without such a slot fails its load with {@link DiscoveryUnavailableException}.
     */
    public Builder portName(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("portName must not be blank");
      }
      this.portName = name;
      return this;
    }

    /**
     * The port to use for apps that declare no port at all (IP per task on a virtual network
     * without port mappings); by default their tasks are skipped with a logged reason.
     */
    public Builder fallbackPort(int port) {
      this.fallbackPort = Checks.port(port, "fallbackPort");
      return this;
    }

    /**
     * Serves only apps whose label {@code key} equals {@code value} (e.g. {@code HAPROXY_GROUP},
     * {@code external}); other apps are unknown services.
     */
    public Builder labelFilter(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (key.isBlank()) {
        throw new IllegalArgumentException("label key must not be blank");
      }
      this.labelKey = key;
      this.labelValue = value;
      return this;
    }

    /** How task states and health-check results become instance health (default policy). */
    public Builder healthPolicy(MarathonHealthPolicy policy) {
      this.healthPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Responses (and single events) larger than this many bytes after decompression are refused
     * with {@link DiscoveryUnavailableException} (default 256 MiB). Bodies are parsed as they
     * stream in, never buffered whole.
     */
    public Builder maxResponseBytes(long bytes) {
      if (bytes < 1024 || bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("maxResponseBytes must be in 1 KiB..2 GiB, was "
            + bytes);
      }
      this.maxResponseBytes = bytes;
      return this;
    }

    /**
     * Builds the source. It does no I/O until the resolver calls {@code start} or {@code load}.
     *
     * @throws IllegalStateException if no URL was given
     */
    public MarathonSource build() {
      if (urls.isEmpty()) {
        throw new IllegalStateException("at least one Marathon URL is required");
      }
      return new MarathonSource(this.copy());
    }

    private Builder copy() {
      Builder b = new Builder();
      b.urls.addAll(urls);
      b.authorization = authorization;
      b.sslContext = sslContext;
      b.connectTimeout = connectTimeout;
      b.requestTimeout = requestTimeout;
      b.pollInterval = pollInterval;
      b.eventStream = eventStream;
      b.eventStreamIdleTimeout = eventStreamIdleTimeout;
      b.reconnectInitial = reconnectInitial;
      b.reconnectMax = reconnectMax;
      b.portIndex = portIndex;
      b.portName = portName;
      b.fallbackPort = fallbackPort;
      b.labelKey = labelKey;
      b.labelValue = labelValue;
      b.healthPolicy = healthPolicy;
      b.maxResponseBytes = maxResponseBytes;
      return b;
    }

    @Override
    public String toString() {
      return "MarathonSource.Builder{urls=" + urls + ", auth="
          + (authorization == null ? "none" : "(set)") + "}";
    }
  }
}
