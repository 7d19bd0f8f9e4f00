package dev.lodestar.examples;

import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.http.LoadBalancedHttpClient;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The README's demo: Lodestar routing live traffic while the cluster changes under it.
 *
 * <p>It starts, on loopback, real HTTP instances of the app {@code /demo/web} and an embedded
 * Marathon (REST and {@code /v2/events}, the shapes Marathon 1.5+ sends) that advertises them as
 * tasks with health-check results; {@code --backend dns} advertises them through an embedded
 * Mesos-DNS instead. Client threads call {@code http://web.demo/} through a {@link
 * LoadBalancedHttpClient} while a table shows, per instance, what Lodestar's snapshot says about
 * it, calls per second, share, totals, failed attempts and p50/p99 latency. Then, one step at a
 * time: one instance is killed (connections refused; Marathon reports the task failed a little
 * later), one fails its health check (Marathon sends a health event), one becomes twenty times
 * slower, and the app scales up by one task. Afterwards a sticky-routing round shows that the same
 * key keeps its instance and that scaling down moves only the removed instance's keys. It ends
 * with a one-paragraph summary and exits 0 when no client call failed and sticky routing held.
 *
 * <p>On a terminal the table is redrawn in place; otherwise (a pipe, a CI log) it prints a plain
 * snapshot before each step, without control codes.
 *
 * <p>Run: {@code mvn -q -B -pl examples -am package exec:java -DskipTests}, with options after
 * {@code -Ddemo.args="--backend dns --strategy round-robin"}; {@code --help} lists them.
 *
 * <p>Length (~660 lines): the demo is one story read from top to bottom (options, traffic steps,
 * the live table, the sticky round, the summary); the cluster, the embedded Marathon and
 * Mesos-DNS and the instances are classes of their own.
 */
public final class Demo {
  static final String APP = "/demo/web";
  static final URI APP_URL = URI.create("http://web.demo/"); // host web.demo = app /demo/web
  private static final int BASE_DELAY_MS = 2;
  private static final int SLOW_DELAY_MS = 40;
  private static final int CLIENT_THREADS = 4;
  private static final int STICKY_KEYS = 300;
  private static final Map<String, LoadBalancingStrategy> STRATEGIES = new LinkedHashMap<>();

  static {
    for (LoadBalancingStrategy s : List.of(LoadBalancingStrategy.peakEwma(),
        LoadBalancingStrategy.roundRobin(), LoadBalancingStrategy.leastInFlight(),
        LoadBalancingStrategy.random(), LoadBalancingStrategy.weightedRandom())) {
      STRATEGIES.put(s.name(), s);
    }
  }

  /** Command-line options. */
  record Options(String backend, String strategy, int instances, int durationSeconds) {
    static final Options DEFAULTS = new Options("marathon", "peak-ewma", 4, 24);

    static String usage() {
      return String.join("\n",
          "usage: Demo [--backend marathon|dns] [--strategy NAME] [--instances N] [--duration S]",
          "",
          "  --backend    where Lodestar discovers the app: an embedded Marathon (REST + event",
          "               stream, the default) or an embedded Mesos-DNS (SRV records)",
          "  --strategy   load balancing for the live part, one of",
          "               " + String.join(", ", STRATEGIES.keySet()),
          "               (default peak-ewma; the sticky part always uses sticky)",
          "  --instances  app instances at start, 3..9 (default 4); one more joins later",
          "  --duration   seconds of live traffic, 6..50 (default 24); the sticky part adds ~2 s",
          "  --help       this text",
          "",
          "Pass options through Maven with -Ddemo.args=\"--backend dns --duration 12\".");
    }

