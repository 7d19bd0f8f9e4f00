package dev.lodestar.examples;

import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The smallest end-to-end Lodestar program: three real HTTP app instances on loopback, a
 * resolver over a {@link StaticSource}, and a client that calls them through {@link
 * ServiceResolver#call}. It then makes one instance ten times slower, kills another, and shows
 * sticky routing, printing where the traffic went at each step. Exits 0 when no client call
 * failed.
 *
 * <p>Run: {@code mvn -q -B -pl examples -am package exec:java -DskipTests}
 */
public final class Demo {
  private static final String APP = "/demo/web";
  private final PrintStream out;
  private final int callsPerPhase;
  private final List<AppInstance> apps = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1)).build();
  private final LongAdder failedCalls = new LongAdder();

  Demo(PrintStream out, int callsPerPhase) {
    this.out = out;
    this.callsPerPhase = callsPerPhase;
  }

  public static void main(String[] args) throws Exception {
    int calls = 600;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--help")) {
        System.out.println("usage: Demo [--calls N]   (calls per phase, default 600)");
        return;
      } else if (args[i].equals("--calls") && i + 1 < args.length) {
        calls = Integer.parseInt(args[++i]);
      } else {
        System.err.println("unknown option " + args[i] + "; try --help");
        System.exit(2);
      }
    }
    System.exit(new Demo(System.out, calls).run() == 0 ? 0 : 1);
  }

  /** Runs every phase; returns the number of client calls that failed. */
  long run() throws Exception {
    // The JDK server writes headers and body separately; without TCP_NODELAY each small
    // response waits ~40 ms for a delayed ACK, which would drown the latencies we show.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    for (int i = 1; i <= 3; i++) {
      apps.add(new AppInstance("web-" + i));
    }
    StaticSource source = StaticSource.create();
    source.set(APP, apps.stream().map(a -> a.instance).toList());
    try (ServiceResolver resolver = ServiceResolver.builder()
        .source(source)
        .strategy(LoadBalancingStrategy.peakEwma())
        .build()) {
      out.println("Lodestar demo: 3 HTTP instances of " + APP + " on loopback, strategy peak-ewma");
      phase(resolver, "1. all healthy (2 ms each)");

      apps.get(1).delayMillis = 20;
      phase(resolver, "2. web-2 made 10x slower (20 ms): peak EWMA moves traffic away");

      apps.get(2).server.stop(0);
      phase(resolver, "3. web-3 killed (connection refused): retried elsewhere, then ejected");
      out.println("   status: " + resolver.status(APP).orElseThrow());
    }
    sticky(source);
    apps.forEach(a -> a.server.stop(0));
    out.printf("Summary: %d calls per phase, %d failed client calls. Latency-aware balancing "
        + "steered around the slow instance, the dead one cost one retried attempt and was "
        + "ejected, and sticky keys stayed put except those of the removed instance.%n",
        callsPerPhase, failedCalls.sum());
    return failedCalls.sum();
  }

  private void phase(ServiceResolver resolver, String title) throws Exception {
    Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < callsPerPhase; i++) {
      futures.add(clients.submit(() -> {
        try {
          String body = resolver.call(APP, instance -> get(instance));
          served.computeIfAbsent(body, k -> new AtomicInteger()).incrementAndGet();
        } catch (Exception e) {
          failedCalls.increment();
        }
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    clients.shutdown();
    out.println(title);
    for (AppInstance app : apps) {
      int n = served.getOrDefault(app.name, new AtomicInteger()).get();
      out.printf("   %-6s %-16s %5d calls %s%n", app.name, app.instance.address(), n,
          "#".repeat((int) Math.round(40.0 * n / callsPerPhase)));
    }
  }

  private String get(Instance instance) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create("http://" + instance.address() + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    return response.body();
  }

  private void sticky(StaticSource source) {
    try (ServiceResolver resolver = ServiceResolver.builder().source(source)
        .strategy(LoadBalancingStrategy.sticky()).build()) {
      source.set(APP, apps.stream().map(a -> a.instance).toList());
      Map<String, String> before = new HashMap<>();
      for (int user = 0; user < 1000; user++) {
        before.put("user-" + user, resolver.pick(APP, "user-" + user).instanceId());
      }
      source.set(APP, apps.get(0).instance, apps.get(1).instance); // web-3 leaves
      int moved = 0;
      int onLeaver = 0;
      for (Map.Entry<String, String> e : before.entrySet()) {
        boolean wasOnLeaver = e.getValue().equals("web-3");
        onLeaver += wasOnLeaver ? 1 : 0;
        if (!resolver.pick(APP, e.getKey()).instanceId().equals(e.getValue())) {
          moved++;
        }
      }
      Map<String, Integer> spread = new TreeMap<>();
      before.values().forEach(id -> spread.merge(id, 1, Integer::sum));
      out.println("4. sticky by key: 1000 user keys over 3 instances " + spread);
      out.printf("   web-3 removed: %d keys moved, all %d of them from web-3%n", moved, onLeaver);
    }
  }

  /** A real HTTP server on loopback that answers with its name after a configurable delay. */
  private static final class AppInstance {
    final String name;
    final HttpServer server;
    final Instance instance;
    volatile int delayMillis = 2;

    AppInstance(String name) throws IOException {
      this.name = name;
      this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setExecutor(Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
      }));
      server.createContext("/", exchange -> {
        try {
          Thread.sleep(delayMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(body);
        }
      });
      server.start();
      this.instance = Instance.builder(APP, name, "127.0.0.1", server.getAddress().getPort())
          .health(HealthStatus.HEALTHY).build();
    }
  }
}
