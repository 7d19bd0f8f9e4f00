package dev.lodestar.agent.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.agent.admin.AdminServer;
import dev.lodestar.discovery.testing.FakeMarathon;
import dev.lodestar.discovery.testing.FakeMarathon.Task;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.marathon.MarathonSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The acceptance of the shared stream: twenty real {@link MarathonSource}s in this JVM on the
 * agent's relay cost Marathon one event stream and the mirror's reads only, and converge on a
 * kill and a scale-up like twenty sources on Marathon itself. Convergence times are printed (the
 * report quotes them); nothing asserts on timing.
 */
class SharedStreamTest {
  private static final int CLIENTS = 20;
  private static final int ROUNDS = 5;
  private static final String APP = "/web";

  private FakeMarathon marathon;
  private MarathonMirror mirror;
  private AdminServer admin;
  private MarathonRelay relay;
  private String relayUrl;
  private final List<Client> clients = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    marathon = new FakeMarathon();
    marathon.setTasks(APP, List.of(task(1), task(2), task(3)));
  }

  @AfterEach
  void tearDown() {
    clients.forEach(c -> c.source.close());
    if (relay != null) {
      relay.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (mirror != null) {
      mirror.close();
    }
    marathon.close();
  }

  private static Task task(int n) {
    return new Task("web." + n, 31000 + n, "TASK_RUNNING");
  }

  private void startAgent() throws InterruptedException {
    // A long start grace: the one list at start follows the stream's connection.
    mirror = MarathonMirrorTest.mirrorOf(marathon).startGrace(Duration.ofSeconds(30)).build();
    admin = new AdminServer("127.0.0.1", 0);
    relay = MarathonRelay.builder(mirror).install(admin);
    relayUrl = "http://127.0.0.1:" + admin.start();
    mirror.start();
    assertTrue(mirror.awaitFirstSync(Duration.ofSeconds(30)));
  }

  /** One MarathonSource and the last snapshot it pushed or loaded, with when it arrived. */
  static final class Client implements SnapshotListener {
    final MarathonSource source;
    volatile ServiceSnapshot last;
    volatile long lastAt;

    Client(String... urls) {
      // As the README advises for a source on a local relay: the relay closes its streams on
      // purpose after the agent re-listed (the agent's own reconnect was already spread), and
      // re-reads from it are cheap, so neither the reconnect nor the re-reads need a long spread.
      source = MarathonSource.builder().urls(urls)
          .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
          .reconnectSpread(Duration.ofSeconds(1))
          .reconnectResyncWindow(Duration.ofSeconds(1)).build();
    }

    void start() {
      source.start(this);
      ServiceSnapshot s = source.load(APP).join();
      if (last == null) {
        last = s;
        lastAt = System.nanoTime();
      }
    }

    @Override
    public void onSnapshot(ServiceSnapshot snapshot) {
      last = snapshot;
      lastAt = System.nanoTime();
    }

    boolean sees(Predicate<List<Instance>> p) {
      ServiceSnapshot s = last;
      return s != null && p.test(s.instances());
    }
  }

  private static Predicate<List<Instance>> routable(int port, boolean expected) {
    return list -> list.stream().anyMatch(i -> i.port() == port
        && i.health() != HealthStatus.UNHEALTHY) == expected;
  }

  private void startClients(String... urls) {
    for (int i = 0; i < CLIENTS; i++) {
      Client c = new Client(urls);
      clients.add(c);
      c.start();
    }
  }

  /** Waits until every client satisfies {@code p}; returns ms from {@code since} to the last. */
  private double converge(String what, Predicate<List<Instance>> p, long since)
      throws InterruptedException {
    Await.until(what, () -> clients.stream().allMatch(c -> c.sees(p)));
    long last = clients.stream().mapToLong(c -> c.lastAt).max().orElseThrow();
    return (last - since) / 1e6;
  }

  /** The tasks Marathon runs now (the test's model of the app). */
  private final List<Integer> running = new ArrayList<>(List.of(1, 2, 3));

  private List<Task> tasks() {
    return running.stream().map(SharedStreamTest::task).toList();
  }

  /**
   * One round: kills the second-oldest task, then scales up a new one; returns the two
   * convergence times in ms (from the event until the last of the clients has the change).
   */
  private double[] killThenScaleUp() throws InterruptedException {
    int killed = running.remove(1);
    marathon.setTasks(APP, tasks());
    long killAt = System.nanoTime();
    marathon.emitStatusUpdate(APP, new Task("web." + killed, 31000 + killed, "TASK_KILLED"));
    double kill = converge("every client drops web." + killed, routable(31000 + killed, false),
        killAt);

    int added = running.get(running.size() - 1) + 1;
    running.add(added);
    marathon.setTasks(APP, tasks());
    long upAt = System.nanoTime();
    marathon.emitStatusUpdate(APP, task(added));
    double up = converge("every client routes to web." + added, routable(31000 + added, true),
        upAt);
    return new double[] {kill, up};
  }

  /** {@code rounds} rounds; returns the kill and scale-up times of each, in ms. */
  private double[][] rounds(int rounds) throws InterruptedException {
    double[][] times = new double[rounds][];
    for (int r = 0; r < rounds; r++) {
      times[r] = killThenScaleUp();
    }
    return times;
  }

  private static String describe(double[][] times, int which) {
    double[] t = new double[times.length];
    for (int i = 0; i < times.length; i++) {
      t[i] = times[i][which];
    }
    double[] sorted = t.clone();
    java.util.Arrays.sort(sorted);
    return String.format("median %.1f ms (rounds %s)", sorted[sorted.length / 2],
        java.util.Arrays.toString(java.util.Arrays.stream(t).map(Math::rint).toArray()));
  }

  @Test
  void twentySourcesOnTheRelayCostMarathonOneStreamAndConvergeLikeDirectOnes() throws Exception {
    startAgent();
    startClients(relayUrl);
    Await.until("20 relay streams", () -> relay.openStreams() == CLIENTS);
    double[][] viaRelay = rounds(ROUNDS);
    List<String> relayed = marathon.requests();

    // Marathon saw the agent only: one stream, its one list, one read per change.
    assertEquals(1, marathon.eventConnections(), relayed.toString());
    assertEquals(1, marathon.openStreams());
    assertEquals(1, marathon.requestCount("/v2/apps"), relayed.toString());
    // At most one read per change: the mirror coalesces a read that a later event overtakes.
    int reads = marathon.requestCount("/v2/apps/web");
    assertTrue(reads >= 1 && reads <= 2 * ROUNDS, relayed.toString());
    assertEquals(2 + reads, relayed.size(), relayed.toString());

    // The same scenario with twenty sources on Marathon itself.
    clients.forEach(c -> c.source.close());
    clients.clear();
    relay.close();
    mirror.close();
    int before = marathon.requests().size();
    int streamsBefore = marathon.eventConnections();
    startClients(marathon.url());
    // (The fake notices the closed agent stream only at its next write: count connections.)
    Await.until("20 direct streams",
        () -> marathon.eventConnections() - streamsBefore == CLIENTS);
    double[][] direct = rounds(ROUNDS);
    int directRequests = marathon.requests().size() - before;
    assertEquals(CLIENTS, marathon.eventConnections() - streamsBefore);

    System.out.printf("shared stream, %d MarathonSource clients, %d rounds of kill + scale-up:"
        + " Marathon requests via the relay %d (1 stream + 1 list + 1 app read per change),"
        + " direct %d (%d streams + loads + list + re-reads)%n"
        + "  kill:     via relay %s; direct %s%n"
        + "  scale-up: via relay %s; direct %s%n", CLIENTS, ROUNDS, relayed.size(),
        directRequests, CLIENTS, describe(viaRelay, 0), describe(direct, 0),
        describe(viaRelay, 1), describe(direct, 1));
  }

  @Test
  void relayClientsReconnectAndResyncAfterTheAgentsStreamDrops() throws Exception {
    startAgent();
    startClients(relayUrl);
    Await.until("20 relay streams", () -> relay.openStreams() == CLIENTS);
    long accepted = (long) relay.status().get("streamsAccepted");

    // While the agent's stream is down, web.2 dies unseen; the mirror re-lists on reconnect,
    // closes the relay streams, and the clients reconnect and re-list from the relay.
    marathon.drop();
    running.remove(Integer.valueOf(2));
    marathon.setTasks(APP, tasks());
    Await.until("clients reconnected", () -> (long) relay.status().get("streamsAccepted")
        >= accepted + CLIENTS && relay.openStreams() == CLIENTS);
    converge("every client dropped web.2 after the re-list", routable(31002, false),
        System.nanoTime());
    assertEquals(2, marathon.eventConnections());
    assertEquals(1, marathon.openStreams());

    // And they keep following events afterwards.
    killThenScaleUp();
  }

  @Test
  void aSourceListingTheAgentThenMarathonFallsBackWhenTheAgentIsDown() throws Exception {
    startAgent();
    String agentUrl = relayUrl;
    relay.close();
    admin.close();
    mirror.close();
    admin = null;
    relay = null;
    mirror = null;
    int before = marathon.requests().size();
    int streamsBefore = marathon.eventConnections();

    startClients(agentUrl, marathon.url());
    Await.until("streams on Marathon",
        () -> marathon.eventConnections() - streamsBefore == CLIENTS);
    double[] times = killThenScaleUp();
    assertTrue(marathon.requests().size() - before >= CLIENTS, "the clients read Marathon");
    System.out.printf("fallback with the agent down: kill converged in %.1f ms, scale-up in"
        + " %.1f ms%n", times[0], times[1]);
  }
}
