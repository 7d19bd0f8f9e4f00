package dev.lodestar.discovery.marathon;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a source knows about one app: the last REST answer, and the task changes events reported
 * since, applied on top until a REST answer requested after them replaces them.
 *
 * <p>Thread safety: none; confined to the source's serial thread (see {@link WatchModel}).
 */
final class AppState {
  private static final Set<String> TERMINAL = Set.of("TASK_FINISHED", "TASK_FAILED",
      "TASK_KILLED", "TASK_ERROR", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_DROPPED");

  /** The last REST answer; its task list is never null. */
  private MarathonApp app;
  private final Map<String, TaskOverride> overrides = new HashMap<>();
  /** Tasks ever seen healthy, for {@link MarathonHealthPolicy} that keeps them while unknown. */
  final Set<String> seenHealthy = new HashSet<>();

  /** A task state, health or whole new task an event reported. */
  private record TaskOverride(String state, Boolean alive, MarathonTask added, long seq) {}

  AppState(MarathonApp app) {
    this.app = app;
  }

  MarathonApp app() {
    return app;
  }

  /** The app's {@code HAPROXY_DEPLOYMENT_GROUP}, or {@code null}. */
  String group() {
    return groupOf(app);
  }

  static String groupOf(MarathonApp app) {
    String g = app.labels().get(ZddDrain.GROUP);
    return g == null || g.isEmpty() ? null : g;
  }

  /**
   * Takes a REST answer. {@code requestSeq} is the number of the last event applied when the read
   * was requested; the answer is at least as new as that event, so event changes up to it go and
   * only newer ones survive.
   */
  void update(MarathonApp fresh, long requestSeq) {
    app = fresh;
    overrides.values().removeIf(o -> o.seq() <= requestSeq);
  }

  /** The app with event changes applied on top of the last REST answer. */
  MarathonApp effective() {
    if (overrides.isEmpty()) {
      return app;
    }
    List<MarathonTask> tasks = new ArrayList<>(app.tasks().size() + 1);
    Set<String> listed = new HashSet<>();
    for (MarathonTask t : app.tasks()) {
      listed.add(t.id());
      tasks.add(apply(t, overrides.get(t.id())));
    }
    for (Map.Entry<String, TaskOverride> e : overrides.entrySet()) {
      if (e.getValue().added() != null && !listed.contains(e.getKey())) {
        tasks.add(apply(e.getValue().added(), e.getValue()));
      }
    }
    return app.withTasks(tasks);
  }

  private MarathonTask apply(MarathonTask t, TaskOverride o) {
    if (o == null) {
      return t;
    }
    if (o.state() != null) {
      t = t.withState(o.state());
    }
    if (o.alive() != null) {
      t = t.withResults(Math.max(1, app.healthChecks()), o.alive());
    }
    return t;
  }

  /**
   * Applies what an event says about the tasks it designates. {@code state} and {@code alive} may
   * be null (unchanged). A task the app does not list yet is added when the event carries it whole
   * ({@code added}, a running task with its host and ports). A terminal state is final: a later
   * non-terminal state for the same task (a reordered event) is ignored, also for a task not
   * known yet (its terminal state is remembered, unseen, until a newer read).
   *
   * @return whether some task changed
   */
  boolean applyEvent(MarathonEvent ev, String state, Boolean alive, MarathonTask added,
      long seq) {
    boolean changed = false;
    boolean matched = false;
    for (MarathonTask t : effective().tasks()) {
      if (matches(t.id(), ev)) {
        matched = true;
        changed |= override(t.id(), state, alive, null, seq);
      }
    }
    if (!matched && ev.taskId() != null && state != null && TERMINAL.contains(state)
        && !known(ev.taskId())) {
      // A new task's end before its start (events are not ordered): keep the end, so that the
      // late start does not add it. Without "added", effective() never lists it.
      overrides.put(ev.taskId(), new TaskOverride(state, null, null, seq));
    }
    if (!changed && added != null && !known(added.id())) {
      changed = override(added.id(), state, alive, added, seq);
    }
    return changed;
  }

  /** Whether {@code ev}'s task or instance id designates a task this app has (read or added). */
  boolean hasTask(MarathonEvent ev) {
    for (MarathonTask t : effective().tasks()) {
      if (matches(t.id(), ev)) {
        return true;
      }
    }
    return false;
  }

  private boolean known(String taskId) {
    for (MarathonTask t : app.tasks()) {
      if (taskId.equals(t.id())) {
        return true;
      }
    }
    return overrides.containsKey(taskId);
  }

  private boolean override(String taskId, String state, Boolean alive, MarathonTask added,
      long seq) {
    TaskOverride old = overrides.get(taskId);
    if (old != null && old.state() != null && TERMINAL.contains(old.state())
        && (state == null || !TERMINAL.contains(state))) {
      return false;
    }
    String s = state != null ? state : old != null ? old.state() : null;
    Boolean a = alive != null ? alive : old != null ? old.alive() : null;
    MarathonTask kept = added != null ? added : old != null ? old.added() : null;
    TaskOverride next = new TaskOverride(s, a, kept, seq);
    overrides.put(taskId, next);
    return old == null || !java.util.Objects.equals(old.state(), s)
        || !java.util.Objects.equals(old.alive(), a) || added != null;
  }

  /**
   * Whether an event's task or instance id designates task {@code taskId}. The {@code taskId} of
   * some 1.4+ events holds an instance id, so both are compared with both. A task without an id
   * (which the mapper skips) matches nothing.
   */
  static boolean matches(String taskId, MarathonEvent ev) {
    if (taskId == null) {
      return false;
    }
    if (taskId.equals(ev.taskId()) || taskId.equals(ev.instanceId())) {
      return true;
    }
    String instance = MarathonTask.instanceIdOf(taskId);
    return instance.equals(ev.instanceId()) || instance.equals(ev.taskId());
  }
}
