package dev.lodestar.agent.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input and hard stops for the proxy process: a port already taken, garbage from Marathon, a
 * backend that accepts and never answers, clients that open and close at once, SIGTERM while
 * transfers run.
 */
class ProxyBadInputIT {
  private FakeMarathon marathon;
  private final List<TestBackend> backends = new ArrayList<>();
  private ProxyProcess proxy;

  @BeforeEach
  void startMarathon() throws Exception {
    marathon = new FakeMarathon().heartbeat(java.time.Duration.ofSeconds(5));
  }

  @AfterEach
  void stopAll() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    backends.forEach(TestBackend::close);
    marathon.close();
  }

  private TestBackend backend(TestBackend.Mode mode) {
    TestBackend b = new TestBackend(mode);
    backends.add(b);
    return b;
  }

  @Test
  void aPortAlreadyTakenIsLoggedOnceAndTheOtherPortsWork() throws Exception {
    TestBackend a = backend(TestBackend.Mode.ECHO);
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int busy = taken.getLocalPort();
      // Chosen while the busy port is held, so the two cannot be the same port (they were once:
      // a port freed by freePort() was handed straight to the bind above).
      int good = ProxyProcess.freePort();
      marathon.putApp("/good", Apps.app("/good", good, List.of(a.port())));
      marathon.putApp("/busy", Apps.app("/busy", busy, List.of(a.port())));
      proxy = ProxyProcess.start("port-taken", "--marathon", marathon.url(),
          "--port", good + "=/good", "--port", busy + "=/busy");
      proxy.awaitListening(good, 1);
      proxy.awaitLog("cannot listen on 127.0.0.1:" + busy);
      assertEquals("ok", Apps.echo(good, "ok"));
      JsonNode state = proxy.state();
      assertEquals(busy, state.path("notListening").path(0).path("port").asInt(),
          state.toString());
      String log = proxy.log();
      assertEquals(log.indexOf("cannot listen on 127.0.0.1:" + busy),
          log.lastIndexOf("cannot listen on 127.0.0.1:" + busy), "logged more than once");
    }
  }

  @Test
  void servicePortZeroAndATakenPortAreSkippedWithAReasonWhileFollowingEveryApp()
      throws Exception {
    TestBackend a = backend(TestBackend.Mode.ECHO);
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int busy = taken.getLocalPort();
      // Chosen while the busy port is held, so the two cannot be the same port (they were once:
      // a port freed by freePort() was handed straight to the bind above).
      int good = ProxyProcess.freePort();
      marathon.putApp("/good", Apps.app("/good", good, List.of(a.port())));
      marathon.putApp("/zero", Apps.app("/zero", 0, List.of(a.port())));
      marathon.putApp("/busy", Apps.app("/busy", busy, List.of(a.port())));
      proxy = ProxyProcess.start("port-zero", "--marathon", marathon.url());
      proxy.awaitListening(good, 1);
      proxy.awaitLog("not listening for /zero port slot 0: it has service port 0");
      proxy.awaitLog("cannot listen on 127.0.0.1:" + busy + " for /busy");
      assertEquals("ok", Apps.echo(good, "ok"));
      assertEquals(1, proxy.state().path("listeners").size());
    }
  }

  @Test
  void garbageFromMarathonAtStartOpensNothingUntilMarathonRecovers() throws Exception {
    TestBackend a = backend(TestBackend.Mode.ECHO);
    int port = ProxyProcess.freePort();
    marathon.putApp("/web", Apps.app("/web", port, List.of(a.port())));
    marathon.garbage(true);
    proxy = ProxyProcess.start("garbage-start", "--marathon", marathon.url());
    proxy.await("a read of the garbage", () -> marathon.requestCount("/v2/apps") >= 1);
    assertEquals(0, proxy.state().path("listeners").size());
    assertTrue(proxy.isAlive());
    marathon.garbage(false);
    proxy.awaitListening(port, 1);
    assertEquals("ok", Apps.echo(port, "ok"));
  }

  @Test
  void garbageFromMarathonKeepsTheLastGoodInstances() throws Exception {
    TestBackend a = backend(TestBackend.Mode.ECHO);
    int port = ProxyProcess.freePort();
    marathon.putApp("/web", Apps.app("/web", port, List.of(a.port())));
    proxy = ProxyProcess.start("garbage", "--marathon", marathon.url());
    proxy.awaitListening(port, 1);

    marathon.garbage(true);
    // Events make the proxy re-read the app; every answer is now an HTML error page.
    marathon.emitStatusUpdate("/web", new FakeMarathon.Task(Apps.taskId("/web", a.port()),
        a.port(), "TASK_RUNNING"));
    marathon.send("event: status_update_event\r\ndata: {not json at all\r\n\r\n");
    proxy.await("a re-read of the garbage", () -> marathon.requestCount("/v2/apps/web") >= 1);
    assertEquals(0, Apps.failedRoundTrips(port, 10));
    assertEquals(1, proxy.listener(port).path("instances").size());
    assertTrue(proxy.isAlive());
  }

  @Test
  void aBackendThatNeverAnswersIsCutByTheIdleTimeoutAndOthersKeepWorking() throws Exception {
    TestBackend silent = backend(TestBackend.Mode.SILENT);
    TestBackend echo = backend(TestBackend.Mode.ECHO);
    int silentPort = ProxyProcess.freePort();
    int echoPort = ProxyProcess.freePort();
    marathon.putApp("/silent", Apps.app("/silent", silentPort, List.of(silent.port())));
    marathon.putApp("/echo", Apps.app("/echo", echoPort, List.of(echo.port())));
    proxy = ProxyProcess.start("silent", "--marathon", marathon.url(),
        "--port", silentPort + "=/silent", "--port", echoPort + "=/echo",
        "--idle-timeout", "PT2S");
    proxy.awaitListening(silentPort, 1);
    proxy.awaitListening(echoPort, 1);
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", silentPort), 10_000);
      s.setSoTimeout(60_000);
      s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals("ok", Apps.echo(echoPort, "ok"), "another service stalled");
      assertEquals(-1, s.getInputStream().read(), "the silent connection was not closed");
    }
    proxy.await("idle close counted",
        () -> proxy.listener(silentPort).path("idleClosed").asLong() == 1);
  }

  @Test
  void clientsThatOpenAndCloseAtOnceLeaveNothingBehind() throws Exception {
    TestBackend a = backend(TestBackend.Mode.ECHO);
    int port = ProxyProcess.freePort();
    marathon.putApp("/web", Apps.app("/web", port, List.of(a.port())));
    proxy = ProxyProcess.start("open-close", "--marathon", marathon.url(),
        "--port", port + "=/web");
    proxy.awaitListening(port, 1);
    for (int i = 0; i < 200; i++) {
      try (Socket s = new Socket()) {
        if (i % 2 == 0) {
          s.setSoLinger(true, 0); // close with a reset
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      }
    }
    proxy.await("every connection closed", () -> {
      JsonNode l = proxy.listener(port);
      return l.path("accepted").asLong() == 200 && l.path("openConnections").asInt() == 0
          && l.path("instances").path(0).path("openConnections").asInt() == 0;
    });
    assertEquals(0, Apps.failedRoundTrips(port, 10));
  }

  @Test
  void sigtermStopsAcceptingAndLetsOpenTransfersFinish() throws Exception {
    TestBackend a = backend(TestBackend.Mode.ECHO);
    int port = ProxyProcess.freePort();
    marathon.putApp("/web", Apps.app("/web", port, List.of(a.port())));
    proxy = ProxyProcess.start("sigterm", "--marathon", marathon.url(),
        "--port", port + "=/web", "--shutdown-grace", "PT60S");
    proxy.awaitListening(port, 1);

    try (Socket held = new Socket(); BulkClient bulk = new BulkClient()) {
      held.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      held.setSoTimeout(30_000);
      OutputStream out = held.getOutputStream();
      InputStream in = held.getInputStream();
      out.write('1');
      assertEquals('1', in.read());
      List<CompletableFuture<BulkClient.Result>> transfers = bulk.start(port, 20, 4 << 20);
      proxy.await("every transfer connected",
          () -> proxy.listener(port).path("connected").asInt() == 21);

      proxy.terminate();
      proxy.awaitLog("stopped accepting");
      assertNull(Apps.echo(port, "late"), "a new connection was accepted after SIGTERM");
      out.write('2');
      assertEquals('2', in.read(), "an open connection stopped working after SIGTERM");
      held.shutdownOutput();
      assertEquals(-1, in.read());

      for (CompletableFuture<BulkClient.Result> f : transfers) {
        BulkClient.Result r = f.get(5, TimeUnit.MINUTES);
        assertTrue(r.intact(), "transfer cut by the shutdown: " + r);
      }
    }
    assertEquals(143, proxy.awaitExit(), proxy.log());
    assertTrue(proxy.log().contains("proxy stopped"), proxy.log());
  }
}
