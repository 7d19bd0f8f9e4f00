package dev.lodestar.benchmarks.marathon;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.testing.FakeMarathon.Task;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Convergence on loopback: from the moment a fake Marathon writes a {@code status_update_event}
 * that kills a task to the moment {@link ServiceResolver#pick(String)} stops returning that task,
 * over many trials; compared with polling at the default interval (no event stream).
 *
 * <p>Events mode runs the trials one after another on one app with three tasks: each trial
 * updates the REST answer, timestamps the event write, then picks in a tight loop until three
 * round-robin picks in a row avoid the victim; the task is then replaced by a fresh one and the
 * program waits until the resolver routes to it before the next trial.
 *
 * <p>Polling mode uses the source's default poll interval ({@value #DEFAULT_POLL_S} s) and the
 * resolver's default refresh: with one kill per app, at a uniformly random moment, on {@code
 * pollApps} apps at once, it measures the same interval without any event (so each trial costs
 * up to one interval of wall time, which is why the trials run in parallel).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.lodestar.benchmarks.marathon.MarathonConvergence \
 *     events 200
 * java -cp benchmarks/target/benchmarks.jar dev.lodestar.benchmarks.marathon.MarathonConvergence \
 *     polling 40
 * </pre>
 */
public final class MarathonConvergence {
  static final int DEFAULT_POLL_S = 30;

  private final FakeMarathon marathon;
  private final AtomicInteger taskSeq = new AtomicInteger();

  private MarathonConvergence() throws IOException {
    marathon = new FakeMarathon().heartbeat(Duration.ofSeconds(5));
  }

  private String url() {
    return marathon.url();
  }

  /** Sets the tasks of app {@code id} (running, one port each) as Marathon would list them. */
  private void setTasks(String id, List<String> taskIds) {
    List<Task> tasks = new ArrayList<>();
    for (String t : taskIds) {
      tasks.add(new Task(t, portOf(t), "TASK_RUNNING"));
    }
    marathon.setTasks(id, tasks);
  }

  private static int portOf(String taskId) {
    return 31000 + Integer.parseInt(taskId.substring(taskId.lastIndexOf('-') + 1)) % 1000;
  }

  private String newTaskId(String app) {
    return app.substring(1) + ".task-" + taskSeq.incrementAndGet();
  }

  private static boolean avoids(ServiceResolver r, String app, String victim, int picks) {
    for (int i = 0; i < picks; i++) {
      if (r.pick(app).instanceId().equals(victim)) {
        return false;
      }
    }
    return true;
  }

  private static boolean routes(ServiceResolver r, String app, String task) {
    for (Instance i : r.instances(app)) {
      if (i.instanceId().equals(task)) {
        return true;
      }
    }
    return false;
  }

  private long[] events(int trials) throws Exception {
    String app = "/bench/app";
    List<String> tasks = new ArrayList<>(List.of(newTaskId(app), newTaskId(app), newTaskId(app)));
    setTasks(app, tasks);
    MarathonSource source = MarathonSource.builder().url(url()).build();
    long[] nanos = new long[trials];
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      resolver.pick(app);
      while (marathon.openStreams() == 0) {
        Thread.sleep(10);
      }
      for (int i = 0; i < trials + 10; i++) {
        String victim = tasks.remove(ThreadLocalRandom.current().nextInt(tasks.size()));
        setTasks(app, tasks);
        long t0 = System.nanoTime();
        marathon.emitStatusUpdate(app, new Task(victim, portOf(victim), "TASK_KILLED"));
        while (!avoids(resolver, app, victim, 3)) {
          // Yield rather than spin: on two cores a spinning picker would starve the event path.
          Thread.yield();
        }
        long dt = System.nanoTime() - t0;
        if (i >= 10) { // the first ten are warm-up
          nanos[i - 10] = dt;
        }
        String fresh = newTaskId(app);
        tasks.add(fresh);
        setTasks(app, tasks);
        marathon.emitStatusUpdate(app, new Task(fresh, portOf(fresh), "TASK_RUNNING"));
        while (!routes(resolver, app, fresh)) {
          Thread.sleep(1);
        }
      }
    }
    return nanos;
  }

  private long[] polling(int trials) throws Exception {
    List<String> appIds = new ArrayList<>();
    List<List<String>> tasks = new ArrayList<>();
    for (int a = 0; a < trials; a++) {
      String app = "/bench/poll-" + a;
      appIds.add(app);
      List<String> t = new ArrayList<>(List.of(newTaskId(app), newTaskId(app), newTaskId(app)));
      tasks.add(t);
      setTasks(app, t);
    }
    MarathonSource source = MarathonSource.builder().url(url()).eventStream(false).build();
    long[] nanos = new long[trials];
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      for (String app : appIds) {
        resolver.pick(app);
      }
      long start = System.nanoTime();
      long[] killAt = new long[trials];
      String[] victims = new String[trials];
      for (int a = 0; a < trials; a++) {
        killAt[a] = start + (long) (ThreadLocalRandom.current().nextDouble()
            * TimeUnit.SECONDS.toNanos(DEFAULT_POLL_S));
      }
      int done = 0;
      while (done < trials) {
        long now = System.nanoTime();
        for (int a = 0; a < trials; a++) {
          if (nanos[a] != 0) {
            continue;
          }
          if (victims[a] == null && now >= killAt[a]) {
            victims[a] = tasks.get(a).remove(0);
            setTasks(appIds.get(a), tasks.get(a));
            killAt[a] = System.nanoTime();
          } else if (victims[a] != null && avoids(resolver, appIds.get(a), victims[a], 3)) {
            nanos[a] = System.nanoTime() - killAt[a];
            done++;
          }
        }
        Thread.sleep(1);
      }
    }
    return nanos;
  }

  private static String ms(long nanos) {
    return String.format("%.2f ms", nanos / 1e6);
  }

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "events";
    int trials = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    MarathonConvergence bench = new MarathonConvergence();
    long[] nanos = mode.equals("polling") ? bench.polling(trials) : bench.events(trials);
    Arrays.sort(nanos);
    System.out.printf("%s: %d trials, p50 %s, p90 %s, p99 %s, max %s%n", mode, nanos.length,
        ms(nanos[nanos.length / 2]), ms(nanos[(int) Math.ceil(nanos.length * 0.9) - 1]),
        ms(nanos[(int) Math.ceil(nanos.length * 0.99) - 1]), ms(nanos[nanos.length - 1]));
    bench.marathon.close();
    System.exit(0);
  }
}
