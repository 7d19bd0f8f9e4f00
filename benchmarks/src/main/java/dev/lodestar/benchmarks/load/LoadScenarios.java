package dev.lodestar.benchmarks.load;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ResolverListener;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.source.StaticSource;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Load scenarios of issue 7, against real HTTP servers on loopback, with the client going
 * through a {@link ServiceResolver}:
 *
 * <ol>
 *   <li><b>slow instance</b>: one of ten instances is 10x slower; client latency percentiles for
 *       round-robin, least-in-flight (P2C) and peak EWMA, next to each strategy's all-healthy run,
 *       interleaved in rounds so that machine noise hits every configuration alike;
 *   <li><b>kill</b>: two of ten instances killed mid-run; failed calls with {@code maxAttempts(1)}
 *       and with the default (3);
 *   <li><b>churn</b>: the ten tasks of a Marathon app replaced one by one through a fake
 *       Marathon's event stream, read by a real {@link MarathonSource}; failed calls, and calls
 *       sent to a task after its kill event was applied;
 *   <li><b>soak</b>: two threads calling {@code pick()} flat out while a third replaces the
 *       snapshot 1,000 times a second.
 * </ol>
 *
 * <p>Writes {@code load-scenarios.md} and {@code load-scenarios.png} to the output directory.
 *
 * <p>Length (~645 lines): the four scenarios are one program so that they share the backends,
 * the sending loop and the report; each scenario is one method.
 *
 * <pre>
 * java -Djava.awt.headless=true -cp benchmarks/target/benchmarks.jar \
 *     dev.lodestar.benchmarks.load.LoadScenarios --out docs [--requests 20000] [--rate 2000] \
 *     [--soak-seconds 60] [--clients 64] [--service-ms 10] [--scenarios 1234]
 * </pre>
 */
public final class LoadScenarios {
  static final String APP = "/load/app";
  static final int INSTANCES = 10;
  static final int ROUNDS = 4;

  /** Command-line options. */
  static final class Options {
    Path out = Path.of("docs");
    int requests = 20_000;
    double rate = 1_000;
    int soakSeconds = 60;
    int clients = 64;
    int serviceMs = 10;
    String scenarios = "1234";

    /** Service time of a normal instance. */
    long fastNanos() {
      return TimeUnit.MILLISECONDS.toNanos(serviceMs);
    }

