package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.DaemonThreads;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A {@link ServiceSource} that reads service instances from Marathon: apps and their tasks over
 * the REST API, changes pushed over the {@code /v2/events} stream. Its cost on Marathon grows with
 * what the client watches, not with the size of the cluster.
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
 * <p><b>Reads.</b> The first {@link #load} of an app GETs {@code /v2/apps/{id}?embed=app.tasks};
 * an app with a {@code HAPROXY_DEPLOYMENT_GROUP} label is then always read together with the
 * other colour of its group, by Marathon's label selector ({@code
 * /v2/apps?embed=apps.tasks&label=HAPROXY_DEPLOYMENT_GROUP==g}), so its drain state is the same
 * whichever way it was read or updated. A port lookup reads the lean app list ({@code /v2/apps}
 * without tasks: definitions only) to find the apps behind the port, then reads those apps; the
 * lean list is re-read at the resync interval and after deployments, never the full list with
 * tasks. Responses are asked for gzip. Bodies are parsed with a streaming Jackson parser and
 * refused past {@link Builder#maxResponseBytes(long)}, without buffering the body. Every Marathon
 * shape since 0.x is read: host networking ({@code portDefinitions} or the legacy {@code ports}),
 * Docker and UCR bridge, IP per task ({@code ipAddresses} and the container port), the pre-1.5
 * {@code container.docker} layout and the 1.5+ {@code networks}. The port is chosen by {@link
 * Builder#portIndex(int)} or {@link Builder#portName(String)}; every named slot also appears in
 * {@link Instance#namedPorts()}. Health follows the {@link MarathonHealthPolicy}.
 *
 * <p><b>Keeping fresh.</b> After {@link #start}, the source keeps one {@code /v2/events}
 * connection (unless {@link Builder#eventStream(boolean) disabled}), asking Marathon to send only
 * the event types it uses, and {@link #keepsSnapshotsFresh() tells the resolver} not to poll. Task
 * states, new running tasks (host and ports), health and kills are applied from the event payload
 * at once; an event whose payload is not enough (a deployment, a new app definition, one check of
 * several passing, or failing under {@link MarathonHealthPolicy.CheckRule#ANY_ALIVE}) schedules
 * one confirming read of that app, coalesced and delayed by a random 1-10 s. Each watched app is
 * re-read at {@link Builder#resyncInterval(Duration)} (default 20 min,
 * jittered ±50%) as a safety net for missed or reordered events. With the stream down or disabled,
 * each app is polled at {@link Builder#pollInterval(Duration)} (jittered) instead. A stream that
 * drops is reconnected after a random delay within {@link Builder#reconnectSpread(Duration)},
 * then with jittered exponential backoff (a stream that ends within 10 s without an event counts
 * as a failed connect, see {@link Builder#reconnectBackoff}); after it reconnects, every app is
 * re-read once at a random moment within {@link Builder#reconnectResyncWindow(Duration)}
 * (default 10 min), so a fleet reconnecting after a leader failover does not hit the new leader
 * at once.
 *
 * <p><b>Several URLs.</b> Connect errors, timeouts and 5xx answers (502 and 503 mean "no leader")
 * move on to the next URL; the URL that answered last is tried first next time. A redirect (a
 * standby answers the event stream with one) is followed once with the same credentials, unless
 * it leads from https to plain http, where the credentials are withheld. The event stream goes
 * through the same code as the REST reads.
 *
 * <p><b>Failure modes.</b> {@link #load} never throws: an unknown app (404, or an app outside the
 * label filter) fails the future with {@link UnknownServiceException}; 401/403 with {@link
 * MarathonAuthenticationException} (not retried on other URLs); everything else (all URLs down, a
 * malformed or truncated or oversized document, a 200 answer without the app, an app without the
 * configured port name, an app whose every task is unusable) with {@link
 * DiscoveryUnavailableException}, so a resolver keeps its last good snapshot. A bad task (no
 * host, an invalid host, port 0 or outside 1..65535) is skipped with a logged reason. For a
 * service already loaded, a later 404 is pushed to {@link SnapshotListener#onError} as an {@link
 * UnknownServiceException}, which a resolver serves through its unknown-service grace; a 200
 * without the app, an empty list or a list that lost more than half of its apps is logged once at
 * WARNING and never replaces the last good state. Only {@code app_terminated_event} removes a
 * service at once.
 *
 * <p><b>Threads.</b> Each source owns one daemon thread that applies responses and events and
 * calls the listener (so listener calls never overlap), one daemon thread for the event stream and
 * up to four daemon threads, idle ones ending, that parse response bodies as they stream in (a
 * body that stalls is cut off after the request timeout). Several sources may share one {@link
 * HttpClient} ({@link Builder#httpClient}). {@link #close()} stops them all.
 *
 * <p>Credentials never appear in {@link #name()}, {@link #toString()}, logs or exceptions.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class MarathonSource implements ServiceSource {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final Builder config;
  private final String name;
  private final ScheduledExecutorService serial;
  private final ThreadPoolExecutor parsers;
  private final MarathonSync sync;
  private volatile boolean closed;
  private volatile boolean started;

  private MarathonSource(Builder b) {
    this.config = b;
    this.name = "marathon" + b.urls;
    HttpClient client = b.httpClient != null ? b.httpClient
        : MarathonHttp.newClient(b.connectTimeout, b.sslContext);
    MarathonHttp http = new MarathonHttp(b.urls, client, b.authorization, b.requestTimeout,
        b.maxResponseBytes);
    InstanceMapper mapper = new InstanceMapper(b.healthPolicy, b.portIndex, b.portName,
        b.fallbackPort);
    int id = SEQUENCE.incrementAndGet();
    this.serial = Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("lodestar-marathon-" + id));
    this.parsers = new ThreadPoolExecutor(4, 4, 10, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), DaemonThreads.numbered("lodestar-marathon-" + id + "-parse"));
    parsers.allowCoreThreadTimeOut(true);
    this.sync = new MarathonSync(b, name, http, serial, parsers, mapper);
  }

  /** Starts a builder; at least one URL is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The service id that looks up every task behind a service port: {@code port:<n>}. */
  public static String servicePortId(int servicePort) {
    Checks.port(servicePort, "servicePort");
    return ServiceKey.PORT_PREFIX + servicePort;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return "MarathonSource{" + name + ", eventStream=" + config.eventStream + ", pollInterval="
        + config.pollInterval + ", resyncInterval=" + config.resyncInterval + ", "
        + config.healthPolicy + "}";
  }

  @Override
  public CompletableFuture<ServiceSnapshot> load(String serviceId) {
    try {
      ServiceIds.check(serviceId);
    } catch (IllegalArgumentException | NullPointerException e) {
      return CompletableFuture.failedFuture(e); // before any request: /../x never reaches Marathon
    }
    if (closed) {
      return CompletableFuture.failedFuture(sync.closedError(serviceId));
    }
    ServiceKey key;
    try {
      key = ServiceKey.of(serviceId);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new UnknownServiceException(serviceId,
          e.getMessage()));
    }
    return sync.load(serviceId, key);
  }

  /**
   * True once started, while the event stream is up or the source polls by itself ({@link
   * Builder#pollInterval} not zero): the resolver then does not poll this source.
   */
  @Override
  public boolean keepsSnapshotsFresh() {
    return started && !closed && sync.keepsFresh();
  }

  @Override
  public void start(SnapshotListener listener) {
    Objects.requireNonNull(listener, "listener");
    if (closed || started) {
      return;
    }
    started = true;
    sync.start(listener);
  }

  /** Stops re-reading an app the resolver no longer caches (unless another watch uses it). */
  @Override
  public void forget(String serviceId) {
    sync.forget(serviceId);
  }

  /**
   * Stops the event stream and the source's threads. Every {@link #load} not completed yet fails
   * with {@link DiscoveryUnavailableException}, also one whose work was still queued; later loads
   * fail the same way. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    sync.close();
    serial.shutdownNow(); // drops queued work: the loads waiting on it are failed below
    parsers.shutdownNow();
    sync.failPendingLoads();
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
    /** Default per-app poll interval while no event stream is up: 30 s. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(30);
    /**
     * Default per-app safety resync interval while the event stream is up: 20 min, so that 1,000
     * clients watching 10 apps each cost Marathon about 8 reads/s in steady state.
     */
    public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofMinutes(20);
    /** Default window over which the first reconnect after a dropped stream is spread: 30 s. */
    public static final Duration DEFAULT_RECONNECT_SPREAD = Duration.ofSeconds(30);
    /**
     * Default window for the re-reads after a stream reconnect: 10 min, so that 1,000 clients
     * watching 10 apps each that reconnect to a new leader together cost it about 17 reads/s.
     */
    public static final Duration DEFAULT_RECONNECT_RESYNC_WINDOW = Duration.ofMinutes(10);
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

    // Package-private: read by the source's internals, set only through the setters.
    final List<URI> urls = new ArrayList<>();
    Supplier<String> authorization;
    SSLContext sslContext;
    HttpClient httpClient;
    Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    Duration pollInterval = DEFAULT_POLL_INTERVAL;
    Duration resyncInterval = DEFAULT_RESYNC_INTERVAL;
    boolean eventStream = true;
    Duration eventStreamIdleTimeout = DEFAULT_EVENT_STREAM_IDLE_TIMEOUT;
    Duration reconnectInitial = DEFAULT_RECONNECT_INITIAL;
    Duration reconnectMax = DEFAULT_RECONNECT_MAX;
    Duration reconnectSpread = DEFAULT_RECONNECT_SPREAD;
    Duration reconnectResyncWindow = DEFAULT_RECONNECT_RESYNC_WINDOW;
    int portIndex;
    String portName;
    int fallbackPort;
    String labelKey;
    String labelValue;
    MarathonHealthPolicy healthPolicy = MarathonHealthPolicy.ofDefaults();
    long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;

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

    /**
     * Bound on one REST request until its headers arrive, and again on reading its body (default
     * 30 s): a body still arriving one timeout after the headers fails the read.
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Checks.positive(timeout, "requestTimeout");
      return this;
    }

    /**
     * While the event stream is down or disabled, every watched app is re-read this often,
     * jittered ±50% (default 30 s); {@link Duration#ZERO} turns polling off (a resolver then
     * polls through {@link #load} at its own refresh interval).
     */
    public Builder pollInterval(Duration interval) {
      Objects.requireNonNull(interval, "pollInterval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("pollInterval must not be negative, was " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * While the event stream is up, every watched app is still re-read this often, jittered
     * ±50% (default 20 min), to heal a missed or reordered event (the stream's reconnects heal
     * most of those sooner: every reconnect re-reads every app);
     * after a stream reconnect, every app is re-read once within {@link #reconnectResyncWindow}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder resyncInterval(Duration interval) {
      this.resyncInterval = Checks.positive(interval, "resyncInterval");
      return this;
    }

    /**
     * After an event stream that was up drops, the first reconnect waits a random time within
     * this window (default 30 s), so that the clients of a Marathon that lost its leader do not
     * all reconnect in the same second. Events that arrive meanwhile are caught up by the per-app
     * re-read after the reconnect; lower it for a small fleet. A stream that ends within 10 s of
     * connecting without delivering an event is not "up": it waits for the {@link
     * #reconnectBackoff backoff} plus a random time within this window, so even a zero spread
     * never reconnects in a loop.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder reconnectSpread(Duration spread) {
      Objects.requireNonNull(spread, "reconnectSpread");
      if (spread.isNegative()) {
        throw new IllegalArgumentException("reconnectSpread must not be negative, was " + spread);
      }
      this.reconnectSpread = spread;
      return this;
    }

    /**
     * After the event stream reconnects, events may have been missed, so every watched app is
     * re-read once at a random moment within this window (default 10 min; never later than the
     * {@link #resyncInterval resync interval}), also an app polled or loaded while the stream was
     * down (a read in flight at the reconnect is repeated within the window after it lands). The
     * spread keeps a fleet that reconnects to a new leader together from reading every app at
     * once: the polls the outage armed are replaced by these re-reads, not kept. Until its
     * re-read, an app is served as last known. The first connect counts too (a load read before
     * the stream attached may have missed events): a client's start costs one more read per app,
     * spread over this window. Lower it for a small fleet, or for a source that reads a local
     * relay (for example 5 s), where re-reads are cheap.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder reconnectResyncWindow(Duration window) {
      this.reconnectResyncWindow = Checks.positive(window, "reconnectResyncWindow");
      return this;
    }

    /**
     * Sends every request through this client instead of one the source builds, so that many
     * sources in one JVM share connections and threads. The source does not close it. It should
     * not follow redirects itself ({@link HttpClient.Redirect#NEVER}): the source follows one
     * redirect with credentials re-sent, as Marathon's standbys require (never from https to
     * plain http). {@link #sslContext} and
     * {@link #connectTimeout} then do not apply; configure them on the client.
     */
    public Builder httpClient(HttpClient client) {
      this.httpClient = Objects.requireNonNull(client, "client");
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
     * jitter, capped at {@code max} (defaults 1 s and 60 s). A failure is a connect that fails,
     * or a stream that ends within 10 s of connecting without delivering an event (a proxy or a
     * standby that accepts and closes; such a reconnect also waits a random time within the
     * {@link #reconnectSpread spread}). The backoff resets once a stream stayed up 10 s or
     * delivered an event.
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
      if (index < 0) {
        throw new IllegalArgumentException("portIndex must be >= 0, was " + index);
      }
      this.portIndex = index;
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
      this.maxResponseBytes = MarathonHttp.checkMaxResponseBytes(bytes);
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
      b.httpClient = httpClient;
      b.resyncInterval = resyncInterval;
      b.reconnectSpread = reconnectSpread;
      b.reconnectResyncWindow = reconnectResyncWindow;
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
