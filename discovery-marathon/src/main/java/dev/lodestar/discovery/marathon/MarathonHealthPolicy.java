package dev.lodestar.discovery.marathon;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * How {@link MarathonSource} turns Marathon task states and health-check results into the {@link
 * dev.lodestar.discovery.HealthStatus} of each instance.
 *
 * <p>Each task is first checked for being gone; a task that is not gone is healthy, unhealthy or
 * unknown (the three-valued health of the Marathon docs), decided in this order:
 *
 * <ol>
 *   <li><b>Gone</b>: a terminal state ({@code TASK_FINISHED}, {@code TASK_FAILED}, {@code
 *       TASK_KILLED}, {@code TASK_ERROR}, {@code TASK_GONE}, {@code TASK_GONE_BY_OPERATOR}, {@code
 *       TASK_DROPPED}). The task is left out of the snapshot.
 *   <li><b>Unhealthy</b> ({@code UNHEALTHY}, never picked): any other state that is not {@code
 *       TASK_RUNNING} and not in {@link #extraRoutableStates()} ({@code TASK_STAGING}, {@code
 *       TASK_STARTING}, {@code TASK_KILLING}, {@code TASK_UNREACHABLE}, {@code TASK_LOST}, {@code
 *       TASK_UNKNOWN}, ...); or, when the app defines health checks, a result that is not alive
 *       ({@link CheckRule#ALL_ALIVE}) or no alive result at all ({@link CheckRule#ANY_ALIVE}); or
 *       the task is drained by a marathon-lb blue/green deployment ({@link
 *       #honourZddDraining()}). A task whose state is missing (Marathon before 1.2) counts as
 *       running.
 *   <li><b>Healthy</b> ({@code HEALTHY}): running, and either the app defines no health checks or
 *       the results pass the {@link #checkRule()}: with {@code ALL_ALIVE} every check has an alive
 *       result, with {@code ANY_ALIVE} at least one result is alive. A running task of an app
 *       without checks is reported {@code HEALTHY}, not {@code UNKNOWN}: Marathon has nothing more
 *       to say about it, and {@code UNKNOWN} is kept for "checks defined, verdict pending".
 *   <li><b>Unknown</b>: the app defines checks but the task has no results, or fewer results
 *       than checks that are all alive: during the grace period, and for every task right after a
 *       Marathon leader election. What happens to it is configurable:
 *       <ul>
 *         <li>a task this source has seen healthy before stays routable ({@code UNKNOWN}) while
 *             {@link #keepSeenHealthyWhileUnknown()};
 *         <li>a task never seen healthy is not routed ({@code UNHEALTHY}) unless {@link
 *             #routeNewTasksWithoutResults()};
 *         <li>when every running task of an app is unknown, all of them are routed ({@code
 *             UNKNOWN}) rather than failing, while {@link #routeAllWhenAllUnknown()}.
 *       </ul>
 * </ol>
 *
 * <p>An event that reports a task killed, failed or unhealthy applies at once, before the next
 * REST read confirms it; under {@code ANY_ALIVE}, one failing check of an app with several is
 * not a verdict, so it asks for a read instead. The "seen healthy" memory lives in the source,
 * per app, and forgets a task when it leaves Marathon's task list.
 *
 * <p>{@link #ofDefaults()} is the policy above with every switch on except {@code
 * routeNewTasksWithoutResults}. {@link #marathonLb()} reproduces marathon-lb's lenient rule with
 * {@code --health-check}: any alive result makes a task healthy, {@code TASK_LOST} and {@code
 * TASK_UNREACHABLE} tasks are kept, unknown tasks are kept only if seen alive before.
 *
 * <p>Thread safety: immutable.
 */
public final class MarathonHealthPolicy {
  /** How the health-check results of one task combine. */
  public enum CheckRule {
    /** Healthy only when every health check of the app has an alive result (Marathon's rule). */
    ALL_ALIVE,
    /** Healthy when any result is alive (marathon-lb's rule). */
    ANY_ALIVE
  }

  private static final MarathonHealthPolicy DEFAULTS = custom().build();
  private static final MarathonHealthPolicy MARATHON_LB = custom()
      .checkRule(CheckRule.ANY_ALIVE)
      .extraRoutableStates(Set.of("TASK_LOST", "TASK_UNREACHABLE"))
      .routeAllWhenAllUnknown(false)
      .build();

  private final CheckRule checkRule;
  private final boolean keepSeenHealthyWhileUnknown;
  private final boolean routeNewTasksWithoutResults;
  private final boolean routeAllWhenAllUnknown;
  private final Set<String> extraRoutableStates;
  private final boolean honourZddDraining;

  private MarathonHealthPolicy(Builder b) {
    this.honourZddDraining = b.honourZddDraining;
    this.checkRule = b.checkRule;
    this.keepSeenHealthyWhileUnknown = b.keepSeenHealthyWhileUnknown;
    this.routeNewTasksWithoutResults = b.routeNewTasksWithoutResults;
    this.routeAllWhenAllUnknown = b.routeAllWhenAllUnknown;
    this.extraRoutableStates = Set.copyOf(b.extraRoutableStates);
  }

  /** The default policy described in the class Javadoc. */
  public static MarathonHealthPolicy ofDefaults() {
    return DEFAULTS;
  }

  /** marathon-lb's lenient policy: any alive result; lost and unreachable tasks are kept. */
  public static MarathonHealthPolicy marathonLb() {
    return MARATHON_LB;
  }

  /** A builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** A builder starting from this policy. */
  public Builder toBuilder() {
    return new Builder()
        .checkRule(checkRule)
        .keepSeenHealthyWhileUnknown(keepSeenHealthyWhileUnknown)
        .routeNewTasksWithoutResults(routeNewTasksWithoutResults)
        .routeAllWhenAllUnknown(routeAllWhenAllUnknown)
        .extraRoutableStates(extraRoutableStates)
        .honourZddDraining(honourZddDraining);
  }

  /** How results combine (default {@link CheckRule#ALL_ALIVE}). */
  public CheckRule checkRule() {
    return checkRule;
  }

  /** Whether a task seen healthy before stays routable while its health is unknown (default true). */
  public boolean keepSeenHealthyWhileUnknown() {
    return keepSeenHealthyWhileUnknown;
  }

  /** Whether a task never seen healthy is routed before its first result (default false). */
  public boolean routeNewTasksWithoutResults() {
    return routeNewTasksWithoutResults;
  }

  /** Whether an app whose running tasks are all unknown has them all routed (default true). */
  public boolean routeAllWhenAllUnknown() {
    return routeAllWhenAllUnknown;
  }

  /**
   * Whether tasks that a marathon-lb zero-downtime deployment drains are unhealthy (default
   * true); see {@link Builder#honourZddDraining(boolean)}.
   */
  public boolean honourZddDraining() {
    return honourZddDraining;
  }

  /** States besides {@code TASK_RUNNING} treated as running (default none). */
  public Set<String> extraRoutableStates() {
    return extraRoutableStates;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof MarathonHealthPolicy)) {
      return false;
    }
    MarathonHealthPolicy that = (MarathonHealthPolicy) o;
    return checkRule == that.checkRule
        && keepSeenHealthyWhileUnknown == that.keepSeenHealthyWhileUnknown
        && routeNewTasksWithoutResults == that.routeNewTasksWithoutResults
        && routeAllWhenAllUnknown == that.routeAllWhenAllUnknown
        && extraRoutableStates.equals(that.extraRoutableStates)
        && honourZddDraining == that.honourZddDraining;
  }

  @Override
  public int hashCode() {
    return Objects.hash(checkRule, keepSeenHealthyWhileUnknown, routeNewTasksWithoutResults,
        routeAllWhenAllUnknown, extraRoutableStates, honourZddDraining);
  }

  @Override
  public String toString() {
    return "MarathonHealthPolicy{checkRule=" + checkRule
        + ", keepSeenHealthyWhileUnknown=" + keepSeenHealthyWhileUnknown
        + ", routeNewTasksWithoutResults=" + routeNewTasksWithoutResults
        + ", routeAllWhenAllUnknown=" + routeAllWhenAllUnknown
        + ", extraRoutableStates=" + new TreeSet<>(extraRoutableStates)
        + ", honourZddDraining=" + honourZddDraining + "}";
  }

  /**
   * Builds a {@link MarathonHealthPolicy}.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private CheckRule checkRule = CheckRule.ALL_ALIVE;
    private boolean keepSeenHealthyWhileUnknown = true;
    private boolean routeNewTasksWithoutResults;
    private boolean routeAllWhenAllUnknown = true;
    private Set<String> extraRoutableStates = Set.of();
    private boolean honourZddDraining = true;

    private Builder() {}

    /**
     * Whether to mark draining the old-colour tasks of a marathon-lb blue/green deployment (apps
     * sharing {@code HAPROXY_DEPLOYMENT_GROUP}), with marathon-lb's rules: the older by {@code
     * HAPROXY_DEPLOYMENT_STARTED_AT} is the old colour, swapped by {@code
     * versionInfo.lastScalingAt} when the new one sets {@code HAPROXY_DEPLOYMENT_NEW_INSTANCES};
     * {@code min(#old tasks, healthy new, max(0, healthy new + old instances - target))} old tasks
     * drain, the first by task id, where a new task is healthy when any result is alive and
     * {@code target} is the new app's {@code HAPROXY_DEPLOYMENT_TARGET_INSTANCES} (1 without
     * {@code HAPROXY_DEPLOYMENT_NEW_INSTANCES}). The source reads both colours together whichever
     * way it reads (app read, event, list), so an app id and its service ports agree on the
     * drain state. Default true.
     */
    public Builder honourZddDraining(boolean honour) {
      this.honourZddDraining = honour;
      return this;
    }

    /** How results combine. */
    public Builder checkRule(CheckRule rule) {
      this.checkRule = Objects.requireNonNull(rule, "rule");
      return this;
    }

    /** Whether a task seen healthy before stays routable while unknown. */
    public Builder keepSeenHealthyWhileUnknown(boolean keep) {
      this.keepSeenHealthyWhileUnknown = keep;
      return this;
    }

    /** Whether a new task is routed before its first health-check result. */
    public Builder routeNewTasksWithoutResults(boolean route) {
      this.routeNewTasksWithoutResults = route;
      return this;
    }

    /** Whether an app whose running tasks are all unknown has them routed. */
    public Builder routeAllWhenAllUnknown(boolean route) {
      this.routeAllWhenAllUnknown = route;
      return this;
    }

    /**
     * Mesos states besides {@code TASK_RUNNING} whose tasks count as running (e.g. {@code
     * TASK_UNREACHABLE}).
     *
     * @throws IllegalArgumentException if a state is
     *     terminal (such as {@code TASK_KILLED}): those never route
     */
    public Builder extraRoutableStates(Set<String> states) {
      Objects.requireNonNull(states, "states");
      for (String s : states) {
        Objects.requireNonNull(s, "state");
        if (InstanceMapper.TERMINAL_STATES.contains(s)) {
          throw new IllegalArgumentException("terminal state " + s + " can never be routable");
        }
      }
      this.extraRoutableStates = Set.copyOf(states);
      return this;
    }

    /** Builds the immutable policy. */
    public MarathonHealthPolicy build() {
      return new MarathonHealthPolicy(this);
    }
  }
}
