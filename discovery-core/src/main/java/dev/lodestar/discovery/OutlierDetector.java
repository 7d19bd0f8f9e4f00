package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.internal.Checks;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Passive health of one service, as its {@link HealthPolicy} configures it: ejection after
 * consecutive failures or a refused connection, for a time that grows with each ejection in a
 * row; the trial after an ejection (one failure ejects again, one success ends it); the maximum
 * share of ejected instances; slow start for instances that join later; and panic mode when too
 * few instances are routable. It owns the {@link InstanceStats} of the listed instances and
 * decides what the picker routes over ({@link #route}); the {@link ServiceHolder} that owns it
 * builds the picker and publishes the state.
 *
 * <p>Thread safety: not thread-safe. Its owner calls every method while holding the owner's
 * monitor, except {@link #failureCallsForEjection}, which only touches the stats' atomic
 * counters. Log lines go to the {@code deferred} sink, which the owner runs after releasing its
 * monitor.
 */
final class OutlierDetector {
  private static final System.Logger LOG = System.getLogger(ServiceResolver.class.getName());
  private static final double SLOW_START_MIN_FACTOR = 0.1;
  private static final int SLOW_START_STEPS = 10;

  /** What the picker routes over, decided by {@link #route}. */
  record Routing(List<Endpoint> endpoints, int routable, int ejected, boolean panic,
      String unavailableReason, long rebuildAtNanos) {}

  private final String serviceId;
  private final HealthPolicy policy;
  private final LongSupplier ticker;
  private final Consumer<Runnable> deferred;
  private final Map<String, InstanceStats> stats = new HashMap<>();

  OutlierDetector(String serviceId, HealthPolicy policy, LongSupplier ticker,
      Consumer<Runnable> deferred) {
    this.serviceId = serviceId;
    this.policy = policy;
    this.ticker = ticker;
    this.deferred = deferred;
  }

  /**
   * Follows a new instance list: joiners get stats (with full weight at once in the first
   * snapshot, ramping up later), instances that left are forgotten.
   */
  void track(List<Instance> instances, boolean first, long now) {
    Set<String> ids = new HashSet<>();
    long joined = first ? Long.MIN_VALUE : now;
    for (Instance instance : instances) {
      ids.add(instance.instanceId());
      stats.computeIfAbsent(instance.instanceId(), id -> new InstanceStats(id, ticker, joined));
    }
    stats.keySet().retainAll(ids);
  }

  /** The stats of a listed instance, or null. */
  InstanceStats stats(String instanceId) {
    return stats.get(instanceId);
  }

  /**
   * What to route over now: the routable instances that are not ejected (weighted down while
   * they slow-start), or every instance in panic mode, or none (with the reason). Ends the
   * ejections that are over (the instance comes back on trial).
   *
   * @param wasPanic whether the previous routing was in panic mode (panic is logged on entry)
   */
  Routing route(ServiceSnapshot snapshot, boolean wasPanic, long now) {
    List<Instance> instances = snapshot.instances();
    List<Endpoint> routable = new ArrayList<>(instances.size());
    int ejected = 0;
    long rebuildAt = Long.MAX_VALUE;
    for (Instance instance : instances) {
      InstanceStats st = stats.get(instance.instanceId());
      if (st.ejected && now - st.ejectedUntilNanos >= 0) {
        st.ejected = false;
        st.onTrial = true;
        deferred.accept(() -> LOG.log(Level.INFO, () -> serviceId + ": " + instance.address()
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
    if (total == 0) {
      return new Routing(List.of(), 0, ejected, false,
          "the source (" + snapshot.origin() + ") lists no instances", rebuildAt);
    }
    if (!routable.isEmpty() && (double) routable.size() / total >= policy.panicThreshold()) {
      return new Routing(routable, routable.size(), ejected, false, null, rebuildAt);
    }
    if (policy.panicMode() != HealthPolicy.PanicMode.ROUTE_ALL) {
      return new Routing(List.of(), routable.size(), ejected, false, routable.size() + " of "
          + total + " instances routable (unhealthy: " + countUnhealthy(instances)
          + ", ejected: " + ejected + "), below the panic threshold", rebuildAt);
    }
    List<Endpoint> all = new ArrayList<>(total);
    for (Instance instance : instances) {
      all.add(new EndpointView(instance, stats.get(instance.instanceId()), instance.weight()));
    }
    if (!wasPanic) {
      int routableCount = routable.size();
      deferred.accept(() -> LOG.log(Level.WARNING, () -> serviceId + ": only " + routableCount
          + " of " + total + " instances routable; panic mode routes over all of them"));
    }
    return new Routing(all, routable.size(), ejected, true, null, rebuildAt);
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

  /** The weight factor of a slow-starting instance: 0.1 at join, 1.0 at the window's end. */
  double slowStartFactor(InstanceStats st, long now) {
    long window = Checks.nanos(policy.slowStartWindow());
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
    return Math.max(Checks.nanos(policy.slowStartWindow()) / SLOW_START_STEPS, 1_000_000L);
  }


  /**
   * Counts a failure; true if it calls for an ejection (a refused connection, the consecutive
   * failure limit, or any failure on trial). Lock-free: touches only the instance's atomic
   * counters.
   */
  boolean failureCallsForEjection(InstanceStats st, Throwable error) {
    int failures = st.failed();
    boolean connection = policy.ejectOnConnectionRefused()
        && ServiceResolver.Builder.isConnectionFailure(error);
    boolean limit = policy.consecutiveFailures() > 0 && failures >= policy.consecutiveFailures();
    return connection || limit || st.onTrial;
  }

  /** A success: resets the failure count (lock-free); true if the instance was on trial. */
  static boolean successEndsTrial(InstanceStats st) {
    st.resetFailures();
    return st.onTrial;
  }

  /** Ends a trial after a success: the next ejection counts as the first in a row again. */
  static void endTrial(InstanceStats st) {
    st.onTrial = false;
    st.ejectionsInARow = 0;
  }

  /**
   * Ejects {@code st} unless it is already ejected, no longer listed, or the cap forbids it; the
   * caller rebuilds the routing afterwards.
   *
   * <p>The cap counts only instances the source calls routable (not {@code UNHEALTHY}): those are
   * the ones the picker routes over outside panic mode, so a cap over every listed instance would
   * let the never-routed ones make room for ejecting every routed one. At most {@code
   * maxEjectionPercent} of them (rounded down, at least one of two or more unless the share is
   * 0) are ejected at once, and never the last one not ejected: ejection alone never leaves a
   * service with nothing to route over. An instance the source calls unhealthy (picked only in
   * panic mode) takes no routable capacity, so the cap does not hold its ejection back.
   *
   * @param listed the instances the service lists
   * @return how long the ejection lasts, or null when there is none
   */
  Duration eject(InstanceStats st, List<Instance> listed, long now) {
    if (st.ejected || stats.get(st.instanceId) != st) {
      return null; // already ejected, or no longer part of the service
    }
    int routable = 0;
    int ejectedNow = 0;
    boolean target = true;
    for (Instance instance : listed) {
      if (!instance.health().isRoutable()) {
        if (instance.instanceId().equals(st.instanceId)) {
          target = false;
        }
        continue;
      }
      routable++;
      InstanceStats other = stats.get(instance.instanceId());
      if (other != null && other.ejected) {
        ejectedNow++;
      }
    }
    if (target) {
      int allowed = routable * policy.maxEjectionPercent() / 100;
      if (routable >= 2 && policy.maxEjectionPercent() > 0) {
        allowed = Math.max(allowed, 1);
      }
      allowed = Math.min(allowed, routable - 1); // never the last routable instance
      if (ejectedNow >= allowed) {
        int already = ejectedNow;
        int of = routable;
        deferred.accept(() -> LOG.log(Level.DEBUG, () -> serviceId + ": not ejecting "
            + st.instanceId + ", " + already + " of " + of
            + " routable instances already ejected"));
        return null;
      }
    }
    st.ejectionsInARow++;
    long base = Checks.nanos(policy.baseEjectionTime());
    long max = Checks.nanos(policy.maxEjectionTime());
    long length = base > max / st.ejectionsInARow ? max : base * st.ejectionsInARow;
    st.ejected = true;
    st.onTrial = false;
    st.ejectedUntilNanos = now + length;
    st.resetFailures();
    return Duration.ofNanos(length);
  }

  /** A consistent view of every instance of {@code s}, for {@link ServiceStatus}. */
  List<InstanceStatus> statuses(ServiceState s, long now) {
    List<InstanceStatus> result = new ArrayList<>();
    for (Instance instance : s.snapshot.instances()) {
      InstanceStats st = stats.get(instance.instanceId());
      boolean ejected = st.ejected && now - st.ejectedUntilNanos < 0;
      // In panic mode the picker routes over every instance, ejected or not.
      boolean routable = s.picker != null
          && (s.panic || (!ejected && instance.health().isRoutable()));
      result.add(new InstanceStatus(instance, routable,
          ejected ? Duration.ofNanos(st.ejectedUntilNanos - now) : null, st.onTrial,
          st.inFlight(), Duration.ofNanos((long) st.latencyEstimateNanos()),
          st.consecutiveFailures()));
    }
    return result;
  }
}
