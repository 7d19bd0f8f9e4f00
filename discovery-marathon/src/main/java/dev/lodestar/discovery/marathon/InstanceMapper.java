package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.marathon.MarathonApp.PortSlot;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns parsed Marathon apps into {@link Instance}s: picks the address and port of the selected
 * port slot for the app's networking mode, and applies the {@link MarathonHealthPolicy}.
 *
 * <p>Address and port of slot {@code i} (Marathon's {@code computePortAssignments}):
 *
 * <ul>
 *   <li>host networking: {@code task.host} and {@code ports[i]};
 *   <li>bridge: {@code task.host} and {@code ports[k]}, where {@code k} counts the earlier mappings
 *       that have a host port; the bridge IP in {@code ipAddresses} is never used;
 *   <li>container (IP per task): a mapping with a host port gives {@code task.host} and that host
 *       port, otherwise {@code ipAddresses[0]} and the container port.
 * </ul>
 *
 * <p>A task that yields no valid address (no host, no IP yet, port 0 or out of range, a host the
 * core rejects) is skipped with a logged reason.
 *
 * <p>Thread safety: immutable; {@link #map} mutates only the {@code seenHealthy} set it is given.
 */
final class InstanceMapper {
  private static final System.Logger LOG = System.getLogger(MarathonSource.class.getName());

  static final Set<String> TERMINAL_STATES = Set.of("TASK_FINISHED", "TASK_FAILED",
      "TASK_KILLED", "TASK_ERROR", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_DROPPED");

  private final MarathonHealthPolicy policy;
  private final int portIndex;
  private final String portName;
  private final int fallbackPort;

  InstanceMapper(MarathonHealthPolicy policy, int portIndex, String portName, int fallbackPort) {
    this.policy = policy;
    this.portIndex = portIndex;
    this.portName = portName;
    this.fallbackPort = fallbackPort;
  }

  /** Whether one alive result makes a task healthy ({@code CheckRule.ANY_ALIVE}). */
  boolean anyAliveRule() {
    return policy.checkRule() == MarathonHealthPolicy.CheckRule.ANY_ALIVE;
  }

  /** The app has no port slot with the configured name. */
  static final class NoSuchPortException extends Exception {
    private static final long serialVersionUID = 1L;

    NoSuchPortException(String message) {
      super(message, null, false, false);
    }
  }

  /** The verdicts before the "all unknown" rule: {@code PENDING} is unknown and not yet routed. */
  private enum Verdict { GONE, HEALTHY, UNHEALTHY, UNKNOWN, PENDING }

  /** Which slot of {@code app} the configured selection designates. */
  int slotOf(MarathonApp app) throws NoSuchPortException {
    if (portName != null) {
      List<PortSlot> slots = app.slots();
      for (int i = 0; i < slots.size(); i++) {
        if (portName.equals(slots.get(i).name())) {
          return i;
        }
      }
      throw new NoSuchPortException("app " + app.id() + " has no port named '" + portName + "'");
    }
    return portIndex;
  }

  /**
   * Maps the tasks of one app, at one slot, to instances of {@code serviceId}.
   *
   * @param seenHealthy ids of tasks seen healthy before; updated with this round's healthy tasks
   *     and pruned of tasks that are gone
   */
  List<Instance> map(String serviceId, MarathonApp app, int slot, Set<String> seenHealthy,
      List<Instance> out) {
    return map(serviceId, app, slot, seenHealthy, Set.of(), out);
  }

  /**
   * As {@link #map(String, MarathonApp, int, Set, List)}, with the ids of tasks a zero-downtime
   * deployment is draining ({@link ZddDrain}); those are unhealthy while the policy honours it.
   */
  List<Instance> map(String serviceId, MarathonApp app, int slot, Set<String> seenHealthy,
      Set<String> draining, List<Instance> out) {
    List<MarathonTask> tasks = app.tasks() == null ? List.of() : app.tasks();
    Verdict[] verdicts = new Verdict[tasks.size()];
    boolean anyRunning = false;
    boolean allUnknown = true;
    for (int i = 0; i < verdicts.length; i++) {
      Verdict v = verdict(app, tasks.get(i), seenHealthy);
      if (v != Verdict.GONE && policy.honourZddDraining() && !draining.isEmpty()
          && draining.contains(tasks.get(i).id())) {
        v = Verdict.UNHEALTHY;
      }
      verdicts[i] = v;
      if (v == Verdict.HEALTHY || v == Verdict.UNKNOWN || v == Verdict.PENDING) {
        anyRunning = true;
        allUnknown &= v != Verdict.HEALTHY;
      } else if (v == Verdict.UNHEALTHY && isRunning(tasks.get(i))) {
        anyRunning = true;
        allUnknown = false;
      }
    }
    boolean routePending = anyRunning && allUnknown && policy.routeAllWhenAllUnknown();
    if (seenHealthy.size() > 0) {
      seenHealthy.retainAll(taskIds(tasks));
    }
    for (int i = 0; i < verdicts.length; i++) {
      MarathonTask task = tasks.get(i);
      HealthStatus health;
      switch (verdicts[i]) {
        case GONE:
          continue;
        case HEALTHY:
          seenHealthy.add(task.id());
          health = HealthStatus.HEALTHY;
          break;
        case UNKNOWN:
          health = HealthStatus.UNKNOWN;
          break;
        case PENDING:
          health = routePending ? HealthStatus.UNKNOWN : HealthStatus.UNHEALTHY;
          break;
        default:
          health = HealthStatus.UNHEALTHY;
      }
      Instance instance = instance(serviceId, app, task, slot, health);
      if (instance != null) {
        out.add(instance);
      }
    }
    return out;
  }

  private static Set<String> taskIds(List<MarathonTask> tasks) {
    Set<String> ids = new java.util.HashSet<>(tasks.size() * 2);
    for (MarathonTask t : tasks) {
      ids.add(t.id());
    }
    return ids;
  }

  private boolean isRunning(MarathonTask task) {
    String state = task.state();
    return state == null || MarathonTask.RUNNING.equals(state)
        || policy.extraRoutableStates().contains(state);
  }

  private Verdict verdict(MarathonApp app, MarathonTask task, Set<String> seenHealthy) {
    String state = task.state();
    if (state != null && TERMINAL_STATES.contains(state)) {
      return Verdict.GONE;
    }
    if (!isRunning(task)) {
      return Verdict.UNHEALTHY;
    }
    int checks = app.healthChecks();
    if (checks == 0 && task.healthResults() == 0) {
      return Verdict.HEALTHY;
    }
    int results = task.healthResults();
    int alive = task.aliveResults();
    if (results > 0) {
      if (policy.checkRule() == MarathonHealthPolicy.CheckRule.ANY_ALIVE) {
        return alive > 0 ? Verdict.HEALTHY : Verdict.UNHEALTHY;
      }
      if (alive < results) {
        return Verdict.UNHEALTHY;
      }
      if (results >= checks) {
        return Verdict.HEALTHY;
      }
    }
    if (policy.keepSeenHealthyWhileUnknown() && seenHealthy.contains(task.id())) {
      return Verdict.UNKNOWN;
    }
    return policy.routeNewTasksWithoutResults() ? Verdict.UNKNOWN : Verdict.PENDING;
  }

  private Instance instance(String serviceId, MarathonApp app, MarathonTask task, int slot,
      HealthStatus health) {
    if (task.id() == null || task.id().isEmpty()) {
      skip(app, task, "it has no id");
      return null;
    }
    long hostPort = address(app, task, slot);
    if (hostPort < 0) {
      return null;
    }
    String host = hostOf(app, task, slot);
    try {
      Instance.Builder b = Instance.builder(serviceId, task.id(), host, (int) hostPort)
          .labels(app.labels())
          .zone(task.zone())
          .region(task.region())
          .health(health);
      List<PortSlot> slots = app.slots();
      for (int j = 0; j < slots.size(); j++) {
        String name = slots.get(j).name();
        if (name != null && !name.isEmpty()) {
          long p = portOf(app, task, j);
          if (p > 0 && p <= 65535) {
            b.namedPort(name, (int) p);
          }
        }
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      skip(app, task, e.getMessage());
      return null;
    }
  }

  /** The port of slot {@code slot}, or -1 after logging why there is none. */
  private long address(MarathonApp app, MarathonTask task, int slot) {
    String host = hostOf(app, task, slot);
    if (host == null || host.isEmpty()) {
      skip(app, task, app.mode() == NetworkMode.CONTAINER && !slotUsesHostPort(app, slot)
          ? "it has no IP address yet" : "it has no host");
      return -1;
    }
    long port = portOf(app, task, slot);
    if (port == Long.MIN_VALUE) {
      skip(app, task, "it has no port at index " + slot + " (the app has " + app.slots().size()
          + " port slots and the task " + task.ports().length + " host ports)");
      return -1;
    }
    if (port < 1 || port > 65535) {
      skip(app, task, "port " + port + " is outside 1..65535");
      return -1;
    }
    return port;
  }

  private static boolean slotUsesHostPort(MarathonApp app, int slot) {
    return slot < app.slots().size() && app.slots().get(slot).hasHostPort();
  }

  private String hostOf(MarathonApp app, MarathonTask task, int slot) {
    if (app.mode() == NetworkMode.CONTAINER && !slotUsesHostPort(app, slot)) {
      return task.ipAddresses().isEmpty() ? null : task.ipAddresses().get(0);
    }
    return task.host();
  }

  /**
   * The port of slot {@code slot}: {@code Long.MIN_VALUE} when the slot does not exist; 0 or an
   * out-of-range value when Marathon gave a bad one.
   */
  private long portOf(MarathonApp app, MarathonTask task, int slot) {
    List<PortSlot> slots = app.slots();
    int[] ports = task.ports();
    if (slots.isEmpty()) {
      if (fallbackPort > 0) {
        return fallbackPort;
      }
      // A task list without its app definition, or an app that declares no slots.
      return app.mode() == NetworkMode.HOST && slot < ports.length ? ports[slot] : Long.MIN_VALUE;
    }
    if (slot >= slots.size()) {
      return Long.MIN_VALUE;
    }
    if (app.mode() == NetworkMode.HOST) {
      return slot < ports.length ? ports[slot] : Long.MIN_VALUE;
    }
    PortSlot s = slots.get(slot);
    if (s.hasHostPort()) {
      int k = 0;
      for (int j = 0; j < slot; j++) {
        if (slots.get(j).hasHostPort()) {
          k++;
        }
      }
      return k < ports.length ? ports[k] : Long.MIN_VALUE;
    }
    return app.mode() == NetworkMode.CONTAINER ? s.containerPort() : Long.MIN_VALUE;
  }

  private static void skip(MarathonApp app, MarathonTask task, String reason) {
    LOG.log(SkipLog.firstTime(task.id()) ? Level.WARNING : Level.DEBUG,
        "skipping task {0} of app {1}: {2}", task.id(), app.id(), reason);
  }

  /** Logs a skipped task once at WARNING, so a bad task does not flood the log on every poll. */
  static final class SkipLog {
    private static final Map<String, Boolean> SEEN =
        java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(64, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
          }
        });

    private SkipLog() {}

    static boolean firstTime(String taskId) {
      return SEEN.put(String.valueOf(taskId), Boolean.TRUE) == null;
    }
  }

  /** How many tasks of {@code app} are not in a terminal state. */
  static int liveTasks(MarathonApp app) {
    int n = 0;
    if (app.tasks() != null) {
      for (MarathonTask t : app.tasks()) {
        if (t.state() == null || !TERMINAL_STATES.contains(t.state())) {
          n++;
        }
      }
    }
    return n;
  }

  /** Returns the slot indexes of {@code app} whose service port is {@code servicePort}. */
  static List<Integer> slotsWithServicePort(MarathonApp app, int servicePort) {
    List<Integer> out = new ArrayList<>(1);
    List<PortSlot> slots = app.slots();
    for (int i = 0; i < slots.size(); i++) {
      if (slots.get(i).servicePort() == servicePort) {
        out.add(i);
      }
    }
    return out;
  }
}
