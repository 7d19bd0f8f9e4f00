package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.balance.Picker;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Everything the resolver keeps for one service. Readers (the pick path) read {@link #state}
 * once, without locks. Writers (snapshot updates, ejections, timed rebuilds) hold this object's
 * lock and publish a new immutable {@link ServiceState}.
 */
final class ServiceHolder {
  private static final System.Logger LOG = System.getLogger(ServiceResolver.class.getName());
  private static final double SLOW_START_MIN_FACTOR = 0.1;
  private static final int SLOW_START_STEPS = 10;

  final String serviceId;
  private final LoadBalancingStrategy strategy;
  private final HealthPolicy policy;
  private final LongSupplier ticker;
  final ResolverListener listener;
  private final ServiceWatchers watchers;
  /** Pick counter, or null when picks are not recorded (the common case: nothing on the path). */
  private final LongAdder picks;

  private volatile ServiceState state;
  /** Set by picks, cleared by maintenance: tells the cache the service is still in use. */
  volatile boolean accessed;
  volatile long confirmedNanos;
  volatile long nextRefreshNanos;
  volatile Throwable lastError;
  /** When refreshes started calling the service unknown; 0 while they do not. */
  volatile long unknownSinceNanos;
  int failedRefreshes;
  final AtomicBoolean refreshing = new AtomicBoolean();

  private final Map<String, InstanceStats> stats = new HashMap<>(); // guarded by this
  /**
   * Logging and listener calls made while holding the lock, run after it is released: a slow log
   * handler must never hold up picks of a rebuilt picker, reports or snapshot updates.
   */
  private final List<Runnable> deferred = new ArrayList<>(); // guarded by this

  ServiceHolder(String serviceId, LoadBalancingStrategy strategy, HealthPolicy policy,
      LongSupplier ticker, ResolverListener listener, ServiceWatchers watchers,
      boolean recordPicks) {
    this.serviceId = serviceId;
    this.strategy = strategy;
    this.policy = policy;
    this.ticker = ticker;
    this.listener = listener;
    this.watchers = watchers;
    this.picks = recordPicks ? new LongAdder() : null;
  }

  /**
   * The hot path: one volatile read and the picker.
   *
   * @return the picked endpoint, or null when this holder is retired (dropped from the cache):
   *     the caller looks the service up again
   * @throws NoInstanceAvailableException the state's shared, stackless one, if nothing is routable
   */
  Endpoint pick(String affinityKey) {
    ServiceState s = touch();
    Picker picker = s.picker;
    if (picker == null) {
      return noPicker(s);
    }
    return picker.pick(affinityKey);
  }

  /** {@link #pick} for the outcome-reporting path: the endpoint with its feedback target. */
  EndpointView pickView(String affinityKey) {
    ServiceState s = touch();
    Picker picker = s.picker;
    if (picker == null) {
      return noPicker(s);
    }
    return view(s, picker.pick(affinityKey));
  }

  /**
   * The feedback target of a picked endpoint: the endpoint itself when the resolver built it
   * (the common case: one type check), else {@link #view(ServiceState, Instance, double)}.
   */
  EndpointView view(ServiceState s, Endpoint picked) {
    if (picked instanceof EndpointView) {
      return (EndpointView) picked;
    }
    return view(s, picked.instance(), picked.weight());
  }

  /**
   * The endpoint of {@code instance} in the state's picker set (lock-free), else one over the
   * live stats of a listed instance outside it (an ejected one, say; under this holder's lock,
   * off the pick path), else a detached one whose reports reach nothing but the selection.
   */
  EndpointView view(ServiceState s, Instance instance, double weight) {
    EndpointView view = s.endpointOf(instance.instanceId());
    if (view != null) {
      return view;
    }
    InstanceStats st = statsOf(instance.instanceId());
    if (st == null) {
      st = new InstanceStats(instance.instanceId(), ticker, Long.MIN_VALUE);
    }
    return new EndpointView(instance, st, weight);
  }

  /** The stats of a listed instance, or null. */
  private synchronized InstanceStats statsOf(String instanceId) {
    return stats.get(instanceId);
  }

  private ServiceState touch() {
    if (!accessed) {
      accessed = true;
    }
    if (picks != null) {
      picks.increment();
    }
    return state;
  }

  private static EndpointView noPicker(ServiceState s) {
    if (s.retired) {
      return null;
    }
    throw s.failure();
  }

  /**
   * Marks this holder as dropped from the cache: picks through it (a {@link ServiceHandle} that
   * still holds it, a pick racing the removal) return null and go to the current holder.
   */
  void retire() {
    synchronized (this) {
      ServiceState s = state;
      if (s != null && !s.retired) {
        state = s.retire();
      }
    }
  }

  /** Whether {@link #retire()} was called. */
  boolean retired() {
    ServiceState s = state;
    return s != null && s.retired;
  }

  ServiceState state() {
    return state;
  }

  /** Applies a snapshot from a load, refresh or push; drops it if nothing changed. */
  void apply(ServiceSnapshot snapshot) {
    synchronized (this) {
      applyLocked(snapshot);
    }
    runDeferred();
  }

  private void applyLocked(ServiceSnapshot snapshot) {
    long now = ticker.getAsLong();
    confirmedNanos = now;
    lastError = null;
    unknownSinceNanos = 0;
    failedRefreshes = 0;
    ServiceState current = state;
    if (current != null && (current.retired || current.snapshot.equals(snapshot))) {
      return; // unchanged, or dropped from the cache: a late refresh must not revive it
    }
    Set<String> ids = new HashSet<>();
    for (Instance instance : snapshot.instances()) {
      ids.add(instance.instanceId());
      // Instances in the first snapshot get full weight at once; later joiners ramp up.
      long joined = current == null ? Long.MIN_VALUE : now;
      stats.computeIfAbsent(instance.instanceId(), id -> new InstanceStats(id, ticker, joined));
    }
    stats.keySet().retainAll(ids);
    if (current != null) {
      deferred.add(() -> LOG.log(Level.DEBUG, () -> serviceId + ": "
          + current.snapshot.instances().size() + " -> " + snapshot.instances().size()
          + " instances from " + snapshot.origin()));
    }
    rebuild(snapshot, now);
    deferred.add(() -> {
      Notify.run(() -> listener.onSnapshot(snapshot));
      watchers.onSnapshot(snapshot);
    });
  }

  private void runDeferred() {
    List<Runnable> todo;
    synchronized (this) {
      if (deferred.isEmpty()) {
        return;
      }
      todo = new ArrayList<>(deferred);
      deferred.clear();
    }
    todo.forEach(Runnable::run);
  }

  /** Rebuilds if a timed event (ejection end, slow-start step) is due. */
  void tick(long now) {
    synchronized (this) {
      ServiceState s = state;
      // MAX_VALUE means "never"; compared apart because nanoTime may be negative.
      if (s != null && s.rebuildAtNanos != Long.MAX_VALUE && now - s.rebuildAtNanos >= 0) {
        rebuild(s.snapshot, now);
      }
    }
    runDeferred();
  }

  private void rebuild(ServiceSnapshot snapshot, long now) {
    List<Instance> instances = snapshot.instances();
    List<Endpoint> routable = new ArrayList<>(instances.size());
    int ejected = 0;
    long rebuildAt = Long.MAX_VALUE;
    for (Instance instance : instances) {
      InstanceStats st = stats.get(instance.instanceId());
      if (st.ejected && now - st.ejectedUntilNanos >= 0) {
        st.ejected = false;
        st.onTrial = true;
        deferred.add(() -> LOG.log(Level.INFO, () -> serviceId + ": " + instance.address()
            + " returns from ejection on trial"));
      }
      if (st.ejected) {
        ejected++;
        rebuildAt = Math.min(rebuildAt, st.ejectedUntilNanos);
        continue;
      }
      if (instance.health().isRoutable()) {
        double factor = slowStartFactor(st, now);
        if (factor < 1.0) {
          rebuildAt = Math.min(rebuildAt, now + slowStartStepNanos());
        }
        routable.add(new EndpointView(instance, st, instance.weight() * factor));
      }
    }
    int total = instances.size();
    boolean panic = false;
    String reason = null;
    List<Endpoint> chosen = routable;
    if (total == 0) {
      reason = "the source (" + snapshot.origin() + ") lists no instances";
    } else if (routable.isEmpty() || (double) routable.size() / total < policy.panicThreshold()) {
      if (policy.panicMode() == HealthPolicy.PanicMode.ROUTE_ALL) {
        panic = true;
        chosen = new ArrayList<>(total);
        for (Instance instance : instances) {
          InstanceStats st = stats.get(instance.instanceId());
          chosen.add(new EndpointView(instance, st, instance.weight()));
        }
      } else {
        reason = routable.size() + " of " + total
            + " instances routable (unhealthy: " + countUnhealthy(instances) + ", ejected: "
            + ejected + "), below the panic threshold";
        chosen = List.of();
      }
    }
    ServiceState previous = state;
    if (panic && (previous == null || !previous.panic)) {
      int routableCount = routable.size();
      deferred.add(() -> LOG.log(Level.WARNING, () -> serviceId + ": only " + routableCount
          + " of " + total + " instances routable; panic mode routes over all of them"));
    }
    Picker picker = chosen.isEmpty()
        ? null
        : strategy.newPicker(chosen, previous == null ? null : previous.picker);
    state = new ServiceState(snapshot, picker, picker == null ? List.of() : chosen,
        routable.size(), ejected, panic, reason, rebuildAt);
  }

  private static int countUnhealthy(List<Instance> instances) {
    int n = 0;
    for (Instance i : instances) {
      if (!i.health().isRoutable()) {
        n++;
      }
    }
    return n;
  }

  private double slowStartFactor(InstanceStats st, long now) {
    long window = policy.slowStartWindow().toNanos();
    if (window == 0 || st.joinedNanos == Long.MIN_VALUE) {
      return 1.0;
    }
    double progress = (double) (now - st.joinedNanos) / window;
    if (progress >= 1.0) {
      return 1.0;
    }
    return SLOW_START_MIN_FACTOR + (1.0 - SLOW_START_MIN_FACTOR) * Math.max(progress, 0.0);
  }

  private long slowStartStepNanos() {
    return Math.max(policy.slowStartWindow().toNanos() / SLOW_START_STEPS, 1_000_000L);
  }

  /** Outcome reports from {@link TrackedSelection}. */
  void onSuccess(InstanceStats st) {
    if (st.consecutiveFailures.get() != 0) {
      st.consecutiveFailures.set(0);
    }
    if (st.onTrial) {
      synchronized (this) {
        st.onTrial = false;
        st.ejectionsInARow = 0;
      }
    }
  }

  void onFailure(InstanceStats st, Throwable error) {
    int failures = st.consecutiveFailures.incrementAndGet();
    boolean connection = policy.ejectOnConnectionRefused()
        && ServiceResolver.Builder.isConnectionFailure(error);
    boolean limit = policy.consecutiveFailures() > 0 && failures >= policy.consecutiveFailures();
    if (connection || limit || st.onTrial) {
      synchronized (this) {
        tryEjectLocked(st, error);
      }
      runDeferred();
    }
  }

  private void tryEjectLocked(InstanceStats st, Throwable error) {
    ServiceState s = state;
    if (st.ejected || stats.get(st.instanceId) != st || s == null || s.retired) {
      return; // already ejected, or no longer part of the service
    }
    int total = s.snapshot.instances().size();
    int allowed = total * policy.maxEjectionPercent() / 100;
    if (total >= 2 && policy.maxEjectionPercent() > 0) {
      allowed = Math.max(allowed, 1);
    }
    int ejectedNow = 0;
    for (InstanceStats other : stats.values()) {
      if (other.ejected) {
        ejectedNow++;
      }
    }
    if (ejectedNow >= allowed) {
      int already = ejectedNow;
      deferred.add(() -> LOG.log(Level.DEBUG, () -> serviceId + ": not ejecting "
          + st.instanceId + ", " + already + " of " + total + " already ejected"));
      return;
    }
    long now = ticker.getAsLong();
    st.ejectionsInARow++;
    long base = policy.baseEjectionTime().toNanos();
    long max = policy.maxEjectionTime().toNanos();
    long length = base > max / st.ejectionsInARow ? max : base * st.ejectionsInARow;
    st.ejected = true;
    st.onTrial = false;
    st.ejectedUntilNanos = now + length;
    st.consecutiveFailures.set(0);
    int times = st.ejectionsInARow;
    rebuild(s.snapshot, now); // first: the ejected instance leaves the picker at once
    Instance ejectedInstance = null;
    for (Instance i : s.snapshot.instances()) {
      if (i.instanceId().equals(st.instanceId)) {
        ejectedInstance = i;
      }
    }
    Instance instance = ejectedInstance;
    deferred.add(() -> LOG.log(Level.INFO, () -> serviceId + ": ejecting " + st.instanceId
        + " for " + Duration.ofNanos(length) + " (ejection " + times + " in a row) after "
        + error));
    deferred.add(() -> Notify.run(() -> listener.onEjection(instance, Duration.ofNanos(length),
        error)));
  }

  /** A consistent view of every instance, for {@link ServiceStatus}. */
  synchronized List<InstanceStatus> instanceStatuses(long now) {
    ServiceState s = state;
    List<InstanceStatus> result = new ArrayList<>();
    for (Instance instance : s.snapshot.instances()) {
      InstanceStats st = stats.get(instance.instanceId());
      boolean ejected = st.ejected && now - st.ejectedUntilNanos < 0;
      // In panic mode the picker routes over every instance, ejected or not.
      boolean routable = s.picker != null
          && (s.panic || (!ejected && instance.health().isRoutable()));
      result.add(new InstanceStatus(instance, routable,
          ejected ? Duration.ofNanos(st.ejectedUntilNanos - now) : null, st.onTrial,
          st.inFlight.get(), Duration.ofNanos((long) st.latencyEstimateNanos()),
          st.consecutiveFailures.get()));
    }
    return result;
  }

  long picks() {
    return picks == null ? -1 : picks.sum();
  }
}
