package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ResolverListener;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fault injection for the Marathon backend: a {@link ServiceResolver} over {@link MarathonSource}
 * over {@link FakeMarathon} (JDK HTTP server on loopback, serving the fixtures in testdata/), with a
 * {@link FaultProxy} in front of it for the network faults, while a caller keeps picking.
 *
 * <p>REST faults: with a good snapshot cached, no pick may fail; the resolver logs the fault once
 * (its WARNING) however many refreshes fail; {@code status(id).lastError()} names it and {@code
 * age()} grows; the snapshot is confirmed again by itself once the server is healthy. With
 * nothing cached, the first pick fails with the documented type instead of hanging. A leader
 * switch and a task with a bad host or port are not errors: picks go on, the bad task is never
 * picked and is logged once.
 *
 * <p>Event-stream faults (dropped mid-event, silent past the idle timeout, unknown event types):
 * picks go on, the stream comes back by itself, and an event sent afterwards is applied.
 *
 * <p>The figures are printed as a Markdown table and written to {@code
 * target/fault-table-marathon.md}; recovery time is measured, never asserted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MarathonFaultInjectionTest {
  static final String ZDD15 = EventStreamTest.ZDD15;
  static final String APP = "/nginx-green";
  static final String APP_PATH = EventStreamTest.APP_PATH;
  static final String T1 = EventStreamTest.T1;
  private static final Duration REFRESH = Duration.ofMillis(100);
  private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(400);
  private static final long MAX_RESPONSE_BYTES = 64 * 1024;
  private static final int FAILED_REFRESHES = 5;
  /** Hang guard for every wait; never a timing assertion. */
  private static final Duration GUARD = Duration.ofSeconds(20);

  private static final String LEADER_SWITCH = "leader switch between two servers";
  private static final String BAD_TASK = "a task with a bad host, another with a bad port";
  private static final String DROPPED = "event stream dropped mid-event";
  private static final String SILENT = "event stream silent past the idle timeout (400 ms)";
  private static final String UNKNOWN_EVENTS = "unknown event types and unreadable event data";
  /** The table, in a fixed order whatever order the tests run in. */
  private static final Map<String, Row> ROWS = new LinkedHashMap<>();

  static {
    for (RestFault fault : RestFault.values()) {
      ROWS.put(fault.description, new Row());
    }
    for (String other : List.of(LEADER_SWITCH, BAD_TASK, DROPPED, SILENT, UNKNOWN_EVENTS)) {
      ROWS.put(other, new Row());
    }
  }

  /** Faults of the REST reads, with how to switch them on and off. */
  enum RestFault {
    REFUSED("connection refused", DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) throws IOException {
        t.proxy.refuse(true);
      }
    },
    NEVER_ANSWERS("accepts, never answers", DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        t.proxy.blackhole(true);
      }
    },
    SLOWER_THAN_TIMEOUT("answers after 2 x the request timeout",
        DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        t.proxy.delay(REQUEST_TIMEOUT.multipliedBy(2));
      }
    },
    HTTP_500("HTTP 500", DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        t.marathon.answer(APP_PATH, 500, "{\"message\":\"boom\"}".getBytes(StandardCharsets.UTF_8));
      }
    },
    HTTP_503("HTTP 503 (no leader)", DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        t.marathon.answer(APP_PATH, 503, "{\"message\":\"Could not determine the current leader\"}"
            .getBytes(StandardCharsets.UTF_8));
      }
    },
    HTTP_401("HTTP 401", MarathonAuthenticationException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        t.marathon.answer(APP_PATH, 401, "{\"message\":\"Invalid username or password.\"}"
            .getBytes(StandardCharsets.UTF_8));
      }
    },
    GARBAGE("garbage body (HTML error page)", DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        t.marathon.answer(APP_PATH, "<html><body>502 Bad Gateway</body></html>"
            .getBytes(StandardCharsets.UTF_8));
      }
    },
    CUT_MID_DOCUMENT("connection closed mid-document", DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        t.proxy.cutAfter(Fixtures.bytes(ZDD15).length / 2); // headers plus about half the body
      }
    },
    OVER_SIZE_LIMIT("body over maxResponseBytes (64 KiB)", DiscoveryUnavailableException.class) {
      @Override void inject(MarathonFaultInjectionTest t) {
        // The fixture, valid JSON, padded with whitespace past the limit.
        byte[] body = Fixtures.bytes(ZDD15);
        byte[] padded = new byte[(int) MAX_RESPONSE_BYTES * 2];
        java.util.Arrays.fill(padded, (byte) ' ');
        System.arraycopy(body, 0, padded, 0, body.length);
        t.marathon.answer(APP_PATH, padded);
      }
    };

    final String description;
    final Class<? extends DiscoveryException> coldException;

    RestFault(String description, Class<? extends DiscoveryException> coldException) {
      this.description = description;
      this.coldException = coldException;
    }

    abstract void inject(MarathonFaultInjectionTest t) throws IOException;
  }

  /** One line of the table. */
  static final class Row {
    long picksServed;
    long failedPicks;
    int failedRefreshes;
    int resolverWarnings;
    int sourceRecords;
    double recoveryMillis = Double.NaN;
    String recoveryNote = "";
    String coldOutcome = "-";
  }

  private final Logger lodestarLogger = Logger.getLogger("dev.lodestar"); // strong ref for JUL
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      logged.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final AtomicInteger failedLoads = new AtomicInteger();
  private final AtomicInteger goodLoads = new AtomicInteger();
  private final AtomicLong firstFailureNanos = new AtomicLong();
  /** Instance ids of every snapshot the resolver applied, in order. */
  private final List<List<String>> snapshots = new CopyOnWriteArrayList<>();
  private FakeMarathon marathon;
  private FakeMarathon standby;
  private FaultProxy proxy;
  private ServiceResolver resolver;
  private ScheduledExecutorService heartbeats;

  @BeforeEach
  void start() throws IOException {
    marathon = new FakeMarathon();
    marathon.answer(APP_PATH, Fixtures.bytes(ZDD15));
    proxy = new FaultProxy(marathon.url());
    capture.setLevel(Level.ALL);
    lodestarLogger.addHandler(capture);
  }

  @AfterEach
  void stop() {
    lodestarLogger.removeHandler(capture);
    if (heartbeats != null) {
      heartbeats.shutdownNow();
    }
    if (resolver != null) {
      resolver.close();
    }
    proxy.close();
    marathon.close();
    if (standby != null) {
      standby.close();
    }
  }

  private MarathonSource.Builder source(String... urls) {
    return MarathonSource.builder()
        .urls(urls)
        .pollInterval(Duration.ZERO)
        .eventStream(false)
        .connectTimeout(REQUEST_TIMEOUT)
        .requestTimeout(REQUEST_TIMEOUT)
        .maxResponseBytes(MAX_RESPONSE_BYTES)
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100));
  }

  private ServiceResolver resolver(MarathonSource source, Duration refresh) {
    return ServiceResolver.builder()
        .source(source)
        .refreshInterval(refresh)
        .loadTimeout(Duration.ofSeconds(2))
        .listener(new ResolverListener() {
          @Override
          public void onSnapshot(dev.lodestar.discovery.ServiceSnapshot snapshot) {
            snapshots.add(snapshot.instances().stream().map(Instance::instanceId).toList());
          }

          @Override
          public void onLoad(String serviceId, Duration latency, Throwable error) {
            if (error != null) {
              firstFailureNanos.compareAndSet(0, System.nanoTime());
              failedLoads.incrementAndGet();
            } else {
              goodLoads.incrementAndGet();
            }
          }
        })
        .build();
  }

  /** Loads the app until it is cached with no error, then clears the counters and the log. */
  private int warmUp() {
    await(() -> {
      try {
        return !resolver.instances(APP).isEmpty()
            && resolver.status(APP).orElseThrow().lastError().isEmpty();
      } catch (DiscoveryUnavailableException notYet) {
        return false;
      }
    });
    int instances = resolver.instances(APP).size();
    logged.clear();
    failedLoads.set(0);
    goodLoads.set(0);
    firstFailureNanos.set(0);
    return instances;
  }

  @ParameterizedTest
  @EnumSource(RestFault.class)
  void rest_fault_with_a_good_snapshot_cached_never_fails_a_pick(RestFault fault)
      throws Exception {
    resolver = resolver(source(proxy.url()).build(), REFRESH);
    int instances = warmUp();
    Row row = ROWS.get(fault.description);

    fault.inject(this);
    pickUntil(row, () -> failedLoads.get() >= FAILED_REFRESHES);
    row.failedRefreshes = failedLoads.get();
    long sinceFirstFailure = System.nanoTime() - firstFailureNanos.get();
    ServiceStatus status = resolver.status(APP).orElseThrow();
    row.resolverWarnings = resolverWarnings();
    row.sourceRecords = sourceRecords();

    heal();
    long healed = System.nanoTime();
    pickUntil(row, () -> resolver.status(APP).map(s -> s.lastError().isEmpty()).orElse(false));
    row.recoveryMillis = (System.nanoTime() - healed) / 1e6;

    assertEquals(0, row.failedPicks, "failed picks while a good snapshot was cached");
    assertTrue(row.picksServed > 0, "picks served");
    assertEquals(1, row.resolverWarnings, () -> "logged once for " + row.failedRefreshes
        + " failed refreshes and " + row.picksServed + " picks: " + messages());
    assertInstanceOf(fault.coldException, status.lastError().orElse(null),
        () -> "status(id).lastError() during the fault: " + status);
    assertTrue(status.age().toNanos() >= sinceFirstFailure, () -> "age() grows: " + status);
    assertEquals(instances, resolver.instances(APP).size(), "the full snapshot is back");
  }

  @ParameterizedTest
  @EnumSource(RestFault.class)
  void rest_fault_with_nothing_cached_fails_the_first_pick_with_the_typed_exception(
      RestFault fault) throws Exception {
    resolver = resolver(source(proxy.url()).build(), REFRESH);
    fault.inject(this);

    DiscoveryException e = assertTimeoutPreemptively(GUARD,
        () -> assertThrows(DiscoveryException.class, () -> resolver.pick(APP)));
    assertInstanceOf(fault.coldException, e, () -> fault + ": " + e);
    assertEquals(APP, e.serviceId());
    assertTrue(resolver.status(APP).isEmpty(), "a failed first load caches nothing");
    ROWS.get(fault.description).coldOutcome =
        e.getClass().getSimpleName();

    heal();
    assertTrue(resolver.pick(APP).port() > 0, "the next pick loads the app");
  }

  @Test
  void leader_switch_between_two_servers_is_transparent() throws Exception {
    standby = new FakeMarathon();
    standby.answer(APP_PATH, 503, "{\"message\":\"Could not determine the current leader\"}"
        .getBytes(StandardCharsets.UTF_8));
    resolver = resolver(source(proxy.url(), standby.url()).build(), REFRESH);
    int instances = warmUp();
    Row row = ROWS.get(LEADER_SWITCH);

    // The leader steps down (it answers 503 as a standby does while no leader is known) and
    // the other server becomes leader.
    long switched = System.nanoTime();
    standby.answer(APP_PATH, Fixtures.bytes(ZDD15));
    marathon.answer(APP_PATH, 503, "{\"message\":\"Could not determine the current leader\"}"
        .getBytes(StandardCharsets.UTF_8));
    long before = count(standby, APP_PATH);
    await(() -> count(standby, APP_PATH) > before);
    row.recoveryMillis = (System.nanoTime() - switched) / 1e6;
    row.recoveryNote = " (until the new leader answered)";
    int loadsBefore = goodLoads.get();
    pickUntil(row, () -> goodLoads.get() >= loadsBefore + FAILED_REFRESHES);
    row.failedRefreshes = failedLoads.get();
    row.resolverWarnings = resolverWarnings();
    row.sourceRecords = sourceRecords();

    assertEquals(0, row.failedPicks, "failed picks during the switch");
    assertEquals(instances, resolver.instances(APP).size());
    assertTrue(resolver.status(APP).orElseThrow().lastError().isEmpty(),
        "a refresh that fails over within itself is no error");
  }

  @Test
  void a_task_with_a_bad_host_or_port_is_skipped_and_logged_once() throws Exception {
    resolver = resolver(source(proxy.url()).build(), REFRESH);
    int instances = warmUp();
    Row row = ROWS.get(BAD_TASK);
    // Task 0 gets an invalid host, task 1 port 0; the third task stays good. The bad tasks get
    // fresh ids because the source remembers, process-wide, which task ids it already reported.
    List<String> badIds = new ArrayList<>();
    AtomicInteger index = new AtomicInteger();
    String run = java.util.UUID.randomUUID().toString();
    marathon.answer(APP_PATH, Mapping.editTasks(Fixtures.bytes(ZDD15), task -> {
      int i = index.getAndIncrement();
      if (i == 0) {
        task.put("id", "nginx-green.bad-host-" + run);
        task.put("host", "not a host!");
        badIds.add(task.get("id").asText());
      } else if (i == 1) {
        task.put("id", "nginx-green.bad-port-" + run);
        task.putArray("ports").add(0);
        badIds.add(task.get("id").asText());
      }
    }));

    await(() -> resolver.instances(APP).size() == instances - 2);
    int loadsBefore = goodLoads.get();
    pickUntil(row, () -> goodLoads.get() >= loadsBefore + FAILED_REFRESHES, instance -> {
      assertFalse(badIds.contains(instance.instanceId()), () -> "picked a bad task: " + instance);
    });
    row.failedRefreshes = failedLoads.get();
    row.resolverWarnings = resolverWarnings();
    row.sourceRecords = sourceRecords();
    marathon.answer(APP_PATH, Fixtures.bytes(ZDD15));
    long healed = System.nanoTime();
    pickUntil(row, () -> resolver.instances(APP).size() == instances);
    row.recoveryMillis = (System.nanoTime() - healed) / 1e6;
    row.recoveryNote = " (until the fixed tasks were back)";

    assertEquals(0, row.failedPicks);
    assertEquals(0, row.resolverWarnings, "skipping a task is no refresh failure");
    assertEquals(2, warnings(logged), () -> "one WARNING per bad task, not per refresh: "
        + messages());
  }

  // ---- event stream ---------------------------------------------------------------------------

  /** A resolver with a slow refresh, so that only the event stream can bring changes quickly. */
  private void startWithStream(Duration idleTimeout) throws Exception {
    resolver = resolver(source(marathon.url()).eventStream(true)
        .eventStreamIdleTimeout(idleTimeout)
        .reconnectSpread(Duration.ofSeconds(1)).build(), Duration.ofMinutes(1));
    warmUp();
    await(() -> marathon.openStreams() == 1);
  }

  /** Kills T1 through the stream and picks until the resolver no longer has it. */
  private void killT1ThroughTheStream(Row row) throws Exception {
    marathon.answer(APP_PATH, EventStreamTest.without(T1));
    marathon.event("status_update_event", EventStreamTest.event("event-status_update_event.json",
        e -> {
          e.put("taskId", T1);
          e.put("appId", APP);
          e.put("taskStatus", "TASK_KILLED");
        }));
    pickUntil(row,
        () -> resolver.instances(APP).stream().noneMatch(i -> i.instanceId().contains(T1)));
  }

  @Test
  void event_stream_dropped_mid_event_reconnects_and_applies_the_next_event() throws Exception {
    startWithStream(Duration.ofSeconds(30));
    Row row = ROWS.get(DROPPED);
    int connections = marathon.eventConnections();

    // A whole event for T2 but for its closing blank line: framing must drop it with the stream.
    snapshots.clear();
    String t2Killed = EventStreamTest.event("event-status_update_event.json", e -> {
      e.put("taskId", EventStreamTest.T2);
      e.put("appId", APP);
      e.put("taskStatus", "TASK_KILLED");
    });
    marathon.send("event: status_update_event\r\ndata: " + t2Killed + "\r\n");
    marathon.drop();
    long dropped = System.nanoTime();
    pickUntil(row, () -> marathon.eventConnections() > connections
        && marathon.openStreams() == 1);
    killT1ThroughTheStream(row);
    row.recoveryMillis = (System.nanoTime() - dropped) / 1e6;
    row.recoveryNote = " (drop to the next event applied)";
    row.resolverWarnings = resolverWarnings();
    row.sourceRecords = sourceRecords();

    assertEquals(0, row.failedPicks);
    assertEquals(2, resolver.instances(APP).size());
    assertTrue(snapshots.stream().allMatch(ids -> ids.stream()
        .anyMatch(id -> id.contains(EventStreamTest.T2))),
        () -> "the unterminated event for T2 was applied: " + snapshots);
  }

  @Test
  void silent_event_stream_is_reconnected_after_the_idle_timeout() throws Exception {
    // Marathon sends a heartbeat (CR, then LF) every 10 s; here every 50 ms, idle timeout 400 ms.
    startWithStream(Duration.ofMillis(400));
    heartbeats = Executors.newSingleThreadScheduledExecutor();
    java.util.concurrent.atomic.AtomicBoolean beating =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    heartbeats.scheduleWithFixedDelay(() -> {
      if (beating.get()) {
        marathon.send("\r");
        marathon.send("\n");
      }
    }, 0, 50, TimeUnit.MILLISECONDS);
    Row row = ROWS.get(SILENT);
    int connections = marathon.eventConnections();
    logged.clear();

    beating.set(false);
    long silent = System.nanoTime();
    pickUntil(row, () -> marathon.eventConnections() > connections);
    beating.set(true);
    await(() -> marathon.openStreams() == 1);
    killT1ThroughTheStream(row);
    row.recoveryMillis = (System.nanoTime() - silent) / 1e6;
    row.recoveryNote = " (silence to the next event applied)";
    row.resolverWarnings = resolverWarnings();
    row.sourceRecords = sourceRecords();

    assertEquals(0, row.failedPicks);
    assertTrue(logged.stream().anyMatch(r -> String.valueOf(r.getMessage()).contains("silent")),
        () -> "the silence is logged: " + messages());
  }

  @Test
  void unknown_event_types_are_ignored_and_the_stream_keeps_working() throws Exception {
    startWithStream(Duration.ofSeconds(30));
    Row row = ROWS.get(UNKNOWN_EVENTS);
    int connections = marathon.eventConnections();

    long sent = System.nanoTime();
    marathon.event("pod_created_event", new String(
        Fixtures.bytes("marathon/event-pod_created_event.json"), StandardCharsets.UTF_8));
    marathon.event("some_future_event", "{\"eventType\":\"some_future_event\",\"x\":[1,2]}");
    marathon.event("status_update_event", "not json at all");
    marathon.send("data: {\"eventType\":\"another_unknown\"}\r\n\r\n");
    marathon.send(": a comment line\r\n\r\n");
    killT1ThroughTheStream(row);
    row.recoveryMillis = (System.nanoTime() - sent) / 1e6;
    row.recoveryNote = " (never broke: to the next event applied)";
    row.resolverWarnings = resolverWarnings();
    row.sourceRecords = sourceRecords();

    assertEquals(0, row.failedPicks);
    assertEquals(connections, marathon.eventConnections(), "the stream was not reconnected");
    assertEquals(0, row.resolverWarnings);
  }

  @AfterAll
  static void writeTable() throws IOException {
    StringBuilder table = new StringBuilder()
        .append("| fault | picks served during the fault | failed picks with a good snapshot"
            + " cached | failed refreshes sat through | resolver WARNINGs | source log lines"
            + " (INFO+) | time to recover after the server is back | nothing cached: first pick"
            + " gets |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (Map.Entry<String, Row> e : ROWS.entrySet()) {
      Row r = e.getValue();
      if (Double.isNaN(r.recoveryMillis) && r.coldOutcome.equals("-")) {
        continue; // not run (a single test was selected)
      }
      table.append("| ").append(e.getKey())
          .append(" | ").append(r.picksServed)
          .append(" | ").append(r.failedPicks)
          .append(" | ").append(r.failedRefreshes)
          .append(" | ").append(r.resolverWarnings)
          .append(" | ").append(r.sourceRecords)
          .append(" | ").append(Double.isNaN(r.recoveryMillis) ? "not run"
              : String.format(java.util.Locale.ROOT, "%.0f ms", r.recoveryMillis))
          .append(r.recoveryNote)
          .append(" | ").append(r.coldOutcome)
          .append(" |\n");
    }
    System.out.println("\nMarathon fault injection (refresh " + REFRESH.toMillis()
        + " ms, request timeout " + REQUEST_TIMEOUT.toMillis() + " ms):\n" + table);
    Path out = Path.of("target", "fault-table-marathon.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table, StandardCharsets.UTF_8);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private void heal() throws IOException {
    proxy.pass();
    marathon.answer(APP_PATH, Fixtures.bytes(ZDD15));
  }

  private void pickUntil(Row row, BooleanSupplier done) {
    pickUntil(row, done, instance -> { });
  }

  // Picks at about 10,000 a second until done; the deadline only guards against a hang.
  private void pickUntil(Row row, BooleanSupplier done,
      java.util.function.Consumer<Instance> check) {
    long deadline = System.nanoTime() + GUARD.toNanos();
    do {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not done within " + GUARD + "; failed loads "
            + failedLoads.get() + ", log: " + messages());
      }
      try {
        check.accept(resolver.pick(APP));
        row.picksServed++;
      } catch (DiscoveryException e) {
        row.failedPicks++;
      }
      LockSupport.parkNanos(100_000);
    } while (!done.getAsBoolean());
  }

  private static long count(FakeMarathon server, String path) {
    return server.requests().stream().filter(path::equals).count();
  }

  private int resolverWarnings() {
    return (int) logged.stream()
        .filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue())
        .filter(r -> "dev.lodestar.discovery.ServiceResolver".equals(r.getLoggerName()))
        .count();
  }

  private int sourceRecords() {
    return (int) logged.stream()
        .filter(r -> r.getLevel().intValue() >= Level.INFO.intValue())
        .filter(r -> !"dev.lodestar.discovery.ServiceResolver".equals(r.getLoggerName()))
        .count();
  }

  private static int warnings(List<LogRecord> records) {
    return (int) records.stream()
        .filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue()).count();
  }

  private List<String> messages() {
    List<String> out = new ArrayList<>();
    for (LogRecord r : logged) {
      out.add(r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage());
    }
    return out;
  }

  // Polls for a condition; the deadline only guards against a hang, it asserts no timing.
  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + GUARD.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + GUARD);
      }
      LockSupport.parkNanos(1_000_000);
    }
  }
}
