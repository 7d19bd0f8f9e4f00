package dev.lodestar.discovery.marathon;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * marathon-lb's zero-downtime-deployment draining ({@code get_apps} in marathon_lb.py), rule for
 * rule: apps that share a {@code HAPROXY_DEPLOYMENT_GROUP} label are the old and new colour of one
 * service. The old one is the earlier by {@code HAPROXY_DEPLOYMENT_STARTED_AT} (a missing label
 * sorts first; on a tie the app listed first is the new one). When the new app carries {@code
 * HAPROXY_DEPLOYMENT_NEW_INSTANCES}, the two are swapped if the old one scaled later ({@code
 * versionInfo.lastScalingAt}) and {@code target} is the (post-swap) new app's {@code HAPROXY_DEPLOYMENT_TARGET_INSTANCES};
 * otherwise {@code target} is 1. The old app then has {@code min(#old tasks, healthy new,
 * max(0, healthy new + old.instances - target))} of its tasks, the first by task id, draining. A
 * new task is healthy when any of its health-check results is alive (tasks without results are
 * not); an app without health checks counts its {@code instances}. A draining task is not
 * routed.
 *
 * <p>Where this differs from marathon-lb, and why: a group of more than two apps is left alone
 * (marathon-lb folds them pairwise in list order, so its answer depends on the order Marathon
 * lists them in, which a per-app read cannot reproduce); the health checks counted are the new
 * app's (marathon-lb looks at whichever app of the pair came second in the list, again an order
 * artefact); dates compare as ISO-8601 text, which orders Marathon's fixed-format timestamps
 * correctly; an unparsable or missing target counts as 1 (marathon-lb fails the whole reload).
 *
 * <p>Thread safety: stateless.
 */
final class ZddDrain {
  static final String GROUP = "HAPROXY_DEPLOYMENT_GROUP";
  static final String STARTED_AT = "HAPROXY_DEPLOYMENT_STARTED_AT";
  static final String TARGET = "HAPROXY_DEPLOYMENT_TARGET_INSTANCES";
  static final String NEW_INSTANCES = "HAPROXY_DEPLOYMENT_NEW_INSTANCES";

  private ZddDrain() {}

  /** Draining task ids per app id, for every app of {@code apps} that has some. */
  static Map<String, Set<String>> compute(Collection<MarathonApp> apps) {
    Map<String, List<MarathonApp>> groups = new HashMap<>();
    for (MarathonApp app : apps) {
      String group = app.labels().get(GROUP);
      if (group != null && !group.isEmpty()) {
        groups.computeIfAbsent(group, g -> new ArrayList<>(2)).add(app);
      }
    }
    Map<String, Set<String>> out = new HashMap<>();
    for (List<MarathonApp> members : groups.values()) {
      if (members.size() != 2) {
        continue; // marathon-lb merges pairs; anything else is not a deployment in progress
      }
      MarathonApp prev = members.get(0);
      MarathonApp cur = members.get(1);
      boolean prevOlder = startedAt(prev).compareTo(startedAt(cur)) < 0;
      MarathonApp old = prevOlder ? prev : cur;
      MarathonApp fresh = prevOlder ? cur : prev;
      int target = 1;
      if (fresh.labels().containsKey(NEW_INSTANCES)) {
        if (old.lastScalingAt().compareTo(fresh.lastScalingAt()) > 0) {
          MarathonApp swap = old;
          old = fresh;
          fresh = swap;
        }
        target = intLabel(fresh, TARGET, 1);
      }
      int healthyNew = healthy(fresh);
      List<MarathonTask> oldTasks = new ArrayList<>(old.tasks() == null ? List.of() : old.tasks());
      oldTasks.sort((x, y) -> String.valueOf(x.id()).compareTo(String.valueOf(y.id())));
      int drain = Math.min(oldTasks.size(), Math.min(healthyNew,
          Math.max(0, healthyNew + old.instances() - target)));
      if (drain > 0) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < drain; i++) {
          ids.add(oldTasks.get(i).id());
        }
        out.put(old.id(), ids);
      }
    }
    return out;
  }

  private static String startedAt(MarathonApp app) {
    return app.labels().getOrDefault(STARTED_AT, "");
  }

  private static int intLabel(MarathonApp app, String key, int fallback) {
    try {
      return Integer.parseInt(app.labels().getOrDefault(key, "").trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** Tasks of the new app with an alive result, or its instance count without checks. */
  private static int healthy(MarathonApp app) {
    if (app.healthChecks() == 0) {
      return app.instances();
    }
    int n = 0;
    for (MarathonTask t : app.tasks() == null ? List.<MarathonTask>of() : app.tasks()) {
      if (t.aliveResults() > 0) {
        n++;
      }
    }
    return n;
  }
}
