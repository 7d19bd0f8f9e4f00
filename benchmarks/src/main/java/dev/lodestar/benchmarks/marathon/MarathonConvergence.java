package dev.lodestar.benchmarks.marathon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.marathon.MarathonSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
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

  private final HttpServer server;
  private final Map<String, String> apps = new ConcurrentHashMap<>();
  private final List<BlockingQueue<byte[]>> streams = new CopyOnWriteArrayList<>();
  private final AtomicInteger taskSeq = new AtomicInteger();

  private MarathonConvergence() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-marathon");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Sets the tasks of app {@code id} (ids and ports) as Marathon would list them. */
  private void setTasks(String id, List<String> taskIds) {
    StringBuilder sb = new StringBuilder("{\"id\":\"").append(id).append("\",\"instances\":")
        .append(taskIds.size()).append(",\"portDefinitions\":[{\"port\":10000,\"name\":\"http\"}]"
        + ",\"healthChecks\":[],\"tasks\":[");
    for (int i = 0; i < taskIds.size(); i++) {
      String t = taskIds.get(i);
      int port = 31000 + Integer.parseInt(t.substring(t.lastIndexOf('-') + 1)) % 1000;
      sb.append(i == 0 ? "" : ",").append("{\"id\":\"").append(t).append("\",\"appId\":\"")
          .append(id).append("\",\"host\":\"127.0.0.1\",\"ports\":[").append(port)
          .append("],\"state\":\"TASK_RUNNING\"}");
    }
    apps.put(id, sb.append("]}").toString());
  }

  private String newTaskId(String app) {
    return app.substring(1) + ".task-" + taskSeq.incrementAndGet();
  }

  private void emit(String type, String json) {
    byte[] b = ("event: " + type + "\r\ndata: " + json + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
    for (BlockingQueue<byte[]> q : streams) {
      q.add(b);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/v2/events")) {
        stream(ex);
        return;
      }
      String body;
      if (path.equals("/v2/apps")) {
        body = "{\"apps\":[" + String.join(",", apps.values()) + "]}";
      } else {
        String app = apps.get(path.substring("/v2/apps".length()));
        if (app == null) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        body = "{\"app\":" + app + "}";
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
    } finally {
      ex.close();
    }
  }

  private void stream(HttpExchange ex) throws IOException {
    BlockingQueue<byte[]> q = new LinkedBlockingQueue<>();
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    streams.add(q);
    try {
      while (true) {
        byte[] chunk = q.poll(5, TimeUnit.SECONDS);
        out.write(chunk == null ? "\r\n".getBytes(StandardCharsets.US_ASCII) : chunk);
        out.flush();
      }
    } catch (InterruptedException | IOException e) {
      // client gone or shutting down
    } finally {
      streams.remove(q);
    }
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
      while (streams.isEmpty()) {
        Thread.sleep(10);
      }
      for (int i = 0; i < trials + 10; i++) {
        String victim = tasks.remove(ThreadLocalRandom.current().nextInt(tasks.size()));
        setTasks(app, tasks);
        long t0 = System.nanoTime();
        emit("status_update_event", "{\"eventType\":\"status_update_event\",\"taskId\":\""
            + victim + "\",\"taskStatus\":\"TASK_KILLED\",\"appId\":\"" + app
            + "\",\"host\":\"127.0.0.1\",\"ports\":[31000]}");
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
        emit("status_update_event", "{\"eventType\":\"status_update_event\",\"taskId\":\""
            + fresh + "\",\"taskStatus\":\"TASK_RUNNING\",\"appId\":\"" + app + "\"}");
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
    bench.server.stop(0);
    System.exit(0);
  }
}
