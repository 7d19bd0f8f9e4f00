package dev.lodestar.discovery.marathon;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * marathon-lb's zero-downtime-deployment draining: apps that share a {@code
 * HAPROXY_DEPLOYMENT_GROUP} label are the old and new colour of one service; the older one (by
 * {@code HAPROXY_DEPLOYMENT_STARTED_AT}) has {@code min(#old tasks, healthy new, max(0, healthy
 * new + old.instances - target))} of its tasks, the first by task id, marked draining, where
 * {@code target} is the new app's {@code HAPROXY_DEPLOYMENT_TARGET_INSTANCES} when it also has
 * {@code HAPROXY_DEPLOYMENT_NEW_INSTANCES}, else 1. A draining task is not routed.
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
      MarathonApp a = members.get(0);
      MarathonApp b = members.get(1);
      boolean aOlder = startedAt(a).compareTo(startedAt(b)) < 0;
      MarathonApp old = aOlder ? a : b;
      MarathonApp fresh = aOlder ? b : a;
      int target = fresh.labels().containsKey(NEW_INSTANCES) ? intLabel(fresh, TARGET, 1) : 1;
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

  /** Tasks of the new app whose results are all alive, or its instance count without checks. */
  private static int healthy(MarathonApp app) {
    if (app.healthChecks() == 0) {
      return app.instances();
    }
    int n = 0;
    for (MarathonTask t : app.tasks() == null ? List.<MarathonTask>of() : app.tasks()) {
      if (t.healthResults() > 0 && t.aliveResults() == t.healthResults()) {
        n++;
      }
    }
    return n;
  }
}
