package dev.lodestar.agent.haproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance "reloads lose nothing": clients send requests continuously, one over kept-alive
 * connections (the JDK HttpClient's pool) and one on a new connection per request, while the
 * watcher applies 20 changes (tasks added and removed, each one a checked, installed and reloaded
 * config). Every request must succeed. The counts and reload times are printed and written to
 * {@code target/haproxy-reload-figures.txt}.
 */
class ReloadLossTest {
  @TempDir Path dir;

  /** Requests answered 200 and requests that failed, with the first failures' reasons. */
  static final class Counts {
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final ConcurrentLinkedQueue<String> reasons = new ConcurrentLinkedQueue<>();

    void fail(String reason) {
      if (failed.incrementAndGet() <= 5) {
        reasons.add(reason);
      }
    }

    @Override
    public String toString() {
      return ok.get() + " ok, " + failed.get() + " failed" + (reasons.isEmpty() ? ""
          : " " + reasons);
    }
  }

  @Test
  void twentyReloadsWhileClientsSendLoseNoRequest() throws Exception {
    List<Loopback.Backend> backends = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      backends.add(new Loopback.Backend("b" + i));
    }
    int port = Loopback.freePort();
    Apps apps = new Apps();
    AtomicBoolean stop = new AtomicBoolean();
    Counts keepAlive = new Counts();
    Counts fresh = new Counts();
    List<Thread> clients = new ArrayList<>();
    try (FixtureMarathon marathon = new FixtureMarathon(cluster(apps, port, backends, 0));
        RunningBridge bridge = new RunningBridge(dir, marathon)) {
      assertTrue(Loopback.await(60, () -> bridge.watcher.installs() >= 1));
      assertTrue(Loopback.await(30, () -> {
        try {
          return Loopback.get(port, "web", "/", null).status() == 200;
        } catch (IOException e) {
          return false;
        }
      }));
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
          .timeout(Duration.ofSeconds(10)).build();
      clients.add(client(stop, keepAlive, () -> {
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
      }));
      clients.add(client(stop, fresh, () -> Loopback.get(port, "web", "/", null).status()));
      Thread.sleep(300);

      int first = bridge.watcher.installs();
      for (int change = 1; change <= 20; change++) {
        int before = bridge.watcher.installs();
        marathon.set(cluster(apps, port, backends, change));
        // The status updates Marathon sends for the change: every task is new (Marathon never
        // reuses a task id), started before the old ones are killed, as a rolling restart does.
        for (int b : SETS[change % SETS.length]) {
          marathon.emit("status_update_event", status(b, change, "TASK_RUNNING", backends));
        }
        for (int b : SETS[(change - 1) % SETS.length]) {
          marathon.emit("status_update_event", status(b, change - 1, "TASK_KILLED", backends));
        }
        assertTrue(Loopback.await(30, () -> bridge.watcher.installs() > before),
            "change " + change + " was not applied");
      }
      Thread.sleep(300);
      stop.set(true);
      for (Thread t : clients) {
        t.join(30_000);
      }
      int applied = bridge.watcher.installs() - first;
      String figures = "reloads applied: " + applied + "\n"
          + stats("check+write+reload ms", last(bridge.watcher.applyMillis(), applied))
          + stats("haproxy -c ms", last(bridge.watcher.checkMillis(), applied))
          + stats("reload ms (master CLI 'reload' until 'show proc' counts it)",
              last(bridge.watcher.reloadMillis(), applied))
          + "kept-alive client: " + keepAlive + "\nnew-connection client: " + fresh + "\n"
          + "machine load (uptime): " + uptime() + "\n";
      System.out.print(figures);
      Files.writeString(Path.of("target", "haproxy-reload-figures.txt"), figures);
      assertTrue(applied >= 20, figures);
      assertTrue(keepAlive.ok.get() > 0 && fresh.ok.get() > 0, figures);
      assertEquals(0, keepAlive.failed.get(), figures);
      assertEquals(0, fresh.failed.get(), figures);
    } finally {
      stop.set(true);
      backends.forEach(Loopback.Backend::close);
    }
  }

  private static List<Long> last(List<Long> all, int n) {
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  private static String stats(String what, List<Long> ms) {
    long[] sorted = ms.stream().mapToLong(Long::longValue).sorted().toArray();
    return what + ": " + ms + " (min " + sorted[0] + ", median " + sorted[sorted.length / 2]
        + ", max " + sorted[sorted.length - 1] + ")\n";
  }

  /** Change {@code n}: the tasks cycle through b1+b2, b1+b2+b3, b2+b3, b3+b1, never empty. */
  /** The backends running after each change, in turn. */
  private static final int[][] SETS = {{0, 1}, {0, 1, 2}, {1, 2}, {2, 0}};

  private static String status(int b, int change, String state, List<Loopback.Backend> backends) {
    return "{\"eventType\":\"status_update_event\",\"appId\":\"/web\",\"taskId\":\"web." + b
        + "." + change + "\",\"taskStatus\":\"" + state + "\",\"host\":\"127.0.0.1\","
        + "\"ports\":[" + backends.get(b).port() + "]}";
  }

  private static com.fasterxml.jackson.databind.JsonNode cluster(Apps apps, int port,
      List<Loopback.Backend> backends, int n) {
    apps.app("/web", port, "HAPROXY_0_MODE", "http");
    for (int b : SETS[n % SETS.length]) {
      apps.task("/web", "web." + b + "." + n, backends.get(b).port());
    }
    return apps.document();
  }

  interface Call {
    int status() throws Exception;
  }

  private static Thread client(AtomicBoolean stop, Counts counts, Call call) {
    Thread t = new Thread(() -> {
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      for (int i = 0; i < 200_000 && !stop.get() && System.nanoTime() < deadline; i++) {
        try {
          int status = call.status();
          if (status == 200) {
            counts.ok.incrementAndGet();
          } else {
            counts.fail("HTTP " + status);
          }
        } catch (Exception e) {
          counts.fail(e.toString());
        }
      }
    }, "reload-client");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static String uptime() {
    try {
      return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      return "n/a";
    }
  }
}
