package dev.lodestar.discovery;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.DaemonThreads;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The resolver. Picks read a plain concurrent map of {@link ServiceHolder}s (behind a small table
 * of recent lookups, see {@link #recent}); a Caffeine cache of
 * the same holders owns their lifecycle (idle expiry, maximum staleness, removal). First loads
 * are coalesced in {@link #loading} so that failed loads never enter the cache (Caffeine would
 * log each one as a warning, and an unknown service is not worth a warning).
 *
 * <p>Length (~730 lines): it implements {@link ServiceResolver}'s whole surface (pick, select,
 * call, watch, status) over one cache; per-service state is {@link ServiceHolder}'s and
 * ejection {@code OutlierDetector}'s, so what stays here is the cache and its refresh schedule.
 */
final class DefaultServiceResolver implements ServiceResolver {
  private static final System.Logger LOG = System.getLogger(ServiceResolver.class.getName());
  /** Refresh no more often than this, whatever a snapshot's TTL says. */
  private static final long MIN_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final ServiceSource source;
  // Copied from the builder, which stays mutable and reusable after build().
  private final LoadBalancingStrategy strategy;
  private final HealthPolicy healthPolicy;
  private final Duration refreshInterval;
  private final Duration loadTimeout;
  private final int maxAttempts;
  private final long unknownServiceGraceNanos;
  private final ResolverListener listener;
  private final ServiceWatchers watchers = new ServiceWatchers();
  private final boolean recordPicks;
  private final LongSupplier ticker;
  private final Executor executor;
  private final ConcurrentHashMap<String, ServiceHolder> holders = new ConcurrentHashMap<>();
  /**
   * Recent lookups in front of {@link #holders}, one holder per slot by the id's hash: {@code
   * pick(id)} with the id String the service was loaded with (a constant, typically) finds its
   * holder with one array read and a reference comparison of {@code holder.serviceId}, where the
   * map would hash, probe and compare. A slot is filled (compare-and-set from empty) after a map
   * hit and emptied when its holder is found retired, so two ids that share a slot never thrash
   * it: the second one uses the map. The map stays the one index of live holders; this only
   * remembers some of them, and a retired one it still holds picks null (the caller then looks
   * the service up again).
   */
  private final ServiceHolder[] recent = new ServiceHolder[RECENT_SLOTS];
  /** Acquire/release and compare-and-set on {@link #recent}'s slots (a plain array: one load). */
  private static final VarHandle RECENT = MethodHandles.arrayElementVarHandle(
      ServiceHolder[].class);
  private static final int RECENT_SLOTS = 64;
  /**
   * First loads under way, one per service, which callers of {@link #load} wait on. Added by
   * {@link #load}, removed when the load completes; {@link #close()} completes every one left
   * with the closed exception. No caller waits past close: close sets {@link #closed} before it
   * sweeps this map, and load adds its future before it reads {@link #closed}, so either the
   * sweep finds the future or load sees the flag.
   */
  private final ConcurrentHashMap<String, CompletableFuture<ServiceHolder>> loading =
      new ConcurrentHashMap<>();
  private final Cache<String, ServiceHolder> cache;
  private final Retry retry;
  private final IntervalFunction refreshBackoff;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final ScheduledFuture<?> maintenance;
  private volatile boolean closed;

  DefaultServiceResolver(ServiceResolver.Builder b) {
    this.source = b.source;
    this.strategy = b.strategy;
    this.healthPolicy = b.healthPolicy;
    this.refreshInterval = b.refreshInterval;
    this.loadTimeout = b.loadTimeout;
    this.maxAttempts = b.maxAttempts;
    this.unknownServiceGraceNanos = Checks.nanos(b.unknownServiceGrace);
    this.listener = b.listener != null ? b.listener : Notify.NONE;
    this.recordPicks = b.recordPicks;
    this.ticker = b.ticker;
    this.executor = b.executor;
    this.cache = Caffeine.newBuilder()
        .executor(executor)
        .ticker(ticker::getAsLong)
        .expireAfter(new ServiceExpiry(b.idleExpiry, b.maxStaleness))
        .removalListener((String id, ServiceHolder holder, RemovalCause cause) -> {
          if (holder != null && cause != RemovalCause.REPLACED) {
            if (holders.remove(id, holder)) {
              forget(id);
            }
            forgetRecent(id, holder);
            // After the map removal, so a retired holder is never found in the map: handles
            // that still hold it look the service up again.
            holder.retire();
            if (!closed && watchers.watched(id)) {
              watchers.onError(id, cause == RemovalCause.EXPLICIT
                  ? new UnknownServiceException(id, source.name() + " says it no longer exists")
                  : new DiscoveryUnavailableException(id, "dropped from the cache ("
                      + cause + "): no successful refresh within maxStaleness", null));
            }
            LOG.log(Level.DEBUG, () -> "dropped " + id + " from the cache (" + cause + ")");
          }
        })
        .build();
    this.retry = Retry.of("lodestar", RetryConfig.<Object>custom()
        .maxAttempts(b.maxAttempts)
        .waitDuration(Duration.ZERO)
        .retryOnException(t -> !(t instanceof NoOtherInstance)
            && !(t instanceof InterruptedException) && b.retryOn.test(t))
        .build());
    long refreshMillis = TimeUnit.NANOSECONDS.toMillis(Checks.nanos(b.refreshInterval));
    this.refreshBackoff = IntervalFunction.ofExponentialRandomBackoff(
        Math.min(1000L, Math.max(refreshMillis / 8, 1)), 2.0, 0.5, Math.max(refreshMillis, 2));
    this.ownsScheduler = b.scheduler == null;
    this.scheduler = ownsScheduler
        ? Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("lodestar-resolver-maintenance"))
        : b.scheduler;
    long period = Math.max(10, Math.min(1000, refreshMillis / 2));
    source.start(new Listener());
    this.maintenance = scheduler.scheduleWithFixedDelay(
        this::maintenanceQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  // ---- picking ----------------------------------------------------------------------------

  @Override
  public Instance pick(String serviceId) {
    return pick(serviceId, null);
  }

  @Override
  public Instance pick(String serviceId, String affinityKey) {
    if (serviceId != null) {
      ServiceHolder remembered = (ServiceHolder) RECENT.getAcquire(recent, recentSlot(serviceId));
      if (remembered != null && remembered.serviceId == serviceId) {
        Instance picked = remembered.pickInstance(affinityKey);
        if (picked != null) {
          return picked;
        }
      }
    }
    Instance picked = holder(serviceId).pickInstance(affinityKey);
    if (picked == null) { // the holder was dropped between the lookup and the pick
      picked = holder(serviceId).pickInstance(affinityKey);
      if (picked == null) {
        throw droppedWhilePicking(serviceId);
      }
    }
    return picked;
  }

  @Override
  public Selection select(String serviceId) {
    return select(serviceId, null);
  }

  @Override
  public Selection select(String serviceId, String affinityKey) {
    return select(serviceId, affinityKey, null);
  }

  @Override
  public Selection track(String serviceId, Instance instance) {
    Objects.requireNonNull(instance, "instance");
    ServiceHolder holder = serviceId == null ? null : holders.get(serviceId);
    ServiceState state = holder == null ? null : holder.state();
    if (state == null || state.retired) {
      ServiceIds.check(serviceId); // a cached id passed it when it was loaded
      return new DetachedSelection(instance);
    }
    return new TrackedSelection(holder, holder.view(state, instance, instance.weight()), ticker);
  }

  /**
   * A service dropped from the cache twice in a row around one pick: the resolver closing (then
   * the documented {@code IllegalStateException}), or removals racing a reload (callers may
   * retry).
   */
  RuntimeException droppedWhilePicking(String serviceId) {
    if (closed) {
      return closedException();
    }
    return new DiscoveryUnavailableException(
        serviceId, "dropped from the cache again while being reloaded", null);
  }

  @Override
  public ServiceHandle service(String serviceId) {
    Objects.requireNonNull(serviceId, "serviceId");
    return new CachedServiceHandle(this, serviceId, ticker);
  }

  @Override
  public <T> T call(String serviceId, CheckedFunction<Instance, T> call) throws Exception {
    // Both confined to this call's thread: resilience4j runs its attempts one by one in it.
    List<Instance> tried = new ArrayList<>(maxAttempts);
    Throwable[] lastFailure = new Throwable[1];
    try {
      return Retry.decorateCallable(retry, () -> {
        Selection selection;
        try {
          selection = select(serviceId, null, tried);
        } catch (NoInstanceAvailableException e) {
          throw e.withCallerStack(); // the pick path's exception is shared and stackless
        }
        if (lastFailure[0] != null && tried.contains(selection.instance())) {
          selection.release(); // not a call: no verdict on the instance
          throw new NoOtherInstance(lastFailure[0]);
        }
        tried.add(selection.instance());
        T result;
        try {
          result = call.apply(selection.instance());
        } catch (InterruptedException e) {
          selection.release(); // the caller gave up: no verdict on the instance, and no retry
          throw e;
        } catch (Exception | Error e) {
          selection.failure(e);
          lastFailure[0] = e;
          throw e;
        }
        selection.success();
        return result;
      }).call();
    } catch (NoOtherInstance e) {
      throw e.lastFailure();
    }
  }

  /**
   * Ends {@link #call}'s retries when every routable instance has been tried; never retried (see
   * the retry's predicate) and never seen by callers, who get the failure it carries.
   */
  private static final class NoOtherInstance extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Throwable failure;

    NoOtherInstance(Throwable failure) {
      super(null, null, false, false);
      this.failure = failure;
    }

    /** The failure to throw: an {@link Error} as it is, else the {@link Exception} it is. */
    Exception lastFailure() {
      if (failure instanceof Error) {
        throw (Error) failure;
      }
      return (Exception) failure;
    }
  }

  @Override
  public Selection selectAvoiding(String serviceId, Collection<Instance> avoid) {
    return select(serviceId, null, Objects.requireNonNull(avoid, "avoid"));
  }

  /**
   * The one selection path. Picks with the strategy (looking the service up again once if the
   * holder was dropped between the lookup and the pick); if the pick lands on an instance in
   * {@code tried}, picks again a few times and then takes the first untried endpoint of the
   * picker's set, so a retry goes to a different instance whenever one is routable.
   *
   * @param tried instances to avoid, or null (a first attempt: no check at all)
   */
  private Selection select(String serviceId, String affinityKey, Collection<Instance> tried) {
    ServiceHolder holder = holder(serviceId);
    EndpointView view = holder.pickView(affinityKey);
    if (view == null) {
      holder = holder(serviceId);
      view = holder.pickView(affinityKey);
      if (view == null) {
        throw droppedWhilePicking(serviceId);
      }
    }
    if (tried == null || !tried.contains(view.instance())) {
      return new TrackedSelection(holder, view, ticker);
    }
    Endpoint endpoint = view;
    List<Endpoint> candidates = holder.state().endpoints;
    for (int i = 0; i < candidates.size() && tried.contains(endpoint.instance()); i++) {
      Endpoint again = holder.pick(null);
      if (again == null) {
        break; // dropped meanwhile: the candidates below are still a valid answer
      }
      endpoint = again;
    }
    if (tried.contains(endpoint.instance())) {
      for (Endpoint candidate : candidates) {
        if (!tried.contains(candidate.instance())) {
          endpoint = candidate;
          break;
        }
      }
    }
    return new TrackedSelection(holder, holder.view(holder.state(), endpoint), ticker);
  }

  @Override
  public ServiceWatch watch(String serviceId, ServiceWatcher watcher) {
    ServiceIds.check(serviceId);
    Objects.requireNonNull(watcher, "watcher");
    if (closed) {
      throw closedException();
    }
    ResolverWatch watch = new ResolverWatch(this, serviceId, watcher);
    watchers.add(serviceId, watch);
    watch.refresh();
    return watch;
  }

  /** Whether {@link #close()} was called. */
  boolean isClosed() {
    return closed;
  }

  /** Runs loads, refreshes, rebuilds and watch deliveries. */
  Executor executor() {
    return executor;
  }

  /** The watchers of every service. */
  ServiceWatchers watchers() {
    return watchers;
  }

  @Override
  public List<Instance> instances(String serviceId) {
    return holder(serviceId).state().snapshot.instances();
  }

  @Override
  public Optional<ServiceStatus> status(String serviceId) {
    ServiceHolder holder = holders.get(ServiceIds.check(serviceId));
    if (holder == null) {
      return Optional.empty();
    }
    return Optional.of(status(holder));
  }

  private ServiceStatus status(ServiceHolder holder) {
    long now = ticker.getAsLong();
    ServiceState s = holder.state();
    Duration age = Duration.ofNanos(Math.max(now - holder.confirmedNanos(), 0));
    return new ServiceStatus(s.snapshot, age, s.routable, s.ejected, s.panic, holder.lastError(),
        holder.instanceStatuses(now), holder.picks());
  }

  @Override
  public List<ServiceStatus> statuses() {
    List<ServiceStatus> result = new ArrayList<>();
    for (ServiceHolder holder : holders.values()) {
      result.add(status(holder));
    }
    result.sort(Comparator.comparing(ServiceStatus::serviceId));
    return result;
  }

  @Override
  public Set<String> cachedServices() {
    return Set.copyOf(holders.keySet());
  }

  /** The cached holder, or a first load (bounded by the load timeout). */
  ServiceHolder holder(String serviceId) {
    // A cached holder's id passed ServiceIds.check when it was loaded; null is not a key.
    if (serviceId != null) {
      int slot = recentSlot(serviceId);
      ServiceHolder remembered = (ServiceHolder) RECENT.getAcquire(recent, slot);
      if (remembered != null) {
        boolean retired = remembered.retired();
        if (remembered.serviceId == serviceId && !retired) {
          return remembered;
        }
        if (retired) { // dropped from the cache: free the slot, look the service up again
          RECENT.compareAndSet(recent, slot, remembered, null);
          remembered = null;
        }
      }
      ServiceHolder holder = holders.get(serviceId);
      if (holder != null) {
        if (remembered == null) {
          RECENT.compareAndSet(recent, slot, (ServiceHolder) null, holder);
        }
        return holder;
      }
    }
    return load(serviceId);
  }

  static int recentSlot(String id) {
    int h = id.hashCode();
    return (h ^ (h >>> 16)) & (RECENT_SLOTS - 1);
  }

  private void forgetRecent(String id, ServiceHolder holder) {
    RECENT.compareAndSet(recent, recentSlot(id), holder, (ServiceHolder) null);
  }

  /** The slow path: the first request for a service waits for its load, bounded. */
  private ServiceHolder load(String serviceId) {
    ServiceIds.check(serviceId);
    if (closed) {
      throw closedException();
    }
    CompletableFuture<ServiceHolder> future = loading.get(serviceId);
    if (future == null) {
      CompletableFuture<ServiceHolder> mine = new CompletableFuture<>();
      future = loading.putIfAbsent(serviceId, mine);
      if (future == null) {
        future = mine;
        firstLoad(serviceId).whenComplete((holder, error) -> {
          loading.remove(serviceId, mine);
          if (error != null) {
            mine.completeExceptionally(error);
          } else {
            mine.complete(holder);
          }
        });
      }
    }
    if (closed) {
      throw closedException(); // close() may have swept the loads before this one was added
    }
    try {
      return future.get(Checks.nanos(loadTimeout), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (closed) {
        throw closedException();
      }
      throw new DiscoveryUnavailableException(
          serviceId, source.name() + " gave no answer within " + loadTimeout, e);
    } catch (ExecutionException e) {
      throw translate(serviceId, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DiscoveryUnavailableException(serviceId, "interrupted while loading", e);
    }
  }

  private RuntimeException translate(String serviceId, Throwable error) {
    Throwable cause = Futures.unwrap(error);
    if (closed) {
      // close() ran while this load was under way; whatever the source said, the answer is
      // the documented one.
      IllegalStateException e = closedException();
      e.initCause(cause);
      return e;
    }
    if (cause instanceof DiscoveryException) {
      // Created on a source's thread: rethrow a copy that carries this caller's stack.
      return ((DiscoveryException) cause).rethrownInCaller();
    }
    return new DiscoveryUnavailableException(
        serviceId, source.name() + " failed: " + cause, cause);
  }

  // ---- loading and refreshing -------------------------------------------------------------

  private CompletableFuture<ServiceHolder> firstLoad(String serviceId) {
    return loadSnapshot(serviceId).thenApply(snapshot -> {
      ServiceHolder holder = new ServiceHolder(
          serviceId, strategy, healthPolicy, ticker, listener, watchers, recordPicks);
      accept(holder, snapshot, true);
      return holder;
    });
  }

  /**
   * The one place where a snapshot from a first load, a refresh or a push lands: the holder
   * applies it and schedules its next refresh, and the cache records the write (which restarts
   * the staleness clock) if the holder is still the cached one.
   *
   * @param first whether {@code holder} is new (a first load): it is then put in the map
   */
  private void accept(ServiceHolder holder, ServiceSnapshot snapshot, boolean first) {
    holder.apply(snapshot, ticker.getAsLong() + refreshAfterNanos(snapshot));
    String id = holder.serviceId;
    if (first) {
      holders.put(id, holder);
      if (closed) {
        // close() ran while this first load was under way: leave nothing behind it.
        holders.remove(id, holder);
        throw closedException();
      }
    }
    if (holders.get(id) == holder) {
      cache.put(id, holder);
    }
  }

  private CompletableFuture<ServiceSnapshot> loadSnapshot(String serviceId) {
    long start = ticker.getAsLong();
    CompletableFuture<ServiceSnapshot> future;
    try {
      future = source.load(serviceId);
    } catch (RuntimeException e) { // a source that breaks its contract must not break us
      future = CompletableFuture.failedFuture(e);
    }
    if (future == null) { // nor one that returns no future (load would wait on nothing for ever)
      future = CompletableFuture.failedFuture(
          new IllegalStateException(source.name() + ".load returned null"));
    }
    return future.thenApply(snapshot -> {
      if (!snapshot.serviceId().equals(serviceId)) {
        throw new IllegalStateException(source.name() + " answered " + snapshot.serviceId()
            + " when asked for " + serviceId);
      }
      return snapshot;
    }).whenComplete((snapshot, error) -> {
      if (listener != Notify.NONE) {
        Duration latency = Duration.ofNanos(Math.max(ticker.getAsLong() - start, 0));
        Notify.run(() -> listener.onLoad(serviceId, latency, error == null ? null : Futures.unwrap(error)));
      }
    });
  }


  private long refreshAfterNanos(ServiceSnapshot snapshot) {
    long interval = Checks.nanos(refreshInterval);
    if (snapshot.ttl().isPresent()) {
      // Refresh ahead of expiry: at three quarters of the TTL.
      long ttl = Checks.nanos(snapshot.ttl().get());
      interval = Math.min(interval, Math.max(ttl / 4 * 3, MIN_REFRESH_NANOS));
    }
    return interval;
  }

  /** Reloads one service in the background; a failure keeps the current snapshot. */
  void refresh(ServiceHolder holder) {
    if (closed || !holder.beginRefresh()) {
      return;
    }
    String id = holder.serviceId;
    loadSnapshot(id).whenComplete((snapshot, error) -> {
      try {
        long now = ticker.getAsLong();
        if (error == null) {
          accept(holder, snapshot, false);
          return;
        }
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof UnknownServiceException) {
          long since = holder.unknownSince(now);
          if (now - since >= unknownServiceGraceNanos) {
            LOG.log(Level.INFO, () -> id + " no longer exists according to " + source.name()
                + " (" + cause.getMessage() + ")");
            remove(id, holder); // not a holder loaded since this one was dropped
            return;
          }
        }
        recordError(holder, cause, now);
      } finally {
        holder.endRefresh();
      }
    });
  }

  private void recordError(ServiceHolder holder, Throwable cause, long now) {
    if (holder.refreshFailed(cause, now,
        failures -> TimeUnit.MILLISECONDS.toNanos(refreshBackoff.apply(failures)))) {
      // Logged once per run of failures, not once per attempt or per pick.
      LOG.log(Level.WARNING, () -> "refreshing " + holder.serviceId + " from " + source.name()
          + " failed; serving the last good snapshot: " + cause);
    }
  }

  private void remove(String serviceId) {
    ServiceHolder holder = holders.remove(serviceId);
    if (holder != null) {
      holder.retire();
      cache.invalidate(serviceId);
      forget(serviceId);
    }
  }

  /**
   * {@link #remove(String)} if {@code holder} is still the service's holder: the answer to its
   * refresh may come after it was dropped and the service loaded again into another.
   */
  private void remove(String serviceId, ServiceHolder holder) {
    if (holders.remove(serviceId, holder)) {
      holder.retire();
      cache.asMap().remove(serviceId, holder);
      forget(serviceId);
    }
  }

  private void forget(String serviceId) {
    if (closed) {
      return;
    }
    try {
      source.forget(serviceId);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, source.name() + ".forget(" + serviceId + ") threw", e);
    }
  }

  /**
   * Periodic work: tells the cache which services were used, refreshes those that are due,
   * rebuilds pickers whose timed events (ejection end, slow-start step) came, and runs the cache's
   * expiry. Package-private so tests with a fake ticker can drive it.
   */
  synchronized void runMaintenance() {
    if (closed) {
      return;
    }
    long now = ticker.getAsLong();
    // A source that pushes every change needs no timer-driven reload (see ServiceSource).
    boolean sourcePushes = source.keepsSnapshotsFresh();
    for (ServiceHolder holder : holders.values()) {
      // A watched service counts as used: its watchers depend on its refreshes and pushes.
      boolean accessed = holder.takeAccessed();
      if (accessed || watchers.watched(holder.serviceId)) {
        holder.markUsed(now);
        cache.getIfPresent(holder.serviceId); // the read makes ServiceExpiry move the deadline
      }
      if (!sourcePushes && holder.refreshDue(now)) {
        refresh(holder);
      } else if (sourcePushes && holder.unknownFor(now, unknownServiceGraceNanos)) {
        String id = holder.serviceId;
        LOG.log(Level.INFO, () -> id + " no longer exists according to " + source.name());
        remove(id);
        continue;
      }
      holder.tick(now);
    }
    cache.cleanUp();
  }

  /**
   * One scheduled round. Whatever it throws is logged, an Error included (a source's or a
   * strategy's bug): a scheduled task that throws is never run again, and with it would go every
   * refresh, return from ejection and idle expiry. Only a {@link VirtualMachineError} goes on.
   */
  private void maintenanceQuietly() {
    try {
      runMaintenance();
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError) {
        throw e;
      }
      LOG.log(Level.ERROR, "resolver maintenance failed", e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    maintenance.cancel(false);
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    try {
      source.close();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "closing " + source.name() + " failed", e);
    }
    // Retired at once (not in the cache's asynchronous removal listener), so that handles
    // fail from now on as pick(id) does.
    holders.values().forEach(ServiceHolder::retire);
    holders.clear();
    cache.invalidateAll();
    // A source need not complete its loads when closed: end the waits for first loads now, with
    // the exception every other call gets after close (a late answer then finds nothing to do).
    for (CompletableFuture<ServiceHolder> load : loading.values()) {
      load.completeExceptionally(closedException());
    }
    loading.clear();
  }

  private static IllegalStateException closedException() {
    return new IllegalStateException("resolver is closed");
  }

  @Override
  public String toString() {
    return "ServiceResolver{source=" + source.name() + ", strategy=" + strategy.name()
        + ", services=" + holders.keySet() + "}";
  }

  /** Pushes from the source. Serialized per source, never throws back into it. */
  private final class Listener implements SnapshotListener {
    @Override
    public void onSnapshot(ServiceSnapshot snapshot) {
      ServiceHolder holder = holders.get(snapshot.serviceId());
      if (holder == null || closed) {
        return; // nobody asked for this service
      }
      accept(holder, snapshot, false);
    }

    @Override
    public void onRemoved(String serviceId) {
      remove(serviceId);
    }

    @Override
    public void onError(String serviceId, Throwable error) {
      if (serviceId == null) {
        LOG.log(Level.DEBUG, () -> source.name() + " reported " + error);
        return;
      }
      ServiceHolder holder = holders.get(serviceId);
      if (holder != null) {
        long now = ticker.getAsLong();
        if (error instanceof UnknownServiceException) {
          // Served until unknownServiceGrace ends (see runMaintenance), as for refreshes.
          holder.unknownSince(now);
        }
        recordError(holder, error, now);
      }
    }

    @Override
    public void onResyncRequested() {
      for (ServiceHolder holder : holders.values()) {
        refresh(holder);
      }
    }
  }
}