    static Options parse(String... args) {
      String backend = DEFAULTS.backend;
      String strategy = DEFAULTS.strategy;
      int instances = DEFAULTS.instances;
      int duration = DEFAULTS.durationSeconds;
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.isBlank()) {
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(arg.startsWith("--") && !arg.equals("--help")
              ? arg + " needs a value" : "unknown option " + arg);
        }
        String value = args[++i];
        switch (arg) {
          case "--backend":
            if (!value.equals("marathon") && !value.equals("dns")) {
              throw new IllegalArgumentException("--backend is marathon or dns, not " + value);
            }
            backend = value;
            break;
          case "--strategy":
            if (!STRATEGIES.containsKey(value)) {
              throw new IllegalArgumentException("unknown strategy " + value + "; one of "
                  + String.join(", ", STRATEGIES.keySet()));
            }
            strategy = value;
            break;
          case "--instances":
            instances = intIn(arg, value, 3, 9);
            break;
          case "--duration":
            duration = intIn(arg, value, 6, 50);
            break;
          default:
            throw new IllegalArgumentException("unknown option " + arg);
        }
      }
      return new Options(backend, strategy, instances, duration);
    }

    private static int intIn(String name, String value, int min, int max) {
      try {
        int n = Integer.parseInt(value);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw new IllegalArgumentException(name + " must be a number in " + min + ".." + max
          + ", not " + value);
    }
  }

  /** What the run showed; the test checks it. */
  record Result(long okCalls, long failedCalls, int stickyKeys, int stickyStable,
      int stickyMoved, int stickyKeysOfRemoved, int stickyMovedFromOthers, String summary) {
    boolean passed() {
      return failedCalls == 0 && stickyStable == stickyKeys && stickyMovedFromOthers == 0
          && stickyMoved == stickyKeysOfRemoved && stickyKeysOfRemoved > 0;
    }
  }

  private final PrintStream out;
  private final boolean live;
  private final Options options;
  private final List<AppInstance> apps = new ArrayList<>();
  private final Map<AppInstance, String> notes = new ConcurrentHashMap<>();
  private final Map<AppInstance, Sample> samples = new ConcurrentHashMap<>();
  private final List<String> pendingEvents = new ArrayList<>();
  private final LongAdder okCalls = new LongAdder();
  private final LongAdder failedCalls = new LongAdder();
  private final List<AppInstance> started = new ArrayList<>();
  private TrafficRecorder traffic;
  private volatile boolean running;
  private String stickyRemoved = "";
  private long startNanos;
  private int tableLines;

  /** Rates and latencies of one instance over the last tick. */
  private record Sample(double perSecond, long total, long failed, double p50, double p99) {}

  /**
   * @param out where the demo writes
   * @param live whether {@code out} is a terminal: redraw the table in place with ANSI codes
   */
  Demo(PrintStream out, boolean live, Options options) {
    this.out = out;
    this.live = live;
    this.options = options;
  }

  /** Held so the level sticks: JUL keeps loggers weakly. */
  private static final java.util.logging.Logger LODESTAR_LOGS =
      java.util.logging.Logger.getLogger("dev.lodestar");

  public static void main(String[] args) throws Exception {
    // dnsjava logs through SLF4J; only warnings belong in the demo's output.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    // Lodestar logs through System.Logger (JUL by default); its INFO lines (stream connected,
    // ejections) would interleave with the table, which shows the same things.
    LODESTAR_LOGS.setLevel(java.util.logging.Level.WARNING);
    Options options;
    List<String> list = new ArrayList<>();
    for (String a : args) {
      list.addAll(List.of(a.trim().split("\\s+"))); // exec:java passes -Ddemo.args as one string
    }
    if (list.contains("--help") || list.contains("-h")) {
      System.out.println(Options.usage());
      System.exit(0);
    }
    try {
      options = Options.parse(list.toArray(String[]::new));
    } catch (IllegalArgumentException e) {
      System.err.println("demo: " + e.getMessage() + "\n\n" + Options.usage());
      System.exit(2);
      return;
    }
    Result result = new Demo(System.out, System.console() != null, options).run();
    System.out.flush();
    System.exit(result.passed() ? 0 : 1);
  }

  /** Runs the whole demo and returns what it showed. */
  Result run() throws Exception {
    int n = options.instances;
    for (int i = 1; i <= n; i++) {
      apps.add(AppInstance.start("web-" + i, BASE_DELAY_MS));
    }
    started.addAll(apps);
    Cluster cluster = options.backend.equals("dns") ? new EmbeddedMesosDns(APP)
        : new EmbeddedMarathon(APP);
    try (cluster) {
      apps.forEach(cluster::addHealthyTask);
      String summary = traffic(cluster);
      int[] sticky = sticky(cluster);
      Result r = new Result(okCalls.sum(), failedCalls.sum(), STICKY_KEYS, sticky[0], sticky[1],
          sticky[2], sticky[3], "");
      summary += " " + stickySummary(r);
      out.println();
      out.println(wrap("Summary: " + summary, 100));
      return new Result(r.okCalls, r.failedCalls, r.stickyKeys, r.stickyStable, r.stickyMoved,
          r.stickyKeysOfRemoved, r.stickyMovedFromOthers, summary);
    } finally {
      started.forEach(AppInstance::kill);
    }
  }

  // ---- live traffic ---------------------------------------------------------------------------

  private String traffic(Cluster cluster) throws Exception {
    LoadBalancingStrategy strategy = STRATEGIES.get(options.strategy);
    traffic = new TrafficRecorder(HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(1))
        .build());
    AppInstance killed = apps.get(0);
    AppInstance unhealthy = apps.get(1);
    AppInstance slow = apps.get(2);
    AppInstance joined = AppInstance.start("web-" + (apps.size() + 1), BASE_DELAY_MS);
    started.add(joined);

    long stepNanos = TimeUnit.SECONDS.toNanos(options.durationSeconds) / 6;
    String[] howUnhealthy = new String[1];
    // [step, action]: steps are sixths of the duration; the table is shown before each.
    List<Map.Entry<Double, Runnable>> plan = List.of(
        Map.entry(1.0, () -> {
          killed.kill();
          notes.put(killed, "killed");
          event("killed " + killed.name() + ": its port now refuses connections; "
              + (cluster.backend().equals("dns") ? "Mesos-DNS" : "Marathon")
              + " has not noticed yet");
        }),
        Map.entry(1.5, () -> {
          cluster.taskEnded(killed, "TASK_FAILED");
          event(cluster.backend().equals("dns")
              ? "Mesos-DNS reloads: " + killed.name() + " is no longer running, its SRV "
                  + "record is gone"
              : "Marathon reports " + killed.name() + " TASK_FAILED (status_update_event)");
        }),
        Map.entry(2.0, () -> {
          howUnhealthy[0] = cluster.healthCheckFailed(unhealthy);
          notes.put(unhealthy, "health check failing");
          event(unhealthy.name() + " fails its health check: " + howUnhealthy[0]);
        }),
        Map.entry(3.0, () -> {
          slow.delayMillis(SLOW_DELAY_MS);
          notes.put(slow, "slow (" + SLOW_DELAY_MS + " ms)");
          event(slow.name() + " becomes slow: " + SLOW_DELAY_MS + " ms per request instead of "
              + BASE_DELAY_MS);
        }),
        Map.entry(4.0, () -> {
          apps.add(joined);
          cluster.launchTask(joined);
          notes.put(joined, "new");
          event("scale up: " + joined.name() + " starts (TASK_RUNNING"
              + (cluster.backend().equals("dns") ? ", listed by Mesos-DNS at once; the records' "
                  + "1 s TTL bounds how long Lodestar takes to see it)"
                  : ", no health result yet, so not routed)"));
        }),
        Map.entry(4.25, () -> {
          cluster.healthCheckPassed(joined);
          if (cluster.backend().equals("marathon")) {
            event(joined.name() + " passes its first health check "
                + "(instance_health_changed_event healthy=true)");
          }
        }));

    Map<Integer, long[]> servedAtStep = new HashMap<>();
    long[] eventNanos = new long[plan.size()];
    ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS, daemon("client"));
    try (ServiceResolver resolver = ServiceResolver.builder()
        .source(cluster.newSource())
        .strategy(strategy)
        .build()) {
      LoadBalancedHttpClient http = LoadBalancedHttpClient.builder(resolver)
          .httpClient(traffic).build();
      out.println("Lodestar demo: " + APP + " (" + APP_URL + ") discovered through "
          + cluster.backend() + " at " + cluster.address());
      out.println(apps.size() + " instances, " + CLIENT_THREADS + " client threads, strategy "
          + strategy.name() + ", " + options.durationSeconds + " s of traffic.");
      out.println();
      resolver.instances(APP); // first load, so the table has something to show at once
      startNanos = System.nanoTime();
      running = true;
      for (int i = 0; i < CLIENT_THREADS; i++) {
        clients.execute(() -> clientLoop(http));
      }
      long tick = TimeUnit.MILLISECONDS.toNanos(500);
      long end = startNanos + 6 * stepNanos;
      int next = 0;
      int shownStep = 0;
      int ejected = 0;
      for (long t = startNanos + tick; ; t += tick) {
        sleepUntil(Math.min(t, end));
        long now = System.nanoTime();
        sample(resolver, (now - (t - tick)) / 1e9);
        int ejectedNow = resolver.status(APP).map(st -> st.ejectedInstances()).orElse(0);
        if (ejectedNow != ejected) {
          pendingEvent("Lodestar's passive health: " + ejectedNow + " instance"
              + (ejectedNow == 1 ? "" : "s") + " ejected");
          ejected = ejectedNow;
        }
        int step = (int) ((now - startNanos) / stepNanos);
        if (step > shownStep || now >= end) {
          for (int s = shownStep + 1; s <= Math.min(step, 6); s++) {
            record(servedAtStep, s);
          }
          shownStep = step;
          if (!live) {
            table(resolver, cluster);
          }
        }
        while (next < plan.size()
            && now - startNanos >= (long) (plan.get(next).getKey() * stepNanos)) {
          eventNanos[next] = System.nanoTime();
          plan.get(next).getValue().run();
          next++;
        }
        if (live) {
          table(resolver, cluster);
        }
        if (now >= end) {
          break;
        }
      }
      running = false;
      clients.shutdown();
      clients.awaitTermination(10, TimeUnit.SECONDS);
      if (live) {
        table(resolver, cluster);
      }
      return trafficSummary(cluster, strategy, killed, unhealthy, slow, joined, eventNanos,
          servedAtStep);
    } finally {
      running = false;
      clients.shutdownNow();
    }
  }

  private void clientLoop(LoadBalancedHttpClient http) {
    HttpRequest request = HttpRequest.newBuilder(APP_URL).timeout(Duration.ofSeconds(10)).build();
    while (running) {
      try {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          okCalls.increment();
        } else {
          failedCalls.increment();
        }
        Thread.sleep(3);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        failedCalls.increment();
        pendingEvent("client call failed: " + e);
      }
    }
  }

  private void record(Map<Integer, long[]> servedAtStep, int step) {
    for (AppInstance app : apps) {
      servedAtStep.computeIfAbsent(app.port(), p -> new long[7])[step] =
          traffic.counts(app.port()).served.sum();
    }
  }

  /** Share of {@code app} among the calls served in steps {@code [from, to)}. */
  private double share(Map<Integer, long[]> servedAtStep, AppInstance app, int from, int to) {
    long all = 0;
    for (long[] marks : servedAtStep.values()) {
      all += marks[to] - marks[from];
    }
    long[] mine = servedAtStep.getOrDefault(app.port(), new long[7]);
    return all == 0 ? 0 : 100.0 * (mine[to] - mine[from]) / all;
  }

  private void sample(ServiceResolver resolver, double seconds) {
    for (AppInstance app : apps) {
      TrafficRecorder.Counts c = traffic.counts(app.port());
      long[] window = c.drainWindow();
      Sample last = samples.get(app);
      long total = c.served.sum();
      long before = last == null ? 0 : last.total;
      samples.put(app, new Sample((total - before) / seconds, total, c.failed.sum(),
          percentile(window, 0.50), percentile(window, 0.99)));
    }
  }

  private static double percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(i, sorted.length - 1))] / 1e6;
  }

  // ---- output ---------------------------------------------------------------------------------

  private synchronized void pendingEvent(String text) {
    pendingEvents.add(String.format(Locale.ROOT, "[%5.1fs] %s", elapsed(), text));
  }

  private void event(String text) {
    pendingEvent(text);
    if (!live) {
      flushEvents();
    }
  }

  private synchronized void flushEvents() {
    pendingEvents.forEach(out::println);
    pendingEvents.clear();
  }

  private double elapsed() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private synchronized void table(ServiceResolver resolver, Cluster cluster) {
    Map<Integer, HealthStatus> known = new HashMap<>();
    for (Instance i : resolver.instances(APP)) {
      known.put(i.port(), i.health());
    }
    double totalRate = 0;
    for (AppInstance app : apps) {
      Sample s = samples.get(app);
      totalRate += s == null ? 0 : s.perSecond;
    }
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "%-7s %-16s %-10s %8s %6s %7s %7s %7s %7s  %s",
        "app", "address", "lodestar", "calls/s", "share", "total", "failed", "p50 ms", "p99 ms",
        ""));
    for (AppInstance app : apps) {
      Sample s = samples.getOrDefault(app, new Sample(0, 0, 0, Double.NaN, Double.NaN));
      HealthStatus h = known.get(app.port());
      lines.add(String.format(Locale.ROOT, "%-7s %-16s %-10s %8.0f %5.0f%% %7d %7d %7s %7s  %s",
          app.name(), app.address(), h == null ? "(gone)" : h.name().toLowerCase(Locale.ROOT),
          s.perSecond, totalRate == 0 ? 0 : 100 * s.perSecond / totalRate, s.total, s.failed,
          ms(s.p50), ms(s.p99), notes.getOrDefault(app, "")));
    }
    lines.add(String.format(Locale.ROOT, "t=%.1fs  client calls: %d ok, %d failed  (%s, %s)",
        elapsed(), okCalls.sum(), failedCalls.sum(), options.strategy, cluster.backend()));
    if (live) {
      if (tableLines > 0) {
        out.print("\033[" + tableLines + "F\033[J"); // back to the table's first line, clear
      }
      flushEvents();
      lines.forEach(out::println);
      tableLines = lines.size();
    } else {
      flushEvents();
      out.println();
      lines.forEach(l -> out.println("  " + l));
      out.println();
    }
    out.flush();
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  private String trafficSummary(Cluster cluster, LoadBalancingStrategy strategy,
      AppInstance killed, AppInstance unhealthy, AppInstance slow, AppInstance joined,
      long[] eventNanos, Map<Integer, long[]> servedAtStep) {
    TrafficRecorder.Counts k = traffic.counts(killed.port());
    TrafficRecorder.Counts u = traffic.counts(unhealthy.port());
    TrafficRecorder.Counts j = traffic.counts(joined.port());
    long killAttemptsMs = (k.lastAttemptNanos - eventNanos[0]) / 1_000_000;
    long unhealthyLastMs = (u.lastServedNanos - eventNanos[2]) / 1_000_000;
    long joinedFirstMs = (j.firstServedNanos.get() - eventNanos[5]) / 1_000_000;
    boolean dns = cluster.backend().equals("dns");
    String unhealthyTold = dns ? "Marathon killed it for failing its health check (Mesos-DNS "
        + "ignores health, so that is how DNS clients learn)" : "Marathon sent the health "
        + "event";
    long reportedMs = (eventNanos[1] - eventNanos[0]) / 1_000_000;
    long failedOnKilled = k.failed.sum();
    String kill = failedOnKilled == 0
        ? "No call tried " + killed.name() + " after it was killed."
        : String.format(Locale.ROOT, "Killing %s cost %s (connection refused), retried on another "
            + "instance; the last came %d ms after the kill%s", killed.name(), failedOnKilled == 1
            ? "1 failed attempt" : failedOnKilled + " failed attempts",
            Math.max(0, killAttemptsMs), killAttemptsMs < reportedMs
                ? ", " + (reportedMs - Math.max(0, killAttemptsMs)) + " ms before " + (dns
                    ? "Mesos-DNS dropped its SRV record" : "Marathon reported the task gone")
                    + ": passive health had ejected it."
                : ".");
    String slowSentence = apps.size() - 3 <= 1 // killed, unhealthy, slow; the new one came later
        ? "When " + slow.name() + " turned slow it was the only routable instance left, so it "
            + "kept the traffic until " + joined.name() + " joined."
        : String.format(Locale.ROOT, "When %s turned slow its share of the calls went from "
            + "%.0f%% to %.0f%% (%s).", slow.name(), share(servedAtStep, slow, 2, 3),
            share(servedAtStep, slow, 3, 4),
            strategy.name().equals("peak-ewma") || strategy.name().equals("least-in-flight")
                ? strategy.name() + " steers by what it measures"
                : strategy.name() + " does not look at latency; try --strategy peak-ewma");
    return String.format(Locale.ROOT, "In %d s, %d client threads made %,d calls to %s through "
        + "Lodestar (%s over %s) and %d failed. %s %s served its last call %s %s. %s The new %s "
        + "took its first call %s after %s.",
        options.durationSeconds, CLIENT_THREADS, okCalls.sum() + failedCalls.sum(), APP,
        strategy.name(), cluster.backend(), failedCalls.sum(), kill,
        unhealthy.name(), u.lastServedNanos < eventNanos[2] ? "before"
            : unhealthyLastMs + " ms after", unhealthyTold, slowSentence,
        joined.name(), j.firstServedNanos.get() == Long.MIN_VALUE ? "never"
            : Math.max(0, joinedFirstMs) + " ms",
        dns ? "its SRV record appeared" : "passing its first health check");
  }

  // ---- sticky routing -------------------------------------------------------------------------

  /** Returns {stable, moved, keys of the removed instance, moved from other instances}. */
  private int[] sticky(Cluster cluster) throws Exception {
    out.println();
    out.println("Sticky routing: strategy sticky, " + STICKY_KEYS + " user keys sent as X-User "
        + "headers through the same client.");
    ExecutorService pool = Executors.newFixedThreadPool(8, daemon("sticky"));
    try (ServiceResolver resolver = ServiceResolver.builder()
        .source(cluster.newSource())
        .strategy(LoadBalancingStrategy.sticky())
        .build()) {
      LoadBalancedHttpClient http = LoadBalancedHttpClient.builder(resolver)
          .httpClient(traffic)
          .affinityKey(r -> r.headers().firstValue("X-User").orElse(null))
          .build();
      Map<String, String> first = round(http, pool);
      Map<String, String> second = round(http, pool);
      int stable = 0;
      for (String key : first.keySet()) {
        stable += first.get(key).equals(second.get(key)) ? 1 : 0;
      }
      Map<String, Integer> spread = new java.util.TreeMap<>();
      first.values().forEach(name -> spread.merge(name, 1, Integer::sum));
      out.println("  keys per instance: " + spread + "; asked again, " + stable + " of "
          + STICKY_KEYS + " keys landed on the same instance");

      AppInstance removed = apps.get(apps.size() - 1);
      cluster.taskEnded(removed, "TASK_KILLED");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (resolver.instances(APP).stream().anyMatch(i -> i.port() == removed.port())
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      removed.kill();
      Map<String, String> third = round(http, pool);
      int moved = 0;
      int ofRemoved = 0;
      int fromOthers = 0;
      for (String key : first.keySet()) {
        boolean wasOnRemoved = first.get(key).equals(removed.name());
        ofRemoved += wasOnRemoved ? 1 : 0;
        if (!first.get(key).equals(third.get(key))) {
          moved++;
          fromOthers += wasOnRemoved ? 0 : 1;
        }
      }
      stickyRemoved = removed.name();
      out.println("  scaled down: " + removed.name() + " stopped (TASK_KILLED); " + moved
          + " keys moved, " + ofRemoved + " of them were on " + removed.name() + ", "
          + fromOthers + " came from other instances");
      return new int[] {stable, moved, ofRemoved, fromOthers};
    } finally {
      pool.shutdownNow();
    }
  }

  private Map<String, String> round(LoadBalancedHttpClient http, ExecutorService pool)
      throws Exception {
    List<Callable<String>> calls = new ArrayList<>();
    for (int user = 0; user < STICKY_KEYS; user++) {
      HttpRequest request = HttpRequest.newBuilder(APP_URL).header("X-User", "user-" + user)
          .timeout(Duration.ofSeconds(10)).build();
      calls.add(() -> {
        try {
          String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
          okCalls.increment();
          return body;
        } catch (Exception e) {
          failedCalls.increment();
          return "failed: " + e;
        }
      });
    }
    Map<String, String> landed = new HashMap<>();
    List<Future<String>> results = pool.invokeAll(calls);
    for (int user = 0; user < STICKY_KEYS; user++) {
      landed.put("user-" + user, results.get(user).get());
    }
    return landed;
  }

  private String stickySummary(Result r) {
    return String.format(Locale.ROOT, "Sticky routing kept %d of %d keys on their instance, and "
        + "scaling down %s moved %d keys: %s.", r.stickyStable, r.stickyKeys, stickyRemoved,
        r.stickyMoved, r.stickyMovedFromOthers == 0 && r.stickyMoved == r.stickyKeysOfRemoved
            ? "exactly the ones it held" : "not only its own (" + r.stickyMovedFromOthers
            + " from other instances)");
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, "demo-" + name);
      t.setDaemon(true);
      return t;
    };
  }

  private static String wrap(String text, int width) {
    StringBuilder sb = new StringBuilder();
    int col = 0;
    for (String word : text.split(" ")) {
      if (col > 0 && col + 1 + word.length() > width) {
        sb.append('\n');
        col = 0;
      } else if (col > 0) {
        sb.append(' ');
        col++;
      }
      sb.append(word);
      col += word.length();
    }
    return sb.toString();
  }
}
