package dev.lodestar.benchmarks.marathon;

import dev.lodestar.benchmarks.marathon.CountingFakeMarathon.Kind;
import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.ServiceWatcher;
import dev.lodestar.discovery.marathon.MarathonSource;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * What a fleet of client JVMs costs Marathon: a {@link CountingFakeMarathon} with {@code apps}
 * apps of 10 tasks, and {@code clients} real {@link MarathonSource} + {@link ServiceResolver}
 * pairs in this JVM, each watching 10 apps (client {@code c} watches apps {@code 10c .. 10c+9}
 * modulo the 1,000 first apps, so with 1,000 clients every watched app has 10 watchers).
 *
 * <p>Scenarios, run one after the other on the same fleet:
 *
 * <ul>
 *   <li>{@code steady}: no events for {@code --seconds}; requests/s by kind and bytes/s;
 *   <li>{@code events}: one {@code status_update_event} per second on watched apps (a task killed,
 *       then back), for {@code --seconds}; reads per watching client per event, and the time until
 *       every watcher excluded or re-added the task;
 *   <li>{@code failover}: the leader drops every stream and answers 503, the second URL leads;
 *       requests per second for {@code --failover-seconds} and the peak second, written to {@code
 *       --csv} for the chart.
 * </ul>
 *
 * <pre>
 * java -Xss256k -Djava.awt.headless=true -cp benchmarks/target/benchmarks.jar \
 *     dev.lodestar.benchmarks.marathon.MarathonScaleSimulation --apps 10000 --clients 1000 \
 *     --csv docs/marathon-failover.csv --png docs/marathon-failover.png
 * </pre>
 *
 * <p>Other options: {@code --seconds} (steady and events windows, default 60), {@code
 * --failover-seconds} (default 120), {@code --resync-seconds}, {@code
 * --reconnect-spread-seconds} and {@code --reconnect-window-seconds} (the source's settings;
 * default: the builder's defaults).
 *
 * <p>Prints one markdown row per scenario. Not thread-safe; a program.
 */
public final class MarathonScaleSimulation {
  private static final int WATCHED_APPS = 1000;
  private static final int APPS_PER_CLIENT = 10;

  private int apps = 10_000;
  private int clients = 100;
  private int seconds = 60;
  private int failoverSeconds = 120;
  private Duration resync = MarathonSource.Builder.DEFAULT_RESYNC_INTERVAL;
  private Duration reconnectSpread;
  private Duration reconnectWindow;
  private String csv;
  private String png;
  private final List<String> rows = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    MarathonScaleSimulation sim = new MarathonScaleSimulation();
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--apps" -> sim.apps = Integer.parseInt(v);
        case "--clients" -> sim.clients = Integer.parseInt(v);
        case "--seconds" -> sim.seconds = Integer.parseInt(v);
        case "--failover-seconds" -> sim.failoverSeconds = Integer.parseInt(v);
        case "--resync-seconds" -> sim.resync = Duration.ofSeconds(Long.parseLong(v));
        case "--reconnect-spread-seconds" ->
            sim.reconnectSpread = Duration.ofSeconds(Long.parseLong(v));
        case "--reconnect-window-seconds" ->
            sim.reconnectWindow = Duration.ofSeconds(Long.parseLong(v));
        case "--csv" -> sim.csv = v;
        case "--png" -> sim.png = v;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    sim.run(System.out);
    System.exit(0);
  }

  private void run(PrintStream out) throws Exception {
    out.printf("fake Marathon: %d apps x 10 tasks; %d clients x %d apps; resync %s;"
        + " reconnect spread %s; reconnect resync window %s%n", apps, clients, APPS_PER_CLIENT,
        resync, reconnectSpread == null ? "default" : reconnectSpread,
        reconnectWindow == null ? "default" : reconnectWindow);
    try (CountingFakeMarathon fake = new CountingFakeMarathon(apps, 10)) {
      ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "sim-resolver-maintenance");
        t.setDaemon(true);
        return t;
      });
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(3))
          .build();
      List<ServiceResolver> resolvers = new ArrayList<>();
      Watchers watchers = new Watchers();
      int startSecond = fake.second();
      for (int c = 0; c < clients; c++) {
        MarathonSource source = Clients.source(fake.url(0), fake.url(1), http, resync,
            reconnectSpread, reconnectWindow);
        ServiceResolver resolver = ServiceResolver.builder().source(source).scheduler(scheduler)
            .build();
        resolvers.add(resolver);
        for (int k = 0; k < APPS_PER_CLIENT; k++) {
          int app = (c * APPS_PER_CLIENT + k) % Math.min(WATCHED_APPS, apps);
          resolver.watch(CountingFakeMarathon.appId(app), watchers.watcher(app));
        }
      }
      waitFor(() -> fake.streamClients() >= clients && watchers.ready() >= clients * 10L, 300);
      out.printf("setup: %d clients connected and loaded in %d s (%s)%n", clients,
          fake.second() - startSecond, window(fake, startSecond, fake.second()));
      Thread.sleep(5000);

      int from = fake.second();
      Thread.sleep(seconds * 1000L);
      int steadyTo = fake.second();
      rows.add(row("steady", fake, from, steadyTo, ""));
      // The safety resyncs go on during the events scenario: count reads net of them too.
      double steadyReadsPerSecond = (sum(fake, Kind.APP, from, steadyTo)
          + sum(fake, Kind.LABEL_LIST, from, steadyTo)) / (double) Math.max(1, steadyTo - from);

      from = fake.second();
      int events = 0;
      int watched = Math.min(Math.min(WATCHED_APPS, apps), clients * APPS_PER_CLIENT);
      long until = System.nanoTime() + seconds * 1_000_000_000L;
      while (System.nanoTime() < until) {
        int app = (events * 37) % watched;
        boolean running = (events / watched) % 2 == 1;
        watchers.expect(app, CountingFakeMarathon.taskId(CountingFakeMarathon.appId(app), 3),
            running);
        fake.setTaskRunning(app, 3, running);
        events++;
        Thread.sleep(1000);
      }
      Thread.sleep(2000);
      int to = fake.second();
      long reads = sum(fake, Kind.APP, from, to) + sum(fake, Kind.LABEL_LIST, from, to);
      double watcherEvents = events * watchers.watchersPerApp(clients);
      double net = Math.max(0, reads - steadyReadsPerSecond * (to - from));
      rows.add(row("events 1/s", fake, from, to, String.format(Locale.ROOT,
          "%.3f reads per watching client per event (%.3f net of the steady resyncs);"
          + " event->all watchers %s", reads / watcherEvents, net / watcherEvents,
          watchers.latencies())));

      from = fake.second();
      long failoverStart = System.nanoTime();
      fake.failover();
      waitFor(() -> fake.streamClients(1) >= clients, failoverSeconds);
      double reconnected = (System.nanoTime() - failoverStart) / 1e9;
      long wait = failoverSeconds * 1000L - (System.nanoTime() - failoverStart) / 1_000_000;
      if (wait > 0) {
        Thread.sleep(wait);
      }
      to = from + failoverSeconds;
      long peak = 0;
      StringBuilder series = new StringBuilder("second,requests\n");
      List<Integer> xs = new ArrayList<>();
      List<Long> ys = new ArrayList<>();
      for (int s = from; s < to; s++) {
        long n = 0;
        for (Kind k : Kind.values()) {
          n += fake.requests(k, s);
        }
        peak = Math.max(peak, n);
        series.append(s - from).append(',').append(n).append('\n');
        xs.add(s - from);
        ys.add(n);
      }
      if (csv != null) {
        Files.writeString(Path.of(csv), series);
      }
      if (png != null) {
        XYChart chart = new XYChartBuilder().width(900).height(420)
            .title(String.format(Locale.ROOT, "Requests/s at Marathon after a leader failover:"
                + " %,d clients x %d apps, %,d-app Marathon", clients, APPS_PER_CLIENT, apps))
            .xAxisTitle("seconds after every stream dropped").yAxisTitle("requests/s").build();
        chart.getStyler().setLegendVisible(false).setMarkerSize(0);
        chart.addSeries("requests/s", xs, ys);
        BitmapEncoder.saveBitmap(chart, png, BitmapEncoder.BitmapFormat.PNG);
      }
      rows.add(row("failover", fake, from, to, String.format(Locale.ROOT,
          "peak second %d requests (%.1f%% of clients); all streams back after %.1f s", peak,
          100.0 * peak / clients, reconnected)));
      for (ServiceResolver r : resolvers) {
        r.close();
      }
      scheduler.shutdownNow();
    }
    out.println();
    out.println("| scenario | s | full lists/s | lean+label lists/s | app reads/s | stream"
        + " connects/s | other/s | all req/s | KB/s sent | notes |");
    out.println("|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(out::println);
  }

  private String row(String scenario, CountingFakeMarathon fake, int from, int to, String note) {
    double s = Math.max(1, to - from);
    long all = 0;
    for (Kind k : Kind.values()) {
      all += sum(fake, k, from, to);
    }
    long bytes = 0;
    for (int i = from; i < to; i++) {
      bytes += fake.bytes(i);
    }
    return String.format(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.2f | %.2f | %.2f | %.2f | %.1f"
        + " | %s |", scenario, to - from, sum(fake, Kind.FULL_LIST, from, to) / s,
        (sum(fake, Kind.LEAN_LIST, from, to) + sum(fake, Kind.LABEL_LIST, from, to)) / s,
        sum(fake, Kind.APP, from, to) / s, sum(fake, Kind.EVENTS, from, to) / s,
        sum(fake, Kind.OTHER, from, to) / s, all / s, bytes / s / 1024, note);
  }

  private static String window(CountingFakeMarathon fake, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (Kind k : Kind.values()) {
      sb.append(k).append('=').append(sum(fake, k, from, to + 1)).append(' ');
    }
    return sb.toString().trim();
  }

  private static long sum(CountingFakeMarathon fake, Kind kind, int from, int to) {
    long n = 0;
    for (int s = from; s < to; s++) {
      n += fake.requests(kind, s);
    }
    return n;
  }

  private interface Condition {
    boolean met();
  }

  private static void waitFor(Condition c, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!c.met() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
  }

  /** Records when each watcher saw the expected change of a task. */
  private static final class Watchers {
    private final ConcurrentHashMap<Integer, Integer> perApp = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> ready = new ConcurrentHashMap<>();
    private volatile Expectation expected;
    private final ConcurrentLinkedQueue<Long> latenciesNanos = new ConcurrentLinkedQueue<>();

    private record Expectation(int app, String taskId, boolean present, long sinceNanos,
        ConcurrentHashMap<Object, Boolean> seen) {}

    ServiceWatcher watcher(int app) {
      perApp.merge(app, 1, Integer::sum);
      Object self = new Object();
      return new ServiceWatcher() {
        @Override
        public void onSnapshot(ServiceSnapshot snapshot) {
          ready.putIfAbsent(snapshot.serviceId() + "@" + System.identityHashCode(self),
              System.nanoTime());
          Expectation e = expected;
          if (e == null || e.app() != app) {
            return;
          }
          boolean present = false;
          for (Instance i : snapshot.instances()) {
            if (i.instanceId().equals(e.taskId())) {
              present = true;
              break;
            }
          }
          if (present == e.present() && e.seen().putIfAbsent(self, Boolean.TRUE) == null) {
            latenciesNanos.add(System.nanoTime() - e.sinceNanos());
          }
        }

        @Override
        public void onError(DiscoveryException error) {}
      };
    }

    long ready() {
      return ready.size();
    }

    double watchersPerApp(int clients) {
      return perApp.values().stream().mapToInt(Integer::intValue).average().orElse(1);
    }

    void expect(int app, String taskId, boolean present) {
      expected = new Expectation(app, taskId, present, System.nanoTime(),
          new ConcurrentHashMap<>());
    }

    String latencies() {
      List<Long> all = new ArrayList<>(latenciesNanos);
      if (all.isEmpty()) {
        return "n/a";
      }
      all.sort(null);
      return String.format(Locale.ROOT, "p50 %.1f ms, p99 %.1f ms (%d observations)",
          all.get(all.size() / 2) / 1e6, all.get((int) (all.size() * 0.99)) / 1e6, all.size());
    }
  }
}