    /** Service time of the slow instance of scenario 1: ten times a normal one. */
    long slowNanos() {
      return 10 * fastNanos();
    }

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--out" -> o.out = Path.of(required(args[i], value));
          case "--requests" -> o.requests = Integer.parseInt(required(args[i], value));
          case "--rate" -> o.rate = Double.parseDouble(required(args[i], value));
          case "--soak-seconds" -> o.soakSeconds = Integer.parseInt(required(args[i], value));
          case "--clients" -> o.clients = Integer.parseInt(required(args[i], value));
          case "--service-ms" -> o.serviceMs = Integer.parseInt(required(args[i], value));
          case "--scenarios" -> o.scenarios = required(args[i], value);
          default -> throw new IllegalArgumentException("unknown option " + args[i]
              + "; options: --out DIR --requests N --rate PER_S --soak-seconds S --clients N"
              + " --service-ms MS --scenarios 1234");
        }
        i++;
      }
      if (o.requests < ROUNDS * 100 || o.rate <= 0 || o.soakSeconds < 1 || o.clients < 1
          || o.serviceMs < 1) {
        throw new IllegalArgumentException("need --requests >= " + ROUNDS * 100
            + ", --rate > 0, --soak-seconds >= 1, --clients >= 1, --service-ms >= 1");
      }
      return o;
    }

    private static String required(String option, String value) {
      if (value == null) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return value;
    }

    String command() {
      return "java -Djava.awt.headless=true -cp benchmarks/target/benchmarks.jar "
          + LoadScenarios.class.getName() + " --out " + out + " --requests " + requests
          + " --rate " + (long) rate + " --soak-seconds " + soakSeconds + " --clients " + clients
          + " --service-ms " + serviceMs
          + ("1234".equals(scenarios) ? "" : " --scenarios " + scenarios);
    }
  }

  private final Options options;
  private final HttpClient http;
  private final OpenLoop load;
  private final Report report;
  /** Runs the killer and the churn's load beside the main thread (not the common pool). */
  private final ExecutorService background =
      Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scenario-background");
        t.setDaemon(true);
        return t;
      });

  private LoadScenarios(Options options) {
    this.options = options;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(1))
        .build();
    this.load = new OpenLoop(options.clients);
    this.report = new Report(options);
  }

  /** One GET to an instance; throws on a transport error or a status other than 200. */
  private void send(Instance instance) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + instance.address() + "/"))
        .timeout(Duration.ofSeconds(5))
        .GET()
        .build();
    HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + " from " + instance.address());
    }
  }

  private List<Backend> startBackends(String prefix, int n) throws IOException {
    List<Backend> backends = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      backends.add(new Backend(prefix + i, options.fastNanos()));
    }
    return backends;
  }

  private static List<Instance> instancesOf(String serviceId, List<Backend> backends) {
    List<Instance> instances = new ArrayList<>();
    for (Backend b : backends) {
      instances.add(Instance.builder(serviceId, b.name(), "127.0.0.1", b.port()).build());
    }
    return instances;
  }

  private static ServiceResolver resolver(
      List<Backend> backends, LoadBalancingStrategy strategy, int maxAttempts) {
    StaticSource source = StaticSource.create().set(APP, instancesOf(APP, backends));
    ServiceResolver resolver = ServiceResolver.builder()
        .source(source)
        .strategy(strategy)
        .maxAttempts(maxAttempts)
        .build();
    resolver.instances(APP); // loads the service
    return resolver;
  }

  // ---- 1: one slow instance ---------------------------------------------------------------

  /** One strategy in one condition (all healthy, or one instance slow). */
  static final class Config {
    final String label;
    final LoadBalancingStrategy strategy;
    final boolean slow;
    final List<OpenLoop.Result> parts = new ArrayList<>();
    /** Longest machine stall during each part, ms. */
    final List<Double> stallsMs = new ArrayList<>();
    final LongAdder toSlow = new LongAdder();
    ServiceResolver resolver;
    OpenLoop.Result merged;

    Config(String label, LoadBalancingStrategy strategy, boolean slow) {
      this.label = label;
      this.strategy = strategy;
      this.slow = slow;
    }
  }

  static final Map<String, LoadBalancingStrategy> STRATEGIES = new LinkedHashMap<>();

  static {
    STRATEGIES.put("round-robin", LoadBalancingStrategy.roundRobin());
    STRATEGIES.put("least-in-flight (P2C)", LoadBalancingStrategy.leastInFlight());
    STRATEGIES.put("peak-EWMA (P2C)", LoadBalancingStrategy.peakEwma());
  }

  private List<Config> slowInstance() throws Exception {
    List<Backend> backends = startBackends("s", INSTANCES);
    Backend slow = backends.get(INSTANCES / 2);
    List<Config> configs = new ArrayList<>();
    for (boolean isSlow : new boolean[] {false, true}) {
      STRATEGIES.forEach((label, strategy) -> configs.add(new Config(label, strategy, isSlow)));
    }
    try {
      for (Config c : configs) {
        c.resolver = resolver(backends, c.strategy, ServiceResolver.Builder.DEFAULT_MAX_ATTEMPTS);
      }
      // JIT warm-up of client, servers and every strategy, on resolvers of their own (so the
      // measured ones start without history); not recorded.
      for (LoadBalancingStrategy strategy : STRATEGIES.values()) {
        try (ServiceResolver warm = resolver(backends, strategy, 3)) {
          load.run((int) Math.min(options.rate * 2, 4000), options.rate,
              i -> warm.call(APP, inst -> {
                send(inst);
                return null;
              }));
        }
      }
      int perPart = options.requests / ROUNDS;
      StallMeter stalls = new StallMeter();
      for (int round = 0; round < ROUNDS; round++) {
        for (Config c : configs) {
          slow.serviceNanos(c.slow ? options.slowNanos() : options.fastNanos());
          int slowPort = slow.port();
          stalls.takeMaxMs();
          OpenLoop.Result r = load.run(perPart, options.rate, i -> c.resolver.call(APP, inst -> {
            if (inst.port() == slowPort) {
              c.toSlow.increment();
            }
            send(inst);
            return null;
          }));
          c.parts.add(r);
          c.stallsMs.add(stalls.takeMaxMs());
          log("scenario 1 round %d %-22s %-11s p50 %.2f p99 %.2f p99.9 %.2f ms, failed %d,"
              + " longest stall %.1f ms", round + 1, c.label, c.slow ? "one slow" : "all healthy",
              r.ms(0.5), r.ms(0.99), r.ms(0.999), r.failed, c.stallsMs.get(round));
        }
      }
      stalls.close();
      for (Config c : configs) {
        c.merged = OpenLoop.Result.merge(c.parts);
      }
    } finally {
      for (Config c : configs) {
        if (c.resolver != null) {
          c.resolver.close();
        }
      }
      backends.forEach(Backend::close);
    }
    return configs;
  }

  // ---- 2: two instances killed ------------------------------------------------------------

  /** What one kill run measured. */
  record KillRun(String label, int maxAttempts, OpenLoop.Result result, long attempts,
      long refusedAttempts, int ejected, double killAtSeconds,
      List<Long> killToEjectNanos) {}

  /**
   * Kills two of ten instances a third of the way through a run.
   *
   * @param retryAnyIo also retry on any {@link IOException} (safe here: the calls are GETs)
   */
  private KillRun kill(String label, int maxAttempts, boolean retryAnyIo) throws Exception {
    List<Backend> backends = startBackends("k", INSTANCES);
    int requests = (int) Math.max(options.rate * 6, 1000);
    double seconds = requests / options.rate;
    AtomicLong attempts = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
    List<Long> ejectedAt = new CopyOnWriteArrayList<>();
    StaticSource source = StaticSource.create().set(APP, instancesOf(APP, backends));
    try (ServiceResolver resolver = ServiceResolver.builder()
        .source(source)
        .strategy(LoadBalancingStrategy.roundRobin())
        .maxAttempts(maxAttempts)
        .retryOn(retryAnyIo
            ? e -> e instanceof IOException || ServiceResolver.Builder.isConnectionFailure(e)
            : ServiceResolver.Builder::isConnectionFailure)
        .listener(new ResolverListener() {
          @Override
          public void onEjection(Instance instance, Duration duration, Throwable cause) {
            ejectedAt.add(System.nanoTime());
          }
        })
        .build()) {
      resolver.instances(APP);
      long killDelay = (long) (seconds / 3 * 1e9);
      CompletableFuture<Void> killer = CompletableFuture.runAsync(() -> {
        LockSupport.parkNanos(killDelay);
        killedAt.set(System.nanoTime());
        backends.get(2).kill();
        backends.get(7).kill();
      }, background);
      OpenLoop.Result r = load.run(requests, options.rate, i -> {
        resolver.call(APP, inst -> {
          attempts.incrementAndGet();
          try {
            send(inst);
          } catch (Exception e) {
            if (ServiceResolver.Builder.isConnectionFailure(e)) {
              refused.incrementAndGet();
            }
            throw e;
          }
          return null;
        });
      });
      killer.get(10, TimeUnit.SECONDS);
      ServiceStatus status = resolver.status(APP).orElseThrow();
      log("scenario 2 %s: %d requests, %d failed %s, %d attempts, %d refused,"
          + " %d ejected", label, r.requests, r.failed, r.failures, attempts.get(),
          refused.get(), status.ejectedInstances());
      List<Long> killToEject = new ArrayList<>();
      for (long t : ejectedAt) {
        killToEject.add(t - killedAt.get());
      }
      return new KillRun(label, maxAttempts, r, attempts.get(), refused.get(),
          status.ejectedInstances(), seconds / 3, killToEject);
    } finally {
      backends.forEach(Backend::close);
    }
  }

  // ---- 3: churn through the Marathon event stream ----------------------------------------

  /** What the churn run measured. */
  record ChurnRun(OpenLoop.Result result, int replaced, long attempts, long refusedAttempts,
      long afterApplied, long afterEmittedBeforeApplied, List<Long> applyNanos,
      List<Long> joinNanos) {}

  private record Attempt(String instanceId, long requestStart) {}

  private ChurnRun churn() throws Exception {
    String app = "/load/churn";
    int replacements = INSTANCES;
    long intervalNanos = TimeUnit.MILLISECONDS.toNanos(800);
    Map<String, Backend> byTask = new ConcurrentHashMap<>();
    List<FakeMarathon.Task> tasks = new ArrayList<>();
    Map<String, Long> appliedAt = new ConcurrentHashMap<>();
    Map<String, Long> emittedAt = new ConcurrentHashMap<>();
    Set<String> retiring = ConcurrentHashMap.newKeySet();
    ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
    AtomicLong refused = new AtomicLong();
    List<Long> applyNanos = new ArrayList<>();
    List<Long> joinNanos = new ArrayList<>();
    int[] seq = {0};
    try (FakeMarathon marathon = new FakeMarathon().heartbeat(Duration.ofSeconds(5))) {
      for (int i = 0; i < INSTANCES; i++) {
        Backend b = new Backend("c" + i, options.fastNanos());
        FakeMarathon.Task t = new FakeMarathon.Task(
            "load_churn.task-" + (++seq[0]), b.port(), "TASK_RUNNING");
        byTask.put(t.id(), b);
        tasks.add(t);
      }
      marathon.setTasks(app, tasks);
      ResolverListener listener = new ResolverListener() {
        @Override
        public void onSnapshot(ServiceSnapshot snapshot) {
          // Called after the new picker is in place: every pick that starts later sees it.
          long now = System.nanoTime();
          if (!snapshot.serviceId().equals(app)) {
            return;
          }
          for (String id : retiring) {
            boolean routable = snapshot.instances().stream()
                .anyMatch(i -> i.instanceId().equals(id) && i.health().isRoutable());
            if (!routable) {
              appliedAt.putIfAbsent(id, now);
            }
          }
        }
      };
      try (ServiceResolver resolver = ServiceResolver.builder()
          .source(MarathonSource.builder().url(marathon.url()).build())
          .listener(listener)
          .build()) {
        resolver.instances(app);
        await(() -> marathon.openStreams() > 0, 10_000, "the event stream to connect");
        double seconds = 1.0 + replacements * intervalNanos / 1e9 + 1.0;
        int requests = (int) (seconds * options.rate);
        CompletableFuture<OpenLoop.Result> run = CompletableFuture.supplyAsync(() -> {
          try {
            return load.run(requests, options.rate, i -> {
              long start = System.nanoTime();
              resolver.call(app, inst -> {
                attempts.add(new Attempt(inst.instanceId(), start));
                try {
                  send(inst);
                } catch (Exception e) {
                  if (ServiceResolver.Builder.isConnectionFailure(e)) {
                    refused.incrementAndGet();
                  }
                  throw e;
                }
                return null;
              });
            });
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }, background);
        Thread.sleep(1000);
        for (int r = 0; r < replacements; r++) {
          long next = System.nanoTime() + intervalNanos;
          // Marathon's rolling restart: start the new task, then kill the old one.
          Backend nb = new Backend("c" + (INSTANCES + r), options.fastNanos());
          FakeMarathon.Task fresh = new FakeMarathon.Task(
              "load_churn.task-" + (++seq[0]), nb.port(), "TASK_RUNNING");
          byTask.put(fresh.id(), nb);
          tasks.add(fresh);
          marathon.setTasks(app, tasks);
          long joinStart = System.nanoTime();
          marathon.emitStatusUpdate(app, fresh);
          await(() -> resolver.instances(app).stream()
              .anyMatch(i -> i.instanceId().equals(fresh.id())), 5_000, "the new task");
          joinNanos.add(System.nanoTime() - joinStart);

          FakeMarathon.Task old = tasks.get(0);
          FakeMarathon.Task killing = new FakeMarathon.Task(old.id(), old.port(), "TASK_KILLING");
          tasks.set(0, killing);
          marathon.setTasks(app, tasks);
          retiring.add(old.id());
          long killStart = System.nanoTime();
          emittedAt.put(old.id(), killStart);
          marathon.emitStatusUpdate(app, killing);
          await(() -> appliedAt.containsKey(old.id()), 5_000, "the kill event to apply");
          applyNanos.add(appliedAt.get(old.id()) - killStart);
          // SIGTERM grace: the application finishes what it is serving, then exits.
          Thread.sleep(100);
          byTask.get(old.id()).drainAndStop(1);
          tasks.remove(0);
          marathon.setTasks(app, tasks);
          marathon.emitStatusUpdate(app,
              new FakeMarathon.Task(old.id(), old.port(), "TASK_KILLED"));
          for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
            LockSupport.parkNanos(wait);
          }
        }
        OpenLoop.Result result = run.get(120, TimeUnit.SECONDS);
        long after = 0;
        long between = 0;
        for (Attempt a : attempts) {
          Long applied = appliedAt.get(a.instanceId());
          Long emitted = emittedAt.get(a.instanceId());
          if (applied != null && a.requestStart() > applied) {
            after++;
          } else if (emitted != null && a.requestStart() > emitted) {
            between++;
          }
        }
        log("scenario 3: %d requests, %d failed %s, %d after applied, %d in the apply window",
            result.requests, result.failed, result.failures, after, between);
        return new ChurnRun(result, replacements, attempts.size(), refused.get(), after, between,
            applyNanos, joinNanos);
      }
    } finally {
      byTask.values().forEach(Backend::close);
    }
  }

  // ---- 4: soak ----------------------------------------------------------------------------

  /** What the soak measured. */
  record SoakRun(double seconds, long picks, long updates, long errors, long stale,
      String firstError) {}

  private static final String SOAK = "/load/soak";
  private static final int PORT_BASE = 1024;
  private static final int PORT_SPAN = 60_000;

  /** Snapshot {@code g} lists instances {@code g .. g+9}; instance {@code n} has port base + n. */
  private static List<Instance> soakInstances(long g) {
    List<Instance> list = new ArrayList<>(INSTANCES);
    for (long n = g; n < g + INSTANCES; n++) {
      list.add(Instance.builder(SOAK, "i-" + n, "127.0.0.1",
          PORT_BASE + (int) (n % PORT_SPAN)).build());
    }
    return list;
  }

  private SoakRun soak() throws Exception {
    StaticSource source = StaticSource.create().set(SOAK, soakInstances(0));
    AtomicLong published = new AtomicLong(); // the generation whose set() has returned
    LongAdder picks = new LongAdder();
    LongAdder errors = new LongAdder();
    LongAdder stale = new LongAdder();
    AtomicLong updates = new AtomicLong();
    String[] firstError = {null};
    long durationNanos = TimeUnit.SECONDS.toNanos(options.soakSeconds);
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      resolver.pick(SOAK);
      long start = System.nanoTime();
      long end = start + durationNanos;
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        threads.add(new Thread(() -> {
          long count = 0;
          while (true) {
            if ((count & 1023) == 0 && System.nanoTime() - end >= 0) {
              break;
            }
            long g = published.get();
            try {
              Instance i = resolver.pick(SOAK);
              // The picked instance must belong to generation g or a later one: n >= g.
              int ahead = Math.floorMod(i.port() - PORT_BASE - (int) (g % PORT_SPAN), PORT_SPAN);
              if (ahead >= PORT_SPAN / 2) {
                stale.increment();
              }
            } catch (RuntimeException e) {
              errors.increment();
              synchronized (firstError) {
                if (firstError[0] == null) {
                  firstError[0] = OpenLoop.describe(e);
                }
              }
            }
            count++;
          }
          picks.add(count);
        }, "soak-picker-" + t));
      }
      Thread writer = new Thread(() -> {
        long g = 0;
        for (long due = start + 1_000_000; due - end < 0; due += 1_000_000) {
          for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
          }
          g++;
          source.set(SOAK, soakInstances(g));
          published.set(g);
          updates.incrementAndGet();
        }
      }, "soak-writer");
      threads.add(writer);
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join(durationNanos / 1_000_000 + 30_000);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      log("scenario 4: %.1f s, %,d picks (%,.0f/s), %,d updates (%,.0f/s), %d errors, %d stale",
          seconds, picks.sum(), picks.sum() / seconds, updates.get(), updates.get() / seconds,
          errors.sum(), stale.sum());
      return new SoakRun(seconds, picks.sum(), updates.get(), errors.sum(), stale.sum(),
          firstError[0]);
    }
  }

  // ---- running ----------------------------------------------------------------------------

  private static void await(BooleanSupplier condition, long timeoutMillis, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(0, 200_000);
    }
  }

  static void log(String format, Object... args) {
    System.out.printf(Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + format + "%n", args);
  }

  private void run() throws Exception {
    long t0 = System.nanoTime();
    if (options.scenarios.contains("1")) {
      report.slowInstance = slowInstance();
    }
    if (options.scenarios.contains("2")) {
      int defaultAttempts = ServiceResolver.Builder.DEFAULT_MAX_ATTEMPTS;
      report.kills = List.of(
          kill("first kill in this JVM (cold), default `maxAttempts` 3", defaultAttempts, false),
          kill("`maxAttempts(1)` (no retry)", 1, false),
          kill("default `maxAttempts` 3", defaultAttempts, false),
          kill("`maxAttempts` 3, `retryOn` also any `IOException` (idempotent GET)",
              defaultAttempts, true));
    }
    if (options.scenarios.contains("3")) {
      report.churn = churn();
    }
    if (options.scenarios.contains("4")) {
      report.soak = soak();
    }
    report.totalSeconds = (System.nanoTime() - t0) / 1e9;
    Files.createDirectories(options.out);
    report.write();
  }

  public static void main(String[] args) throws Exception {
    // Without it the JDK server delays small responses by ~40 ms (Nagle + delayed ACK).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    System.setProperty("java.awt.headless", "true");
    Options options = Options.parse(args);
    // Logging starts up here, as in an application, rather than inside the first ejection (the
    // resolver logs it) and the first event-stream connect.
    System.getLogger(LoadScenarios.class.getName()).log(System.Logger.Level.INFO,
        "load scenarios starting: " + options.command());
    LoadScenarios scenarios = new LoadScenarios(options);
    int status = 0;
    try {
      scenarios.run();
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    } finally {
      scenarios.load.close();
      scenarios.background.shutdownNow();
    }
    // Daemon threads only, but the JDK HttpClient keeps its selector alive for a while.
    System.exit(status);
  }
}
