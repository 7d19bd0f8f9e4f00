package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.balance.HealthPolicy;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.balance.Picker;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;

/**
 * Everything the resolver keeps for one service: the routing state the pick path reads, the
 * passive health ({@link OutlierDetector}) and the refresh bookkeeping (when the snapshot was last
 * confirmed, the next refresh, the run of failed refreshes, since when the source calls the
 * service unknown).
 *
 * <p><b>Locking rule.</b> Every change to this holder's state happens inside its own methods,
 * under its monitor; nothing outside this class reads or writes its fields. The fields that are
 * read without the monitor (the pick path reads {@link #picker}, and {@link #state} when it is
 * null; maintenance and status read the refresh bookkeeping) are volatile, and are written only
 * under the monitor. The exceptions are lock-free by design: a pick through a probe (a {@link
 * UsePicker}) sets the {@code accessed} hint and swaps the probe for the picker it wraps with a
 * compare-and-set (a lost update at worst delays idle expiry by one maintenance round, or leaves a
 * probe for one more pick), and {@link #beginRefresh()} claims the single refresh in flight with
 * a compare-and-set. Logging and listener calls decided under the monitor run after it is released.
 */
final class ServiceHolder {
  private static final System.Logger LOG = System.getLogger(ServiceResolver.class.getName());
  private static final VarHandle PICKER;

