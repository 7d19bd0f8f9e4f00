package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.spi.ServiceSource;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Resolves a service id to a live, healthy instance, in process.
 *
 * <pre>{@code
 * try (ServiceResolver resolver = ServiceResolver.builder()
 *     .source(MarathonSource.builder().url("http://marathon:8080").build())
 *     .strategy(LoadBalancingStrategy.peakEwma())
 *     .build()) {
 *   String body = resolver.call("/my-app", instance -> httpGet(instance.address(), "/hello"));
 * }
 * }</pre>
 *
 * <p>The first request for a service loads it from the source synchronously, bounded by {@link
 * Builder#loadTimeout(Duration)}; later requests read a cached, immutable picker. The snapshot is
 * refreshed in the background before it gets old (stale-while-revalidate), replaced at once when
 * the source pushes a change, kept when a refresh fails, and dropped after the service has not
 * been used for {@link Builder#idleExpiry(Duration)}.
 *
 * <p>Thread safety: every method is safe for concurrent use. {@code pick} takes no lock and
 * allocates nothing once the service is cached. One resolver should be shared by the whole
 * application.
 *
 * <p>Failure modes: {@link UnknownServiceException} when the source does not know the service,
 * {@link NoInstanceAvailableException} when it knows the service but nothing is routable, {@link
 * DiscoveryUnavailableException} when the source cannot answer and nothing is cached. All are
 * unchecked {@link DiscoveryException}s that name the service. A failure of a load that ran on a
 * source's thread is rethrown as a new exception of the same type with the source's exception as
 * its cause, so that its stack trace shows the calling code.
 *
 * <p>Service ids: every method that takes one applies the rule of {@link ServiceIds} first, for
 * every backend: {@code null} gets a {@link NullPointerException} saying so; a blank id, an id
 * over {@link ServiceIds#MAX_LENGTH} characters, an id with a control character or with an
 * empty, {@code .} or {@code ..} segment ({@code /a//b}, {@code /../x}) gets an {@link
 * IllegalArgumentException}, and no request reaches the source. Messages quote at most {@link
 * ServiceIds#QUOTE_LENGTH} characters of an id.
 *
 * <p>After {@link #close()}: {@code pick}, {@code select}, {@code call}, {@code instances} and
 * {@code watch} throw {@link IllegalStateException} ("resolver is closed"), also for services that
 * were cached; {@code track} returns a ticket whose reports have no effect; {@code status} is
 * empty and {@code cachedServices} and {@code statuses} are empty. A call that
 * got its instance before {@code close} completes normally, and its outcome report is accepted
 * and ignored; a call waiting for a first load when {@code close} runs ends at once with the same
 * {@code IllegalStateException}, whether or not the source ever answers, and the load leaves
 * nothing cached. {@code close} may run concurrently with picks.
 */
public interface ServiceResolver extends AutoCloseable {

  /**
   * Picks a routable instance of a service with the configured strategy.
   *
   * <p>Load- and latency-aware strategies ({@link LoadBalancingStrategy#leastInFlight()}, {@link
   * LoadBalancingStrategy#peakEwma()}) and passive health learn only from the outcome-reporting
   * forms, {@link #select(String)} and {@link #call(String, CheckedFunction)}; a plain {@code
   * pick} gives them nothing to learn from.
   *
   * <p>Each call looks the id up; code that picks from one service again and again can keep a
   * {@link #service(String)} handle instead, which skips that lookup.
   *
   * @throws UnknownServiceException if the source does not know the service
   * @throws NoInstanceAvailableException if nothing is routable
   * @throws DiscoveryUnavailableException if the source cannot answer and nothing is cached
   * @throws IllegalArgumentException if the id breaks the {@link ServiceIds} rule
   * @throws NullPointerException if the id is null
   * @throws IllegalStateException if the resolver is closed
   */
  Instance pick(String serviceId);

  /**
   * Picks with an affinity key: with {@link LoadBalancingStrategy#sticky()} the same key lands on
   * the same instance while it stays routable. Other strategies ignore the key.
   *
   * @param affinityKey a session or user id, for example; {@code null} means no affinity
   * @see #pick(String)
   */
  Instance pick(String serviceId, String affinityKey);

  /**
   * Picks and returns a {@link Selection} ticket on which the caller reports the outcome. Allocates
   * one small object per call.
   *
   * @see #pick(String)
   */
  Selection select(String serviceId);

  /** {@link #select(String)} with an affinity key. */
  Selection select(String serviceId, String affinityKey);

  /**
   * Selects, for a retry, an instance other than those in {@code avoid} whenever one is routable:
   * picks with the strategy; if that lands on an avoided instance, picks again a few times, then
   * takes the first routable instance not avoided. If every routable instance is avoided, the
   * ticket is for one of them (the strategy's pick); callers that must not retry on the same
   * instance compare and {@link Selection#release()} it. {@link #call} retries through this
   * method, and so does {@link dev.lodestar.discovery.http.LoadBalancedHttpClient}.
   *
   * @param avoid instances already tried in this call (compared with {@link Instance#equals})
   * @throws UnknownServiceException if the source does not know the service
   * @throws NoInstanceAvailableException if nothing is routable
   * @throws DiscoveryUnavailableException if the source cannot answer and nothing is cached
   */
  Selection selectAvoiding(String serviceId, Collection<Instance> avoid);

  /**
   * Starts outcome reporting for a call to an instance chosen earlier with {@link #pick}, for
   * integrations in which a call starts some time after the choice, or never: a gRPC channel
   * picks, then starts the stream only if the connection is still ready and otherwise picks
   * again. Tracking only the calls that start keeps in-flight counts exact, which {@code select}
   * at pick time could not. Does not load the service; takes no lock unless the instance is
   * outside the current picker's set (ejected or unhealthy); allocates one small object.
   *
   * @return a ticket as from {@link #select(String)}; if the service is not cached or no longer
   *     lists the instance, a ticket whose reports have no effect
   */
  Selection track(String serviceId, Instance instance);

  /**
   * Picks an instance, runs {@code call} against it, reports the outcome and, on a
   * connection-level failure (by default {@link ConnectException}, {@link
   * NoRouteToHostException}, {@link HttpConnectTimeoutException} anywhere in the cause chain),
   * retries on a different instance, up to {@link Builder#maxAttempts(int)} attempts in all
   * (resilience4j {@code Retry}). A retry never goes back to an instance this call already tried:
   * once every routable instance has been tried, the last attempt's failure is thrown, even if
   * attempts are left. Other exceptions are reported as failures and rethrown as they are, except
   * an {@link InterruptedException}: the caller gave up, so the instance is not charged with it
   * (the selection is released) and it is rethrown at once, never retried.
   *
   * @return what {@code call} returned
   * @throws Exception what the last attempt threw, or a {@link DiscoveryException}
   */
  <T> T call(String serviceId, CheckedFunction<Instance, T> call) throws Exception;

  /**
   * A handle on one service, for code that picks from the same service again and again: its
   * picks skip the service-id lookup. Loads nothing until its first pick; stays valid across
   * snapshot changes, idle expiry and removals (see {@link ServiceHandle}). Cheap; keep one per
   * service rather than creating one per call.
   *
   * @throws NullPointerException if {@code serviceId} is null
   */
  ServiceHandle service(String serviceId);

  /**
   * Follows a service: {@code watcher} gets its current snapshot as soon as it is loaded (loading
   * it now, asynchronously, if it is not cached), then every change the resolver applies, pushed
   * or refreshed. For integrations that keep their own copy of the instances, such as a gRPC name
   * resolver. A watched service does not idle-expire; close the watch to let it.
   *
   * @return the registration; {@link ServiceWatch#close()} ends it
   * @throws IllegalStateException if the resolver is closed
   */
  ServiceWatch watch(String serviceId, ServiceWatcher watcher);

  /**
   * All instances of the current snapshot, routable or not (see {@link Instance#health()}),
   * loading the service first if needed.
   *
   * @throws DiscoveryException as for {@link #pick(String)}, except that an empty service returns
   *     an empty list
   */
  List<Instance> instances(String serviceId);

  /**
   * What the resolver knows about a service, without loading it.
   *
   * @return the status, or empty if the service is not cached (always empty once closed)
   * @throws IllegalArgumentException if the id breaks the {@link ServiceIds} rule
   */
  java.util.Optional<ServiceStatus> status(String serviceId);

  /** Ids of the services currently cached. */
  java.util.Set<String> cachedServices();

  /** The status of every cached service, sorted by service id; for health endpoints. */
  List<ServiceStatus> statuses();

  /**
   * Stops background refreshes, closes the source and empties the cache. Idempotent; safe to
   * call while other threads pick. See the class comment for what later calls do.
   */
  @Override
  void close();

  /** Starts a builder. A source is required; everything else has a default. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Configures a {@link ServiceResolver}. Setters validate their argument at once.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  final class Builder {
    /** Default refresh interval: 30 s. */
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(30);
    /** Default bound on a first, synchronous load: 5 s. */
    public static final Duration DEFAULT_LOAD_TIMEOUT = Duration.ofSeconds(5);
    /** Default idle expiry: 10 min. */
    public static final Duration DEFAULT_IDLE_EXPIRY = Duration.ofMinutes(10);
    /** Default time a cached service survives refreshes that call it unknown: 1 min. */
    public static final Duration DEFAULT_UNKNOWN_SERVICE_GRACE = Duration.ofMinutes(1);
    /** Default attempts for {@link ServiceResolver#call}: 3. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** How far {@link #isConnectionFailure} follows a cause chain (a -> b -> a is legal). */
    private static final int MAX_CAUSE_DEPTH = 64;

    ServiceSource source;
    LoadBalancingStrategy strategy = LoadBalancingStrategy.roundRobin();
    HealthPolicy healthPolicy = HealthPolicy.ofDefaults();
    Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
    Duration loadTimeout = DEFAULT_LOAD_TIMEOUT;
    Duration idleExpiry = DEFAULT_IDLE_EXPIRY;
    Duration maxStaleness;
    Duration unknownServiceGrace = DEFAULT_UNKNOWN_SERVICE_GRACE;
    int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    Predicate<Throwable> retryOn = Builder::isConnectionFailure;
    LongSupplier ticker = System::nanoTime;
    ResolverListener listener;
    boolean recordPicks;
    Executor executor = ForkJoinPool.commonPool();
    ScheduledExecutorService scheduler;

    Builder() {}

    /** The source of instance lists (required). The resolver closes it on {@code close()}. */
    public Builder source(ServiceSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** The load-balancing strategy (default round-robin). */
    public Builder strategy(LoadBalancingStrategy strategy) {
      this.strategy = Objects.requireNonNull(strategy, "strategy");
      return this;
    }

    /** Passive health, panic and slow-start settings (default {@link HealthPolicy#ofDefaults()}). */
    public Builder healthPolicy(HealthPolicy healthPolicy) {
      this.healthPolicy = Objects.requireNonNull(healthPolicy, "healthPolicy");
      return this;
    }

    /**
     * How often a used service is refreshed in the background (default 30 s). A snapshot's own
     * {@link ServiceSnapshot#ttl() ttl} shortens it for that snapshot. Not used for a source that
     * {@linkplain dev.lodestar.discovery.spi.ServiceSource#keepsSnapshotsFresh() keeps its
     * snapshots fresh} by itself (Marathon with its event stream).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder refreshInterval(Duration refreshInterval) {
      this.refreshInterval = Checks.positive(refreshInterval, "refreshInterval");
      return this;
    }

    /**
     * Bound on the synchronous first load of a service (default 5 s); past it the caller gets
     * {@link DiscoveryUnavailableException}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder loadTimeout(Duration loadTimeout) {
      this.loadTimeout = Checks.positive(loadTimeout, "loadTimeout");
      return this;
    }

    /**
     * A service not used for this long is dropped from the cache (default 10 min), and its source
     * stops refreshing it. Use is a pick or select (through an id or a handle) or an open watch;
     * background refreshes and source pushes are not use. Measured at the maintenance rounds, so
     * a drop may come up to one round ({@code refreshInterval / 2}, at most 1 s) late.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder idleExpiry(Duration idleExpiry) {
      this.idleExpiry = Checks.positive(idleExpiry, "idleExpiry");
      return this;
    }

    /**
     * How long a snapshot may be served after its last successful refresh while refreshes fail;
     * past it the service is dropped and callers get {@link DiscoveryUnavailableException}.
     * Default: unbounded (the last good snapshot is served for as long as the source is down).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxStaleness(Duration maxStaleness) {
      this.maxStaleness = Checks.positive(maxStaleness, "maxStaleness");
      return this;
    }

    /**
     * How long a cached service keeps being served while background refreshes say it does not
     * exist (a DNS NXDOMAIN, a Mesos-DNS name without records, a Marathon 404), default 1 min. A name that vanishes for a moment
     * (a DNS server restarting with an empty zone) does not empty the cache; a service that is
     * really gone is dropped once the answers have said so for this long, and callers then get
     * {@link UnknownServiceException}. A source's explicit removal (a Marathon {@code
     * app_terminated_event}) drops the service at once. Zero drops it at the first such answer.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder unknownServiceGrace(Duration grace) {
      this.unknownServiceGrace = Checks.notNegative(grace, "unknownServiceGrace");
      return this;
    }

    /**
     * Attempts in all for {@link ServiceResolver#call} (default 3; 1 disables retries).
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = Checks.atLeast(maxAttempts, 1, "maxAttempts");
      return this;
    }

    /**
     * Which failures of {@link ServiceResolver#call} are retried on another instance (default:
     * connection-level failures, see {@link #isConnectionFailure(Throwable)}).
     */
    public Builder retryOn(Predicate<Throwable> retryOn) {
      this.retryOn = Objects.requireNonNull(retryOn, "retryOn");
      return this;
    }

    /** Receives load, snapshot, ejection and call events (for metrics); none by default. */
    public Builder listener(ResolverListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Counts every pick per service, shown as {@link ServiceStatus#picks()} (default off: the
     * count adds a striped-counter increment to the pick path).
     */
    public Builder recordPicks(boolean recordPicks) {
      this.recordPicks = recordPicks;
      return this;
    }

    /** Time source in nanoseconds, for tests (default {@link System#nanoTime()}). */
    public Builder ticker(LongSupplier ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Runs loads, refreshes and rebuilds (default the common fork-join pool). */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Schedules background maintenance (refresh checks, ejection expiry, slow-start steps).
     * Default: one daemon thread owned and shut down by the resolver. A scheduler given here is
     * not shut down by the resolver.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Builds the resolver and starts its source.
     *
     * @throws IllegalStateException if no source was set
     */
    public ServiceResolver build() {
      if (source == null) {
        throw new IllegalStateException("a source is required");
      }
      return new DefaultServiceResolver(this);
    }

    /**
     * Whether {@code error} or one of its causes is a connection-level failure: {@link
     * ConnectException}, {@link NoRouteToHostException} or {@link HttpConnectTimeoutException}.
     * Such a call never reached the application, so retrying it elsewhere is safe. Looks at
     * most 64 throwables down the chain, which may form a cycle.
     */
    public static boolean isConnectionFailure(Throwable error) {
      Throwable t = error;
      for (int depth = 0; t != null && depth < MAX_CAUSE_DEPTH; depth++, t = t.getCause()) {
        if (t instanceof ConnectException
            || t instanceof NoRouteToHostException
            || t instanceof HttpConnectTimeoutException) {
          return true;
        }
      }
      return false;
    }
  }
}
