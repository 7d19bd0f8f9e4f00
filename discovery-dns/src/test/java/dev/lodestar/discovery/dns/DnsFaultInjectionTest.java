package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.ResolverListener;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
import org.xbill.DNS.Rcode;

/**
 * Fault injection for the DNS backend: a {@link ServiceResolver} over {@link MesosDnsSource} over
 * {@link MesosDnsServer} on loopback, serving the Mesos-DNS fixtures in testdata/, with each fault of
 * issue 7 switched on and off while a caller keeps picking.
 *
 * <p>With a good snapshot cached, every fault must leave picks answered from it (no failed pick),
 * be logged once however many refreshes and picks fail, show in {@code status(id).lastError()}
 * with a growing {@code age()}, and clear by itself once the server is healthy again. With nothing
 * cached, the first pick must fail with the documented exception type instead of hanging.
 *
 * <p>NXDOMAIN for a cached service is served stale too: {@link MesosDnsSource} reports it as
 * {@link UnknownServiceException}, which the resolver records as the last error and tolerates for
 * its unknown-service grace (1 min by default) before it drops the service. With nothing cached
 * the first pick gets {@link UnknownServiceException} at once.
 *
 * <p>The figures (picks served, failed picks, recovery time) are printed as a Markdown table and
 * written to {@code target/fault-table-dns.md}; recovery time is measured, never asserted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsFaultInjectionTest {
  private static final Duration REFRESH = Duration.ofMillis(100);
  private static final Duration DNS_TIMEOUT = Duration.ofMillis(250);
  /** Failed refreshes to sit through before the fault is healed. */
  private static final int FAILED_REFRESHES = 5;
  /** Hang guard for every wait; never a timing assertion. */
  private static final Duration GUARD = Duration.ofSeconds(20);

  private static final Map<Fault, Row> ROWS = new EnumMap<>(Fault.class);

  /** The faults of issue 7, each with how to switch it on and off on the server. */
  enum Fault {
    SERVER_DOWN("server down (both ports closed)", "/big-dog", null) {
      @Override void inject(MesosDnsServer s) {
        s.stop();
      }

      @Override void heal(MesosDnsServer s) throws IOException {
        s.restart();
      }
    },
    TIMEOUT("timeouts (server silent)", "/big-dog", "timed out") {
      @Override void inject(MesosDnsServer s) {
        s.silent(true);
      }

      @Override void heal(MesosDnsServer s) {
        s.silent(false);
      }
    },
    SERVFAIL("SERVFAIL", "/big-dog", "SERVFAIL") {
      @Override void inject(MesosDnsServer s) {
        s.failWith(Rcode.SERVFAIL);
      }

      @Override void heal(MesosDnsServer s) {
        s.failWith(-1);
      }
    },
    REFUSED("REFUSED", "/big-dog", "REFUSED") {
      @Override void inject(MesosDnsServer s) {
        s.failWith(Rcode.REFUSED);
      }

      @Override void heal(MesosDnsServer s) {
        s.failWith(-1);
      }
    },
    NXDOMAIN("NXDOMAIN for a known service", "/big-dog", "NXDOMAIN") {
      @Override void inject(MesosDnsServer s) {
        s.failWith(Rcode.NXDOMAIN);
      }

      @Override void heal(MesosDnsServer s) {
        s.failWith(-1);
      }
    },
    MALFORMED("malformed answer bytes", "/big-dog", null) {
      @Override void inject(MesosDnsServer s) {
        s.malformed(true);
      }

      @Override void heal(MesosDnsServer s) {
        s.malformed(false);
      }
    },
    TRUNCATED_TCP_REFUSED("truncated UDP answer (80 SRV), TCP refused", "/prod/web", null) {
      @Override void inject(MesosDnsServer s) throws IOException {
        s.refuseTcp(true);
      }

      @Override void heal(MesosDnsServer s) throws IOException {
        s.refuseTcp(false);
      }
    };

    final String description;
    final String serviceId;
    /** Text the error must name, where the fault has a name of its own. */
    final String hint;

    Fault(String description, String serviceId, String hint) {
      this.description = description;
      this.serviceId = serviceId;
      this.hint = hint;
    }

    abstract void inject(MesosDnsServer server) throws IOException;

    abstract void heal(MesosDnsServer server) throws IOException;

    /** What a caller gets for this fault when nothing is cached. */
    Class<? extends DiscoveryException> coldException() {
      return this == NXDOMAIN ? UnknownServiceException.class
          : DiscoveryUnavailableException.class;
    }
  }

  /** One line of the table; cold-start fields are filled by the other test. */
  static final class Row {
    long picksServed;
    long failedPicks;
    int failedRefreshes;
    int logRecords;
    double recoveryMillis = Double.NaN;
    String coldOutcome = "not run";
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
  private final AtomicLong firstFailureNanos = new AtomicLong();
  private MesosDnsServer server;
  private ServiceResolver resolver;

  @BeforeEach
  void startServer() throws IOException {
    List<MesosDnsFixtures.Rr> records = new ArrayList<>(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json")));
    records.addAll(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json")));
    server = MesosDnsServer.start(records);
    capture.setLevel(Level.ALL);
    lodestarLogger.addHandler(capture);
  }

  @AfterEach
  void stop() {
    lodestarLogger.removeHandler(capture);
    if (resolver != null) {
      resolver.close();
    }
    server.close();
  }

  private ServiceResolver newResolver(Duration loadTimeout, Duration dnsTimeout) {
    return ServiceResolver.builder()
        .source(MesosDnsSource.builder().nameServer(server.hostPort())
            .timeout(dnsTimeout).retries(0).build())
        .refreshInterval(REFRESH)
        .loadTimeout(loadTimeout)
        .listener(new ResolverListener() {
          @Override
          public void onLoad(String serviceId, Duration latency, Throwable error) {
            if (error != null) {
              firstFailureNanos.compareAndSet(0, System.nanoTime());
              failedLoads.incrementAndGet();
            }
          }
        })
        .build();
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void with_a_good_snapshot_cached_picks_never_fail_and_the_fault_is_logged_once(Fault fault)
      throws Exception {
    resolver = newResolver(Duration.ofSeconds(2), DNS_TIMEOUT);
    String id = fault.serviceId;
    // Warm up; on a loaded machine a healthy query can still time out, so retry until cached and
    // clean, which is the precondition of this test.
    await(() -> {
      try {
        return !resolver.instances(id).isEmpty()
            && resolver.status(id).orElseThrow().lastError().isEmpty();
      } catch (DiscoveryUnavailableException notYet) {
        return false;
      }
    });
    int instances = resolver.instances(id).size();
    logged.clear();
    failedLoads.set(0);
    firstFailureNanos.set(0);
    Row row = ROWS.computeIfAbsent(fault, f -> new Row());

    fault.inject(server);
    // Pick at a steady pace while the refreshes fail (and, for NXDOMAIN, while reloads fail).
    long guard = System.nanoTime() + GUARD.toNanos();
    while (failedLoads.get() < FAILED_REFRESHES) {
      if (System.nanoTime() > guard) {
        throw new AssertionError("only " + failedLoads.get() + " failed refreshes within " + GUARD);
      }
      pickOnce(id, row);
    }
    row.failedRefreshes = failedLoads.get();
    row.logRecords = countLogged(Level.INFO);
    Throwable errorDuringFault = null;
    Duration ageDuringFault = null;
    long sinceFirstFailure = System.nanoTime() - firstFailureNanos.get();
    ServiceStatus status = resolver.status(id).orElse(null);
    if (status != null) {
      errorDuringFault = status.lastError().orElse(null);
      ageDuringFault = status.age();
    }

    fault.heal(server);
    long healed = System.nanoTime();
    await(() -> {
      pickOnce(id, row);
      return resolver.status(id).map(s -> s.lastError().isEmpty()).orElse(false);
    });
    row.recoveryMillis = (System.nanoTime() - healed) / 1e6;

    // Recovered: the full snapshot again, no error, picks served.
    assertEquals(instances, resolver.instances(id).size());
    assertTrue(row.picksServed > 0, "picks served");
    assertEquals(0, row.failedPicks, "failed picks while a good snapshot was cached");
    assertEquals(1, row.logRecords, () -> "logged once for " + row.failedRefreshes
        + " failed refreshes and " + row.picksServed + " picks: " + messages());
    assertEquals(1, countLogged(Level.WARNING), () -> "one WARNING: " + messages());
    assertInstanceOf(fault.coldException(), errorDuringFault,
        "status(id).lastError() during the fault");
    if (fault.hint != null) {
      String message = String.valueOf(errorDuringFault.getMessage());
      assertTrue(message.contains(fault.hint), () -> "lastError names the fault: " + message);
    }
    // No refresh has succeeded since the first failure, so the snapshot is at least that old.
    assertTrue(ageDuringFault.toNanos() >= sinceFirstFailure,
        () -> "age() grows during the fault: " + status);
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void with_nothing_cached_the_first_pick_fails_with_the_typed_exception_then_recovers(Fault fault)
      throws Exception {
    resolver = newResolver(Duration.ofSeconds(2), DNS_TIMEOUT);
    String id = fault.serviceId;
    fault.inject(server);

    DiscoveryException e = assertTimeoutPreemptively(GUARD,
        () -> assertThrows(DiscoveryException.class, () -> resolver.pick(id)));
    assertInstanceOf(fault.coldException(), e, () -> "for " + fault + ": " + e);
    assertEquals(id, e.serviceId());
    if (fault.hint != null) {
      assertTrue(String.valueOf(e.getMessage()).contains(fault.hint), e::getMessage);
    }
    assertTrue(resolver.status(id).isEmpty(), "a failed first load caches nothing");
    ROWS.computeIfAbsent(fault, f -> new Row()).coldOutcome = e.getClass().getSimpleName();

    fault.heal(server);
    assertTrue(resolver.pick(id).port() > 0, "the next pick loads the service");
  }

  @Test
  void load_timeout_bounds_a_first_load_when_dns_answers_slower() {
    // DNS timeout far above the load timeout: only the resolver's bound can end the wait.
    resolver = newResolver(Duration.ofMillis(300), Duration.ofSeconds(30));
    server.silent(true);
    DiscoveryException e = assertTimeoutPreemptively(GUARD,
        () -> assertThrows(DiscoveryException.class, () -> resolver.pick("/big-dog")));
    assertInstanceOf(DiscoveryUnavailableException.class, e);
    assertTrue(e.getMessage().contains("gave no answer within PT0.3S"), e::getMessage);
  }

  @AfterAll
  static void writeTable() throws IOException {
    StringBuilder table = new StringBuilder()
        .append("| fault | picks served during the fault | failed picks with a good snapshot"
            + " cached | failed refreshes sat through | log lines | time to recover after the"
            + " server is back | nothing cached: first pick gets |\n")
        .append("|---|---:|---:|---:|---:|---:|---|\n");
    for (Map.Entry<Fault, Row> e : ROWS.entrySet()) {
      Row r = e.getValue();
      String failed = String.valueOf(r.failedPicks);
      table.append("| ").append(e.getKey().description)
          .append(" | ").append(r.picksServed)
          .append(" | ").append(failed)
          .append(" | ").append(r.failedRefreshes)
          .append(" | ").append(r.logRecords)
          .append(" | ").append(Double.isNaN(r.recoveryMillis) ? "not run"
              : String.format(java.util.Locale.ROOT, "%.0f ms", r.recoveryMillis))
          .append(" | ").append(r.coldOutcome)
          .append(" |\n");
    }
    System.out.println("\nDNS fault injection (refresh " + REFRESH.toMillis() + " ms, DNS timeout "
        + DNS_TIMEOUT.toMillis() + " ms, 0 retries):\n" + table);
    Path out = Path.of("target", "fault-table-dns.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table, StandardCharsets.UTF_8);
  }

  private void pickOnce(String id, Row row) {
    try {
      resolver.pick(id);
      row.picksServed++;
    } catch (DiscoveryException e) {
      row.failedPicks++;
    }
    LockSupport.parkNanos(100_000); // about 10,000 picks a second: a busy caller, not a spin
  }

  private int countLogged(Level atLeast) {
    return (int) logged.stream().filter(r -> r.getLevel().intValue() >= atLeast.intValue()).count();
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