  static {
    try {
      PICKER = MethodHandles.lookup().findVarHandle(ServiceHolder.class, "picker", Picker.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String serviceId;
  private final LoadBalancingStrategy strategy;
  private final LongSupplier ticker;
  final ResolverListener listener;
  private final ServiceWatchers watchers;
  private final OutlierDetector outliers;
  /** Pick counter, or null when picks are not recorded (the common case: nothing on the path). */
  private final LongAdder picks;

  private volatile ServiceState state;
  /**
   * What a pick calls, written right after {@link #state}: {@code state.picker} itself (a pick
   * reads it in one load instead of two dependent ones: the pick path is a chain of loads, each
   * ~1 ns), a probe ({@link UsePicker}) around it while no pick has come since maintenance last
   * took the {@link #accessed} hint, a lasting {@link UsePicker} around it when picks are
   * recorded, or null when the state has no picker. A pick through the state's picker itself
   * does nothing but pick: no flag to read or write.
   */
  private volatile Picker picker;
  /**
   * Set by a pick (through the probe, or on the slow path), taken by maintenance: tells the cache
   * the service is still in use. While it is false and the state has a picker, {@link #picker}
   * is a probe.
   */
  private volatile boolean accessed;
  private final AtomicBoolean refreshing = new AtomicBoolean();
  // Refresh bookkeeping: written under the monitor, read anywhere.
  private volatile long confirmedNanos;
  private volatile long nextRefreshNanos;
  private volatile Throwable lastError;
  /** When the source started calling the service unknown; 0 while it does not. */
  private volatile long unknownSinceNanos;
  /** When maintenance last saw the service used (or its first load); see ServiceExpiry. */
  private volatile long lastUsedNanos;
  private int failedRefreshes; // guarded by this
  /** Whether the strategy's last picker build failed (see {@link #newPicker}); guarded by this. */
  private boolean strategyFailing;
  /**
   * The sequence number of the snapshot in {@link #state}, taken from {@link
   * ServiceWatchers#nextSequence()} where it was applied (0 before the first); guarded by this.
   * Watches order deliveries by it, since they run after the monitor is released.
   */
  private long appliedSequence;
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
    this.ticker = ticker;
    this.outliers = new OutlierDetector(serviceId, policy, ticker, deferred::add);
    this.listener = listener;
    this.watchers = watchers;
    this.picks = recordPicks ? new LongAdder() : null;
    this.lastUsedNanos = ticker.getAsLong(); // created by a first load, which a use asked for
  }

  /**
   * One volatile read and the picker: the endpoint, for {@link #pickView} and the resolver's
   * retry-avoiding select ({@link #pickInstance} is the path of plain picks).
   *
   * @return the picked endpoint, or null when this holder is retired (dropped from the cache):
   *     the caller looks the service up again
   * @throws NoInstanceAvailableException the state's shared, stackless one, if nothing is routable
   */
  Endpoint pick(String affinityKey) {
    Picker p = picker;
    if (p == null) {
      return pickAfterNull(affinityKey);
    }
    return p.pick(affinityKey);
  }

  /**
   * {@link #pick} for a caller that wants only the instance ({@code pick(id)}, the handle's
   * {@code pick()}): the picker's {@link Picker#pickInstance}, which the built-in round-robin and
   * random pickers answer without loading the endpoint object.
   *
   * @return the picked instance, or null when this holder is retired
   * @throws NoInstanceAvailableException as {@link #pick} does
   */
  Instance pickInstance(String affinityKey) {
    Picker p = picker;
    if (p == null) {
      Endpoint picked = pickAfterNull(affinityKey);
      return picked == null ? null : picked.instance();
    }
    return p.pickInstance(affinityKey);
  }

  /** {@link #pick} for the outcome-reporting path: the endpoint with its feedback target. */
  EndpointView pickView(String affinityKey) {
    Endpoint picked = pick(affinityKey);
    if (picked == null || picked instanceof EndpointView) {
      return (EndpointView) picked;
    }
    return view(state, picked.instance(), picked.weight());
  }

  /**
   * The picker field was null: the state says why (retired, or nothing routable), unless a
   * rebuild has set a picker since (the two fields are written one after the other).
   */
  private Endpoint pickAfterNull(String affinityKey) {
    touch();
    ServiceState s = state;
    Picker p = s.picker;
    if (p != null) {
      return p.pick(affinityKey);
    }
    return noPicker(s);
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
    return outliers.stats(instanceId);
  }

  /** What a pick does besides picking: on the slow path, and on every pick when picks count. */
  private void touch() {
    if (!accessed) {
      accessed = true;
    }
    if (picks != null) {
      picks.increment();
    }
  }

  /** The picker field's value for a state's picker (under the monitor). */
  private Picker pickerFor(Picker statePicker) {
    if (statePicker == null) {
      return null;
    }
    if (picks != null) {
      return new UsePicker(statePicker, this, false);
    }
    return accessed ? statePicker : new UsePicker(statePicker, this, true);
  }

  /**
   * The state's picker with what a pick does besides picking, in the picker field instead of it.
   * As a probe ({@code once}) it stands in until a pick comes: that pick sets {@link #accessed}
   * and puts the state's picker back, so later picks skip it (and any flag) until maintenance
   * takes the hint and installs a new probe; a probe replaced meanwhile (rebuild, retire, a new
   * probe) stays replaced, since the compare-and-set only swaps this probe. When picks are
   * recorded it stays, and every pick goes through {@link #touch()}.
   */
  private static final class UsePicker implements Picker {
    private final Picker statePicker;
    private final ServiceHolder holder;
    private final boolean once;

    UsePicker(Picker statePicker, ServiceHolder holder, boolean once) {
      this.statePicker = statePicker;
      this.holder = holder;
      this.once = once;
    }

    @Override
    public Endpoint pick(String affinityKey) {
      holder.used(this);
      return statePicker.pick(affinityKey);
    }

    @Override
    public Instance pickInstance(String affinityKey) {
      holder.used(this);
      return statePicker.pickInstance(affinityKey);
    }
  }

  private void used(UsePicker through) {
    if (!through.once) {
      touch();
      return;
    }
    accessed = true; // before the swap: a state picker in the field always means accessed
    PICKER.compareAndSet(this, through, through.statePicker);
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
        picker = null;
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

  /**
   * Applies a snapshot from a load, refresh or push (dropped if nothing changed) and records it
   * as confirmed: the failure run and the unknown period end, the next refresh is due at {@code
   * nextRefreshNanos}.
   */
  void apply(ServiceSnapshot snapshot, long nextRefreshNanos) {
    synchronized (this) {
      long now = ticker.getAsLong();
      confirmedNanos = now;
      lastError = null;
      unknownSinceNanos = 0;
      failedRefreshes = 0;
      this.nextRefreshNanos = nextRefreshNanos;
      applyLocked(snapshot, now);
    }
    runDeferred();
  }

  private void applyLocked(ServiceSnapshot snapshot, long now) {
    ServiceState current = state;
    if (current != null && (current.retired || current.snapshot.equals(snapshot))) {
      return; // unchanged, or dropped from the cache: a late refresh must not revive it
    }
    outliers.track(snapshot.instances(), current == null, now);
    if (current != null) {
      deferred.add(() -> LOG.log(Level.DEBUG, () -> serviceId + ": "
          + current.snapshot.instances().size() + " -> " + snapshot.instances().size()
          + " instances from " + snapshot.origin()));
    }
    rebuild(snapshot, now);
    long sequence = watchers.nextSequence();
    appliedSequence = sequence;
    deferred.add(() -> {
      Notify.run(() -> listener.onSnapshot(snapshot));
      watchers.onSnapshot(snapshot, sequence);
    });
  }

  /** A snapshot and the sequence number it was applied with. */
  record Applied(ServiceSnapshot snapshot, long sequence) {}

  /** The current snapshot with its sequence number, read together (for a watch's delivery). */
  synchronized Applied applied() {
    return new Applied(state.snapshot, appliedSequence);
  }

  // ---- refresh bookkeeping ----------------------------------------------------------------

  /** Claims the one refresh in flight; false if one is running already. */
  boolean beginRefresh() {
    return refreshing.compareAndSet(false, true);
  }

  /** Releases the claim of {@link #beginRefresh()}. */
  void endRefresh() {
    refreshing.set(false);
  }

  /** Whether the next refresh is due at {@code now}. */
  boolean refreshDue(long now) {
    return now - nextRefreshNanos >= 0;
  }

  /**
   * Records a failed refresh (or a pushed error): the snapshot stays, the next refresh backs off.
   *
   * @param backoffNanos the delay before the next refresh, by the number of failures in a row
   * @return true for the first failure of a run (the one worth a log line)
   */
  synchronized boolean refreshFailed(Throwable cause, long now, IntToLongFunction backoffNanos) {
    int failures = ++failedRefreshes;
    boolean first = lastError == null;
    lastError = cause;
    nextRefreshNanos = now + backoffNanos.applyAsLong(failures);
    return first;
  }

  /** Records that the source calls the service unknown; returns since when it does. */
  synchronized long unknownSince(long now) {
    if (unknownSinceNanos == 0) {
      unknownSinceNanos = now;
    }
    return unknownSinceNanos;
  }

  /** Whether the source has called the service unknown for at least {@code graceNanos}. */
  boolean unknownFor(long now, long graceNanos) {
    long since = unknownSinceNanos;
    return since != 0 && now - since >= graceNanos;
  }

  /**
   * Whether a pick used the service since the last call; clears the hint and, unless picks are
   * counted, puts a probe in front of the state's picker so the next pick sets it again.
   */
  synchronized boolean takeAccessed() {
    if (!accessed) {
      return false;
    }
    accessed = false;
    ServiceState s = state;
    if (picks == null && s != null) {
      picker = pickerFor(s.picker); // a probe again (null for a retired or empty state)
    }
    return true;
  }

  /** Records a use seen by maintenance (a pick since its last round, or a watcher). */
  synchronized void markUsed(long now) {
    lastUsedNanos = now;
  }

  /** When maintenance last saw the service used, or when the holder was created. */
  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** When a snapshot was last confirmed by the source. */
  long confirmedNanos() {
    return confirmedNanos;
  }

  /** The last refresh failure since the last confirmed snapshot, or null. */
  Throwable lastError() {
    return lastError;
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
    ServiceState previous = state;
    OutlierDetector.Routing r = outliers.route(snapshot, previous != null && previous.panic, now);
    Picker picker = r.endpoints().isEmpty()
        ? null
        : newPicker(r.endpoints(), previous == null ? null : previous.picker);
    state = new ServiceState(snapshot, picker, r.endpoints(), r.routable(), r.ejected(),
        r.panic(), r.unavailableReason(), r.rebuildAtNanos());
    this.picker = pickerFor(picker);
  }

  /**
   * The strategy's picker; round-robin's over the same endpoints when a (custom) strategy throws
   * or returns null, logged at WARNING when that starts: a strategy's bug must neither leave this
   * holder half-updated nor reach the caller whose report or refresh triggered the rebuild.
   */
  private Picker newPicker(List<Endpoint> endpoints, Picker previous) {
    Picker built;
    RuntimeException error = null;
    try {
      built = strategy.newPicker(endpoints, previous);
    } catch (RuntimeException e) {
      built = null;
      error = e;
    }
    if (built != null) {
      if (strategyFailing) {
        strategyFailing = false;
        deferred.add(() -> LOG.log(Level.INFO, () -> serviceId + ": strategy " + strategy.name()
            + " builds pickers again"));
      }
      return built;
    }
    if (!strategyFailing) {
      strategyFailing = true;
      RuntimeException cause = error;
      deferred.add(() -> LOG.log(Level.WARNING, serviceId + ": strategy " + strategy.name()
          + " built no picker; picking round-robin until it does", cause));
    }
    return LoadBalancingStrategy.roundRobin().newPicker(endpoints, previous);
  }

  /** Outcome reports from {@link TrackedSelection}. */
  void onSuccess(InstanceStats st) {
    if (OutlierDetector.successEndsTrial(st)) {
      synchronized (this) {
        OutlierDetector.endTrial(st);
      }
    }
  }

  void onFailure(InstanceStats st, Throwable error) {
    if (outliers.failureCallsForEjection(st, error)) {
      synchronized (this) {
        tryEjectLocked(st, error);
      }
      runDeferred();
    }
  }

  private void tryEjectLocked(InstanceStats st, Throwable error) {
    ServiceState s = state;
    if (s == null || s.retired) {
      return;
    }
    long now = ticker.getAsLong();
    Duration length = outliers.eject(st, s.snapshot.instances(), now);
    if (length == null) {
      return;
    }
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
        + " for " + length + " (ejection " + times + " in a row) after " + error));
    deferred.add(() -> Notify.run(() -> listener.onEjection(instance, length, error)));
  }

  /** A consistent view of every instance, for {@link ServiceStatus}. */
  synchronized List<InstanceStatus> instanceStatuses(long now) {
    return outliers.statuses(state, now);
  }

  long picks() {
    return picks == null ? -1 : picks.sum();
  }
}
