package dev.lodestar.agent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy engine in process (a static source instead of Marathon): relaying, retries, half-close,
 * idle timeout, listener changes, shutdown. The end-to-end tests with the jar are in ProxyIT.
 */
class ProxyServerTest {
  private final StaticSource source = StaticSource.create();
  private final ServiceResolver resolver = ServiceResolver.builder().source(source)
      .strategy(LoadBalancingStrategy.roundRobin()).build();
  private ProxyServer proxy;

  private ProxyServer proxy(Duration idleTimeout) {
    proxy = new ProxyServer(new ProxyConfig("127.0.0.1", Duration.ofSeconds(2), idleTimeout, 3,
        Duration.ofSeconds(5), 2), resolver);
    return proxy;
  }

  @AfterEach
  void close() {
    if (proxy != null) {
      proxy.shutdown();
    }
    resolver.close();
  }

  private static Instance at(TestBackend b) {
    return Instance.of("/svc", "127.0.0.1", b.port());
  }

  @Test
  void relaysAndRetriesPastADeadInstance() throws Exception {
    try (TestBackend a = new TestBackend(TestBackend.Mode.ECHO);
        TestBackend dead = new TestBackend(TestBackend.Mode.ECHO)) {
      int deadPort = dead.port();
      dead.kill();
      source.set("/svc", at(a), Instance.of("/svc", "127.0.0.1", deadPort));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMinutes(1)).update(Map.of(port, new ProxyServer.Target("/svc", "/svc")));
      assertEquals(List.of(port), proxy.listeningPorts());
      assertEquals(0, Apps.failedRoundTrips(port, 20));
      assertEquals(20, a.accepted());
    }
  }

  @Test
  void aHalfClosedClientStillGetsTheWholeAnswer() throws Exception {
    try (TestBackend a = new TestBackend(TestBackend.Mode.ECHO)) {
      source.set("/svc", at(a));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMinutes(1)).update(Map.of(port, new ProxyServer.Target("/svc", "/svc")));
      String big = "x".repeat(300_000);
      assertEquals(big, Apps.echo(port, big));
    }
  }

  @Test
  void concurrentMegabyteTransfersArriveIntact() throws Exception {
    try (TestBackend a = new TestBackend(TestBackend.Mode.ECHO);
        BulkClient client = new BulkClient()) {
      source.set("/svc", at(a));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMinutes(1)).update(Map.of(port, new ProxyServer.Target("/svc", "/svc")));
      List<CompletableFuture<BulkClient.Result>> results = client.start(port, 20, 1 << 20);
      for (CompletableFuture<BulkClient.Result> f : results) {
        BulkClient.Result r = f.get(2, TimeUnit.MINUTES);
        assertTrue(r.intact(), r.toString());
      }
    }
  }

  @Test
  void anIdleConnectionIsClosedAndTheRemovedPortStopsAccepting() throws Exception {
    try (TestBackend silent = new TestBackend(TestBackend.Mode.SILENT)) {
      source.set("/svc", at(silent));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMillis(500)).update(Map.of(port,
          new ProxyServer.Target("/svc", "/svc")));
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(30_000);
        s.getOutputStream().write("anyone?".getBytes(StandardCharsets.UTF_8));
        assertEquals(-1, s.getInputStream().read(), "the idle connection was not closed");
      }
      proxy.update(Map.of());
      assertEquals(List.of(), proxy.listeningPorts());
      assertNull(Apps.echo(port, "x"));
    }
  }

  @Test
  void aPortAlreadyTakenIsReportedAndTheOthersWork() throws Exception {
    try (TestBackend a = new TestBackend(TestBackend.Mode.ECHO);
        ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      source.set("/svc", at(a));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMinutes(1)).update(Map.of(
          taken.getLocalPort(), new ProxyServer.Target("/svc", "/taken"),
          port, new ProxyServer.Target("/svc", "/svc")));
      assertEquals(List.of(port), proxy.listeningPorts());
      assertEquals("ok", Apps.echo(port, "ok"));
      String state = proxy.state().toString();
      assertTrue(state.contains("/taken"), state);
    }
  }

  private static String roundTrip(Socket s, String word) throws Exception {
    s.getOutputStream().write(word.getBytes(StandardCharsets.US_ASCII));
    byte[] got = s.getInputStream().readNBytes(word.length());
    return new String(got, StandardCharsets.US_ASCII);
  }

  /**
   * README: open connections of a removed app run on, and SIGTERM lets open connections finish
   * for up to the shutdown grace. Both together: a connection whose listener was removed before
   * the shutdown gets the grace too, and the admin JSON counts it.
   */
  @Test
  void aConnectionOfARemovedAppIsCountedAndGetsTheShutdownGrace() throws Exception {
    try (TestBackend a = new TestBackend(TestBackend.Mode.ECHO);
        Socket s = new Socket()) {
      source.set("/svc", at(a));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMinutes(1)).update(Map.of(port, new ProxyServer.Target("/svc", "/svc")));
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(20_000);
      assertEquals("ping", roundTrip(s, "ping"));

      proxy.update(Map.of()); // the app is removed: its listener closes, the connection runs on
      assertEquals(List.of(), proxy.listeningPorts());
      assertEquals("pong", roundTrip(s, "pong"));
      assertEquals(1, proxy.state().get("openConnections"),
          "the removed app's open connection: " + proxy.state());

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(proxy::shutdown);
      Thread.sleep(500); // inside the 5 s grace: shutdown() is waiting for the connection
      assertEquals(false, stopping.isDone(), "shutdown did not wait for the open connection");
      assertEquals("late", roundTrip(s, "late"),
          "the connection of the removed app was cut inside the shutdown grace");

      s.shutdownOutput(); // the client finishes: the connection ends and shutdown completes
      assertEquals(-1, s.getInputStream().read());
      stopping.get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * A loopback instance whose accept queue is full (nothing accepts): Linux drops further SYNs,
   * so a connect to it stays pending until the connector gives up.
   */
  private static final class FullBacklog implements AutoCloseable {
    final ServerSocket server = new ServerSocket();
    final List<Socket> queued = new ArrayList<>();
    boolean full;

    FullBacklog() throws Exception {
      server.bind(new InetSocketAddress("127.0.0.1", 0), 1);
      for (int i = 0; i < 20 && !full; i++) {
        Socket s = new Socket();
        try {
          s.connect(server.getLocalSocketAddress(), 300);
          queued.add(s);
        } catch (SocketTimeoutException e) {
          s.close();
          full = true;
        }
      }
    }

    @Override
    public void close() throws Exception {
      for (Socket s : queued) {
        s.close();
      }
      server.close();
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> listenerState(ProxyServer p) {
    return ((List<Map<String, Object>>) p.state().get("listeners")).get(0);
  }

  /**
   * The proxy closes a client connection (here at the idle timeout: the client left, and NIO
   * notices only once it reads) while the connect to the instance is still pending. Closing
   * cancels that connect; the instance did nothing wrong, so no connect failure, no failed
   * connection, and the pick is released.
   */
  @Test
  void aConnectionClosedWhileItsConnectIsPendingIsNoBackendFailure() throws Exception {
    try (FullBacklog pending = new FullBacklog()) {
      assumeTrue(pending.full, "this kernel accepted every connect; no pending connect to test");
      source.set("/svc", Instance.of("/svc", "127.0.0.1", pending.server.getLocalPort()));
      int port = ProxyProcess.freePort();
      proxy = new ProxyServer(new ProxyConfig("127.0.0.1", Duration.ofSeconds(20),
          Duration.ofMillis(300), 3, Duration.ofSeconds(5), 2), resolver);
      proxy.update(Map.of(port, new ProxyServer.Target("/svc", "/svc")));
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      } // the client leaves at once; the connect to the instance is pending (20 s timeout)
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      // accepted first: the proxy counts a connection accepted only once it counts it open.
      while (((Number) listenerState(proxy).get("accepted")).intValue() == 0
          || ((Number) proxy.state().get("openConnections")).intValue() > 0) {
        assertTrue(System.nanoTime() < end, "the connection was not closed: " + proxy.state());
        Thread.sleep(20);
      }
      Thread.sleep(200); // let a (wrong) failure report of the cancelled connect land
      Map<String, Object> l = listenerState(proxy);
      assertEquals(0L, l.get("connectFailures"), "a cancelled connect is no failure: " + l);
      assertEquals(0L, l.get("failedConnections"), "the client left, the proxy did not fail: " + l);
      assertEquals(0L, l.get("retries"), l.toString());
      Map<?, ?> instance = (Map<?, ?>) ((List<?>) l.get("instances")).get(0);
      assertEquals(false, instance.get("ejected"), l.toString());
      assertEquals(0, ((Number) instance.get("consecutiveFailures")).intValue(), l.toString());
      assertEquals(0, ((Number) instance.get("openConnections")).intValue(),
          "the pick was not released: " + l);
    }
  }

  /**
   * An instance sends a large answer to a client that never reads it. The connection goes silent
   * both ways (the client's buffers are full) and the idle timeout closes it: the proxy used to
   * close it only after flushing what it still held for the client, which never happens, and a
   * second idle event found it already closing, so the connection (and the buffered bytes) stayed
   * open for good.
   */
  @Test
  void aClientThatNeverReadsIsClosedAtTheIdleTimeout() throws Exception {
    try (ServerSocket instance = new ServerSocket()) {
      instance.bind(new InetSocketAddress("127.0.0.1", 0));
      Thread talker = new Thread(() -> {
        try (Socket s = instance.accept()) {
          byte[] chunk = new byte[64 * 1024];
          for (int i = 0; i < 512; i++) { // 32 MB, far more than every buffer in between
            s.getOutputStream().write(chunk);
          }
        } catch (Exception closedByTheProxy) {
          // expected once the proxy gives up on the client
        }
      }, "talking-instance");
      talker.setDaemon(true);
      talker.start();
      source.set("/svc", Instance.of("/svc", "127.0.0.1", instance.getLocalPort()));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMillis(500)).update(Map.of(port, new ProxyServer.Target("/svc", "/svc")));
      try (Socket s = new Socket()) {
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000); // and never reads
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (((Number) listenerState(proxy).get("accepted")).intValue() == 0
            || ((Number) proxy.state().get("openConnections")).intValue() > 0) {
          assertTrue(System.nanoTime() < end, "the silent connection was never closed: "
              + proxy.state());
          Thread.sleep(50);
        }
      }
    }
  }

  /**
   * The apps behind a service port change while the port keeps its service (port:N): the second
   * colour of a blue/green pair joins, then the first leaves. The listener stays (right: its
   * connections run on), but its "target" in the admin JSON and its log lines kept naming the
   * apps it was opened for, here an app that no longer exists.
   */
  @Test
  void theAdminJsonNamesTheAppsThatNowHaveTheServicePort() throws Exception {
    try (TestBackend a = new TestBackend(TestBackend.Mode.ECHO)) {
      source.set("port:10000", Instance.of("port:10000", "127.0.0.1", a.port()));
      int port = ProxyProcess.freePort();
      proxy(Duration.ofMinutes(1)).update(Map.of(port,
          new ProxyServer.Target("port:10000", "/web-blue")));
      proxy.update(Map.of(port, new ProxyServer.Target("port:10000", "/web-blue,/web-green")));
      proxy.update(Map.of(port, new ProxyServer.Target("port:10000", "/web-green")));
      assertEquals(List.of(port), proxy.listeningPorts());
      assertEquals("/web-green", listenerState(proxy).get("target"), proxy.state().toString());
      assertEquals("ok", Apps.echo(port, "ok"));
    }
  }
}
