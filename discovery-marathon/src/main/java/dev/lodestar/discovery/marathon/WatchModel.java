package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The watch model of one source: the apps it tracks ({@link AppState}: REST answer plus event
 * changes), the service ids callers loaded (app ids and service ports, each a watch over one or
 * more apps), and the snapshots built from them. It does no I/O: REST answers, events and
 * failures come in as method calls, snapshots and errors go out to the listener, and the caller
 * learns which apps to re-read. Every derived state (drain, health, ports) is computed from the
 * model when a snapshot is built, so it is the same whichever read path or event updated an app.
 *
 * <p>Blue/green: an app with a {@code HAPROXY_DEPLOYMENT_GROUP} label drains by {@link ZddDrain}
 * against the other members of its group that the model holds; callers read grouped apps with a
 * label-selected list of the whole group ({@link #applyGroup}), so the members are always there.
 *
 * <p>Thread safety: none. Serial-confined: the owning source calls it from one thread only.
 */
final class WatchModel {
  private final String name;
  private final InstanceMapper mapper;
  private final SnapshotListener sink;
  private final Map<String, AppState> apps = new HashMap<>();
  private final Map<String, Watch> watches = new LinkedHashMap<>();
  /** Apps a port lookup in flight reads, with how many lookups: kept until its watch starts. */
  private final Map<String, Integer> held = new HashMap<>();

  /** A service id some caller loaded, and the apps behind it. */
  private static final class Watch {
    final String serviceId;
    final ServiceKey key;
    final Set<String> appIds = new HashSet<>();
    /** For port lookups: the slot of apps that joined through their deployment group. */
    final Map<String, Integer> partnerSlots = new HashMap<>();
    ServiceSnapshot last;

    Watch(String serviceId, ServiceKey key) {
      this.serviceId = serviceId;
      this.key = key;
    }
  }

  /**
   * What an event asks of the caller.
   *
   * @param confirm apps to re-read because the event did not carry the whole change
   * @param portIndexStale whether app definitions changed in a way port watches must re-list
   */
  record EventEffect(Set<String> confirm, boolean portIndexStale) {
    static final EventEffect NONE = new EventEffect(Set.of(), false);
  }

  /**
   * @param name the source name, for snapshots' origin and messages
   * @param sink receives snapshots, errors and removals; must not throw
   */
  WatchModel(String name, InstanceMapper mapper, SnapshotListener sink) {
    this.name = name;
    this.mapper = mapper;
    this.sink = sink;
  }

  // ---- queries ----------------------------------------------------------------------------

  /** The ids of every app some watch covers. */
  Set<String> trackedApps() {
    return Set.copyOf(apps.keySet());
  }

  /** Whether the model holds the app (a watch covers it, or a covered app drains against it). */
  boolean tracks(String appId) {
    return apps.containsKey(appId);
  }

  /** The deployment group of a tracked app, or {@code null}. */
  String groupOf(String appId) {
    AppState s = apps.get(appId);
    return s == null ? null : s.group();
  }

  boolean hasPortWatches() {
    for (Watch w : watches.values()) {
      if (w.key.isPort()) {
        return true;
      }
    }
    return false;
  }

  boolean watching(String serviceId) {
    return watches.containsKey(serviceId);
  }

  /** The effective app (REST answer plus event changes), or {@code null}; for tests. */
  MarathonApp effective(String appId) {
    AppState s = apps.get(appId);
    return s == null ? null : s.effective();
  }

  // ---- REST answers -----------------------------------------------------------------------

  /**
   * Takes REST answers for single apps (requested when the last event applied was the
   * {@code seq}-th, so event changes up to it are replaced) and pushes the watches they change.
   * A read always pushes, changed or not, so that a resolver's staleness clock restarts.
   */
  void applyRead(Collection<MarathonApp> read, long seq) {
    Set<String> touched = new HashSet<>();
    for (MarathonApp app : read) {
      AppState s = apps.get(app.id());
      if (s == null) {
        apps.put(app.id(), new AppState(app));
      } else {
        s.update(app, seq);
      }
      touched.add(app.id());
    }
    publishCovering(touched, true);
  }

  /**
   * Takes the answer of a label-selected read of deployment group {@code group}: {@code members}
   * are all its apps now. A tracked app that left the group keeps its last state (it is re-read
   * on its own); an untracked one is dropped.
   */
  void applyGroup(String group, Collection<MarathonApp> members, long seq) {
    Set<String> now = new HashSet<>();
    for (MarathonApp app : members) {
      now.add(app.id());
    }
    apps.entrySet().removeIf(e -> group.equals(e.getValue().group()) && !now.contains(e.getKey())
        && !coveredByWatch(e.getKey()));
    applyRead(members, seq);
  }

  /**
   * Marathon says an app does not exist (404, or outside the label filter). Its watches get an
   * {@link UnknownServiceException}; the resolver serves them for its unknown-service grace and a
   * later answer with the app clears it. The last good state stays.
   */
  void appUnknown(String appId, String reason) {
    for (Watch w : covering(appId)) {
      sink.onError(w.serviceId, new UnknownServiceException(w.serviceId, reason));
    }
  }

  /** A read of {@code appId} failed; its watches get the error and keep their snapshots. */
  void readFailed(String appId, Throwable cause) {
    for (Watch w : covering(appId)) {
      sink.onError(w.serviceId, cause);
    }
  }

  /**
   * The app was deleted ({@code app_terminated_event}): drop it, remove emptied watches, and
   * republish the others that covered it or drained against it (the other colour of its
   * blue/green group no longer has anything to drain for).
   */
  void appTerminated(String appId) {
    AppState gone = apps.remove(appId);
    if (gone == null) {
      return;
    }
    String group = gone.group();
    for (Watch w : List.copyOf(watches.values())) {
      boolean covered = w.appIds.remove(appId);
      if (covered && w.appIds.isEmpty()) {
        watches.remove(w.serviceId);
        sink.onRemoved(w.serviceId);
      } else if (covered || group != null && coversGroup(w, group)) {
        publish(w, false);
      }
    }
  }

  private boolean coversGroup(Watch w, String group) {
    for (String id : w.appIds) {
      if (group.equals(groupOf(id))) {
        return true;
      }
    }
    return false;
  }

  // ---- watches ----------------------------------------------------------------------------

  /**
   * Starts (or restarts) a watch of one app after its read was applied.
   *
   * @throws UnknownServiceException if the app is not in the model
   * @throws DiscoveryUnavailableException if its tasks cannot be mapped (see {@link #snapshot})
   */
  ServiceSnapshot watchApp(String serviceId, ServiceKey key) {
    if (!apps.containsKey(key.appId())) {
      throw new UnknownServiceException(serviceId, "Marathon has no app " + key.appId());
    }
    Watch w = new Watch(serviceId, key);
    w.appIds.add(key.appId());
    return start(w);
  }

  /**
   * The apps a port watch covers according to a lean app list (no tasks): those with the service
   * port, plus the other colour of each one's blue/green group at the same slot.
   */
  static Map<String, Integer> portApps(int port, Map<String, MarathonApp> lean) {
    Map<String, Integer> out = new LinkedHashMap<>(); // app id -> partner slot, or -1
    for (MarathonApp app : lean.values()) {
      List<Integer> slots = InstanceMapper.slotsWithServicePort(app, port);
      if (slots.isEmpty()) {
        continue;
      }
      out.put(app.id(), -1);
      String group = AppState.groupOf(app);
      if (group == null) {
        continue;
      }
      for (MarathonApp other : lean.values()) {
        if (!other.id().equals(app.id()) && group.equals(AppState.groupOf(other))
            && InstanceMapper.slotsWithServicePort(other, port).isEmpty()) {
          out.putIfAbsent(other.id(), slots.get(0));
        }
      }
    }
    return out;
  }

  /**
   * Starts a port watch over {@code covered} (from {@link #portApps}) after their reads were
   * applied.
   *
   * @throws UnknownServiceException if no app has the port
   */
  ServiceSnapshot watchPort(String serviceId, ServiceKey key, Map<String, Integer> covered) {
    Watch w = new Watch(serviceId, key);
    point(w, covered);
    if (w.appIds.isEmpty()) {
      throw new UnknownServiceException(serviceId, "no Marathon app has service port "
          + key.port());
    }
    return start(w);
  }

  private ServiceSnapshot start(Watch w) {
    ServiceSnapshot s = snapshot(w);
    w.last = s;
    watches.put(w.serviceId, w);
    return s;
  }

  private void point(Watch w, Map<String, Integer> covered) {
    w.appIds.clear();
    w.partnerSlots.clear();
    for (Map.Entry<String, Integer> e : covered.entrySet()) {
      if (apps.containsKey(e.getKey())) {
        w.appIds.add(e.getKey());
        if (e.getValue() >= 0) {
          w.partnerSlots.put(e.getKey(), e.getValue());
        }
      }
    }
  }

  /**
   * Re-points every port watch after a new lean list. Returns the apps port watches now need that
   * the model does not hold yet (the caller reads them, then calls this again).
   */
  Set<String> updatePortWatches(Map<String, MarathonApp> lean) {
    Set<String> missing = new LinkedHashSet<>();
    for (Watch w : List.copyOf(watches.values())) {
      if (!w.key.isPort()) {
        continue;
      }
      Map<String, Integer> covered = portApps(w.key.port(), lean);
      for (String id : covered.keySet()) {
        if (!apps.containsKey(id)) {
          missing.add(id);
        }
      }
      if (covered.isEmpty()) {
        sink.onError(w.serviceId, new UnknownServiceException(w.serviceId,
            "no Marathon app has service port " + w.key.port() + " any more"));
        continue;
      }
      point(w, covered);
      publish(w, false);
    }
    prune();
    return missing;
  }

  /**
   * Keeps {@code appIds} in the model while a lookup reads them one by one, before its watch
   * covers them: a prune meanwhile (a failed or forgotten load) would drop the first ones read.
   */
  void hold(Collection<String> appIds) {
    for (String id : appIds) {
      held.merge(id, 1, Integer::sum);
    }
  }

  /** Undoes one {@link #hold}; apps nothing covers any more go at the next prune. */
  void release(Collection<String> appIds) {
    for (String id : appIds) {
      held.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  /** Stops a watch; apps no other watch covers are dropped. */
  void forget(String serviceId) {
    watches.remove(serviceId);
    prune();
  }

  private void prune() {
    apps.keySet().removeIf(id -> !coveredByWatch(id) && !partnerOfCovered(id)
        && !held.containsKey(id));
  }

  private boolean coveredByWatch(String appId) {
    for (Watch w : watches.values()) {
      if (w.appIds.contains(appId)) {
        return true;
      }
    }
    return false;
  }

  /** A group member kept only because a covered app drains against it. */
  private boolean partnerOfCovered(String appId) {
    String group = groupOf(appId);
    if (group == null) {
      return false;
    }
    for (Map.Entry<String, AppState> e : apps.entrySet()) {
      if (!e.getKey().equals(appId) && group.equals(e.getValue().group())
          && coveredByWatch(e.getKey())) {
        return true;
      }
    }
    return false;
  }

  // ---- events -----------------------------------------------------------------------------

  /**
   * Applies one event (the {@code seq}-th) from its payload where the payload is enough, pushes
   * what changed, and says which apps need a confirming read.
   */
  EventEffect onEvent(MarathonEvent ev, long seq) {
    switch (ev.type()) {
      case "status_update_event": {
        String status = ev.taskStatus();
        if (status == null) {
          return confirmTracked(ev);
        }
        MarathonTask added = MarathonTask.RUNNING.equals(status) && ev.host() != null
            && ev.ports() != null && ev.taskId() != null
            ? new MarathonTask(ev.taskId(), firstApp(ev), ev.host(), status, ev.ports(),
                new int[0], ev.ipAddresses(), 0, 0, null, null)
            : null;
        apply(ev, status, null, added, seq);
        return EventEffect.NONE;
      }
      case "instance_changed_event": {
        String state = MarathonSource.stateOfCondition(ev.condition());
        // A new running instance comes without ports: its status_update_event or a read adds it.
        // Marathon sends that status update first, so a Running for a task the model has (read
        // or added) is no news and costs no read.
        boolean changed = state != null && apply(ev, state, null, null, seq);
        return changed || !MarathonTask.RUNNING.equals(state) || knowsTask(ev) ? EventEffect.NONE
            : confirmTracked(ev);
      }
      case "health_status_changed_event":
      case "instance_health_changed_event":
        if (ev.healthy() == null) {
          return EventEffect.NONE;
        }
        // With one check, a result decides. With several, a failing one decides under ALL_ALIVE
        // and says nothing under ANY_ALIVE (another may pass); an instance-wide pass decides.
        boolean decides = singleCheck(ev) || (Boolean.FALSE.equals(ev.healthy())
            ? !mapper.anyAliveRule() : ev.type().equals("instance_health_changed_event"));
        if (decides) {
          // Events are not ordered: a result for a task not known yet (its status update comes
          // later, or was missed) asks for a read, else the task would wait for the resync.
          return apply(ev, null, ev.healthy(), null, seq) || knowsTask(ev) ? EventEffect.NONE
              : confirmTracked(ev);
        }
        // One check of several passed (or failed, under ANY_ALIVE): only a read knows.
        return confirmTracked(ev);
      case "unhealthy_task_kill_event":
      case "unhealthy_instance_kill_event":
        apply(ev, "TASK_KILLED", null, null, seq);
        return EventEffect.NONE;
      case "app_terminated_event":
        for (String appId : ev.appIds()) {
          appTerminated(appId);
        }
        return EventEffect.NONE;
      case "api_post_event":
      case "deployment_info":
      case "deployment_step_success":
      case "deployment_step_failure":
      case "deployment_success":
      case "deployment_failed": {
        EventEffect tracked = confirmTracked(ev);
        return new EventEffect(tracked.confirm(), hasPortWatches());
      }
      default:
        return EventEffect.NONE;
    }
  }

  private boolean knowsTask(MarathonEvent ev) {
    for (String appId : ev.appIds()) {
      AppState s = apps.get(appId);
      if (s != null && s.hasTask(ev)) {
        return true;
      }
    }
    return false;
  }

  private static String firstApp(MarathonEvent ev) {
    return ev.appIds().isEmpty() ? null : ev.appIds().get(0);
  }

  private boolean singleCheck(MarathonEvent ev) {
    for (String appId : ev.appIds()) {
      AppState s = apps.get(appId);
      if (s != null && s.app().healthChecks() > 1) {
        return false;
      }
    }
    return true;
  }

  private EventEffect confirmTracked(MarathonEvent ev) {
    Set<String> confirm = new LinkedHashSet<>();
    for (String appId : ev.appIds()) {
      if (apps.containsKey(appId)) {
        confirm.add(appId);
      }
    }
    return confirm.isEmpty() ? EventEffect.NONE : new EventEffect(confirm, false);
  }

  private boolean apply(MarathonEvent ev, String state, Boolean alive, MarathonTask added,
      long seq) {
    Set<String> changed = new HashSet<>();
    for (String appId : ev.appIds()) {
      AppState s = apps.get(appId);
      if (s != null && s.applyEvent(ev, state, alive, added, seq)) {
        changed.add(appId);
      }
    }
    publishCovering(changed, false);
    return !changed.isEmpty();
  }

  // ---- snapshots --------------------------------------------------------------------------

  /** Pushes every watch that covers one of {@code appIds}, or drains against one of them. */
  private void publishCovering(Set<String> appIds, boolean always) {
    if (appIds.isEmpty()) {
      return;
    }
    Set<String> groups = new HashSet<>();
    for (String id : appIds) {
      String g = groupOf(id);
      if (g != null) {
        groups.add(g);
      }
    }
    for (Watch w : List.copyOf(watches.values())) {
      for (String id : w.appIds) {
        if (appIds.contains(id) || groups.contains(groupOf(id))) {
          publish(w, always);
          break;
        }
      }
    }
  }

  private List<Watch> covering(String appId) {
    List<Watch> out = new ArrayList<>();
    for (Watch w : watches.values()) {
      if (w.appIds.contains(appId)) {
        out.add(w);
      }
    }
    return out;
  }

  private void publish(Watch w, boolean always) {
    ServiceSnapshot s;
    try {
      s = snapshot(w);
    } catch (RuntimeException e) {
      sink.onError(w.serviceId, e);
      return;
    }
    if (always || !s.equals(w.last)) {
      w.last = s;
      sink.onSnapshot(s);
    }
  }

  /**
   * Builds a watch's snapshot from the model.
   *
   * @throws DiscoveryUnavailableException if an app lacks the configured port, or every live task
   *     of an app was unusable (the caller keeps the last snapshot)
   */
  private ServiceSnapshot snapshot(Watch w) {
    List<Instance> instances = new ArrayList<>();
    List<String> ids = new ArrayList<>(w.appIds);
    ids.sort(null);
    for (String appId : ids) {
      AppState s = apps.get(appId);
      if (s == null) {
        continue;
      }
      MarathonApp app = s.effective();
      int slot;
      if (w.key.isPort()) {
        List<Integer> slots = InstanceMapper.slotsWithServicePort(app, w.key.port());
        Integer partner = w.partnerSlots.get(appId);
        if (slots.isEmpty() && partner == null) {
          continue;
        }
        slot = slots.isEmpty() ? partner : slots.get(0);
      } else {
        try {
          slot = mapper.slotOf(app);
        } catch (InstanceMapper.NoSuchPortException ex) {
          throw new DiscoveryUnavailableException(w.serviceId, ex.getMessage(), null);
        }
      }
      int before = instances.size();
      mapper.map(w.serviceId, app, slot, s.seenHealthy, draining(s, app), instances);
      int live = InstanceMapper.liveTasks(app);
      if (live > 0 && instances.size() == before) {
        throw new DiscoveryUnavailableException(w.serviceId, "none of the " + live
            + " tasks of app " + appId + " has a usable address and port (reasons are logged)",
            null);
      }
    }
    return ServiceSnapshot.of(w.serviceId, instances, name);
  }

  /** Drain of one app against the other members of its group, whatever updated them last. */
  private Set<String> draining(AppState s, MarathonApp effective) {
    String group = s.group();
    if (group == null) {
      return Set.of();
    }
    List<MarathonApp> members = new ArrayList<>(2);
    for (AppState other : apps.values()) {
      if (group.equals(other.group())) {
        members.add(other == s ? effective : other.effective());
      }
    }
    return ZddDrain.compute(members).getOrDefault(effective.id(), Set.of());
  }
}
