package dev.lodestar.discovery.marathon;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WireMock serves the fixture files unchanged at the endpoints the source calls; each test asserts
 * the exact instances (host, port, health) the source yields, and the error mapping.
 */
class MarathonSourceContractTest {
  private WireMockServer wm;
  private MarathonSource source;

  @BeforeEach
  void startServer() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
  }

  @AfterEach
  void stop() {
    if (source != null) {
      source.close();
    }
    wm.stop();
  }

  private void serveApp(String appPath, byte[] body) {
    wm.stubFor(get(urlPathEqualTo("/v2/apps" + appPath))
        .withQueryParam("embed", equalTo("app.tasks"))
        .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(body)));
  }

  /** Answers every list: lean, with tasks, label-selected (the fixture is what Marathon selected). */
  private void serveAll(byte[] body) {
    wm.stubFor(get(urlPathEqualTo("/v2/apps"))
        .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(body)));
  }

  private MarathonSource source(Consumer<MarathonSource.Builder> config) {
    MarathonSource.Builder b = MarathonSource.builder()
        .url(wm.baseUrl())
        .eventStream(false)
        .pollInterval(Duration.ZERO)
        .requestTimeout(Duration.ofSeconds(5));
    config.accept(b);
    source = b.build();
    return source;
  }

  private MarathonSource source() {
    return source(b -> { });
  }

  static ServiceSnapshot await(java.util.concurrent.CompletableFuture<ServiceSnapshot> f)
      throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  static Throwable failure(java.util.concurrent.CompletableFuture<ServiceSnapshot> f) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> f.get(30, TimeUnit.SECONDS));
    return e.getCause();
  }

  /** "host:port HEALTH" per instance, in snapshot order (sorted by task id). */
  static List<String> endpoints(ServiceSnapshot s) {
    return s.instances().stream()
        .map(i -> i.address() + " " + i.health())
        .collect(Collectors.toList());
  }

  @Test
  void marathon15BridgeUsesHostAndHostPortNeverTheBridgeIp() throws Exception {
    serveApp("/pywebserver", Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"));
    ServiceSnapshot s = await(source().load("/pywebserver"));
    assertEquals("/pywebserver", s.serviceId());
    assertEquals(List.of("10.0.2.148:1565 HEALTHY"), endpoints(s));
    Instance i = s.instances().get(0);
    assertEquals("pywebserver.8cad6a69-6ca8-11e7-beb2-0e2beceebfcc", i.instanceId());
    assertEquals(Map.of("test", 1565), i.namedPorts());
    assertEquals("external", i.labels().get("HAPROXY_GROUP"));
  }

  @Test
  void idWithoutLeadingSlashIsQueriedWithOneAndKeptAsSpelled() throws Exception {
    serveApp("/pywebserver", Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"));
    ServiceSnapshot s = await(source().load("pywebserver"));
    assertEquals("pywebserver", s.serviceId());
    assertEquals("pywebserver", s.instances().get(0).serviceId());
    assertEquals(List.of("10.0.2.148:1565 HEALTHY"), endpoints(s));
  }

  @Test
  void pre15DockerBridgeWithHealthResultsKeyedByTaskId() throws Exception {
    serveApp("/nginx-green", Fixtures.bytes("marathon-lb/tests-zdd_app_blue.json"));
    ServiceSnapshot s = await(source().load("/nginx-green"));
    // Sorted by task id: 0dbabba6, 1883a887, 23532518.
    assertEquals(List.of("10.0.6.25:31184 HEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:23336 HEALTHY"), endpoints(s));
  }

  @Test
  void marathon15FormatWithHealthResultsKeyedByInstanceId() throws Exception {
    serveApp("/nginx-green", Fixtures.bytes("marathon-lb/tests-zdd_app_blue_marathon1.5.json"));
    ServiceSnapshot s = await(source().load("/nginx-green"));
    // Sorted by task id: 01bf22d4, 01da9a15, 01dc95e6.
    assertEquals(List.of("10.0.6.25:23336 HEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:31184 HEALTHY"), endpoints(s));
  }

  @Test
  void zddAppsBothColoursFromOneListDocument() throws Exception {
    byte[] body = Fixtures.bytes("marathon-lb/tests-zdd_apps.json");
    serveApp("/nginx-green", body);
    serveApp("/nginx-blue", body);
    MarathonSource src = source();
    assertEquals(List.of("10.0.6.25:31184 HEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:23336 HEALTHY"), endpoints(await(src.load("/nginx-green"))));
    assertEquals(List.of("10.0.1.147:25724 HEALTHY"), endpoints(await(src.load("/nginx-blue"))));
  }

  @Test
  void legacyAppWithTwoHealthChecksAndEmbeddedTasks() throws Exception {
    serveApp("/toggle",
        Fixtures.withoutLineComments("marathon/legacy-0.x-v2-apps-id.with-tasks.jsonc"));
    ServiceSnapshot s = await(source().load("/toggle"));
    // Sorted by task id: 7c99814d, 802df2ae.
    assertEquals(List.of("10.141.141.10:31234 HEALTHY", "10.141.141.10:31045 HEALTHY"),
        endpoints(s));
  }

  @Test
  void legacyJsoncServedWithItsCommentsIsABadDocument() {
    serveApp("/toggle", Fixtures.bytes("marathon/legacy-0.x-v2-apps-id.with-tasks.jsonc"));
    Throwable t = failure(source().load("/toggle"));
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("unreadable answer"), t.getMessage());
  }

  @Test
  void appWithoutTasksYieldsAnEmptySnapshot() throws Exception {
    // Scaled to zero: asked with embed=app.tasks, Marathon sends "tasks": [].
    serveApp("/myapp", "{\"app\":{\"id\":\"/myapp\",\"instances\":0,\"tasks\":[]}}"
        .getBytes(StandardCharsets.UTF_8));
    ServiceSnapshot s = await(source().load("/myapp"));
    assertEquals(List.of(), s.instances());
  }

  /**
   * The RAML example of {@code GET /v2/apps} (no {@code tasks} field: the docs show the answer
   * without {@code embed}) as the answer to a read asked with {@code embed=app.tasks}: a broken
   * answer, not an app without tasks.
   */
  @Test
  void anAnswerWithoutTheTasksFieldIsUnavailableNotEmpty() throws Exception {
    serveApp("/myapp", Fixtures.bytes("marathon/v2-apps.json"));
    Throwable cause = failure(source().load("/myapp"));
    assertInstanceOf(DiscoveryUnavailableException.class, cause);
    assertTrue(cause.getMessage().contains("without its tasks"), cause.getMessage());
  }

  /**
   * tests-zdd_apps.json is a blue/green deployment in progress: green (older) serves port 10000,
   * blue (newer, one healthy task) 10001. A port lookup merges both colours as marathon-lb does,
   * and drains min(3 old, 1 healthy new, max(0, 1 + 3 - 1)) = 1 green task, the first by id.
   */
  @Test
  void servicePortLookupMergesBlueGreenAndDrainsTheOldColour() throws Exception {
    serveAll(Fixtures.bytes("marathon-lb/tests-zdd_apps.json"));
    serveApp("/nginx-green", Fixtures.bytes("marathon-lb/tests-zdd_apps.json"));
    serveApp("/nginx-blue", Fixtures.bytes("marathon-lb/tests-zdd_apps.json"));
    MarathonSource src = source();
    List<String> merged = List.of("10.0.1.147:25724 HEALTHY", "10.0.6.25:31184 UNHEALTHY",
        "10.0.6.25:16916 HEALTHY", "10.0.6.25:23336 HEALTHY");
    ServiceSnapshot green = await(src.load(MarathonSource.servicePortId(10000)));
    assertEquals("port:10000", green.serviceId());
    assertEquals(merged, endpoints(green));
    assertEquals(merged, endpoints(await(src.load("port:10001"))));
    assertInstanceOf(UnknownServiceException.class, failure(src.load("port:10002")));
    assertInstanceOf(UnknownServiceException.class, failure(src.load("port:99999")));
    // The app id gives the same answer as the port (one answer from every read path).
    assertEquals(List.of("10.0.6.25:31184 UNHEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:23336 HEALTHY"), endpoints(await(src.load("/nginx-green"))));
    // Port lookups read the lean list (no tasks), never the full list with tasks.
    assertTrue(wm.findAll(getRequestedFor(urlPathEqualTo("/v2/apps"))).stream()
        .noneMatch(r -> r.queryParameter("embed").isPresent()
            && !r.queryParameter("label").isPresent()));
    src.close();
    MarathonSource noDrain = source(b -> b.healthPolicy(MarathonHealthPolicy.custom()
        .honourZddDraining(false).build()));
    assertEquals(List.of("10.0.1.147:25724 HEALTHY", "10.0.6.25:31184 HEALTHY",
        "10.0.6.25:16916 HEALTHY", "10.0.6.25:23336 HEALTHY"),
        endpoints(await(noDrain.load("port:10000"))));
  }

  @Test
  void servicePortLookupOfAPlainAppAsksMarathonForTheLabel() throws Exception {
    serveAll(Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"));
    serveApp("/pywebserver", Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"));
    ServiceSnapshot s = await(source(b -> b.labelFilter("HAPROXY_GROUP", "external"))
        .load("port:10101"));
    assertEquals(List.of("10.0.2.148:1565 HEALTHY"), endpoints(s));
    assertEquals("port:10101", s.instances().get(0).serviceId());
    assertEquals("HAPROXY_GROUP==external", wm.findAll(getRequestedFor(urlPathEqualTo(
        "/v2/apps"))).get(0).queryParameter("label").firstValue());
  }

  @Test
  void labelFilterServesOnlyMatchingApps() throws Exception {
    byte[] body = Fixtures.bytes("marathon-lb/tests-marathon15_apps.json");
    serveApp("/pywebserver", body);
    assertEquals(1, await(source(b -> b.labelFilter("HAPROXY_GROUP", "external"))
        .load("/pywebserver")).instances().size());
    source.close();
    Throwable t = failure(source(b -> b.labelFilter("HAPROXY_GROUP", "internal"))
        .load("/pywebserver"));
    assertInstanceOf(UnknownServiceException.class, t);
    assertTrue(t.getMessage().contains("HAPROXY_GROUP=internal"), t.getMessage());
  }

  @Test
  void portNameSelectsTheNamedSlotAndAMissingNameFailsTheLoad() throws Exception {
    serveApp("/pywebserver", Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"));
    assertEquals(List.of("10.0.2.148:1565 HEALTHY"),
        endpoints(await(source(b -> b.portName("test")).load("/pywebserver"))));
    source.close();
    Throwable t = failure(source(b -> b.portName("http")).load("/pywebserver"));
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("no port named 'http'"), t.getMessage());
  }

  @Test
  void anAppWhoseEveryTaskIsUnusableFailsTheLoadInsteadOfEmptyingIt() throws Exception {
    serveApp("/pywebserver", Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"));
    Throwable t = failure(source(b -> b.portIndex(1)).load("/pywebserver"));
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("none of the 1 tasks of app /pywebserver"), t.getMessage());
  }

  @Test
  void unknownAppIs404AndUnknownServiceException() {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/nope")).willReturn(aResponse().withStatus(404)
        .withBody("{\"message\":\"App '/nope' does not exist\"}")));
    Throwable t = failure(source().load("nope"));
    assertInstanceOf(UnknownServiceException.class, t);
    assertEquals("nope", ((UnknownServiceException) t).serviceId());
  }

  @Test
  void malformedTruncatedAndOversizedDocumentsFailTheLoad() throws Exception {
    byte[] good = Fixtures.bytes("marathon-lb/tests-marathon15_apps.json");
    serveApp("/truncated", Arrays.copyOf(good, good.length / 2));
    serveApp("/garbage", "<html>502 Bad Gateway</html>".getBytes(StandardCharsets.UTF_8));
    serveApp("/big", Fixtures.bytes("marathon-lb/tests-zdd_apps.json"));
    MarathonSource src = source(b -> b.maxResponseBytes(4096));
    Throwable t = failure(src.load("/truncated"));
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("unreadable answer"), t.getMessage());
    t = failure(src.load("/garbage"));
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("not a Marathon API response"), t.getMessage());
    t = failure(src.load("/big"));
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("exceeds the limit of 4096 bytes"), t.getMessage());
  }

  private static byte[] gzip(byte[] bytes) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
      z.write(bytes);
    }
    return out.toByteArray();
  }

  @Test
  void gzipBodiesAreDecodedAndTheLimitAppliesAfterDecompression() throws Exception {
    byte[] body = Fixtures.bytes("marathon-lb/tests-zdd_app_blue_marathon1.5.json");
    byte[] compressed = gzip(body);
    wm.stubFor(get(urlPathEqualTo("/v2/apps/nginx-green")).willReturn(aResponse()
        .withHeader("Content-Type", "application/json")
        .withHeader("Content-Encoding", "gzip")
        .withBody(compressed)));
    assertEquals(List.of("10.0.6.25:23336 HEALTHY", "10.0.6.25:16916 HEALTHY",
        "10.0.6.25:31184 HEALTHY"), endpoints(await(source().load("/nginx-green"))));
    source.close();
    // Compressed, the body is under the limit; decompressed, it is over.
    long limit = Math.max(1024, compressed.length + 16);
    assertTrue(limit < body.length);
    Throwable t = failure(source(b -> b.maxResponseBytes(limit)).load("/nginx-green"));
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertTrue(t.getMessage().contains("exceeds the limit of " + limit + " bytes"),
        t.getMessage());
  }

  @Test
  void authFailureIsClearAndNotRetried() {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/secret")).willReturn(aResponse().withStatus(401)));
    Throwable t = failure(source(b -> b.basicAuth("alice", "s3cr3t-pw")).load("/secret"));
    assertInstanceOf(MarathonAuthenticationException.class, t);
    assertEquals(401, ((MarathonAuthenticationException) t).statusCode());
    assertFalse(t.getMessage().contains("s3cr3t-pw"), t.getMessage());
    assertFalse(source.toString().contains("s3cr3t-pw"));
    assertFalse(source.name().contains("alice"));
    assertEquals(1, wm.findAll(getRequestedFor(urlPathEqualTo("/v2/apps/secret"))).size());
    // Basic credentials were sent.
    assertEquals("Basic YWxpY2U6czNjcjN0LXB3", wm.findAll(
        getRequestedFor(urlPathEqualTo("/v2/apps/secret"))).get(0).getHeader("Authorization"));
  }

  @Test
  void dcosTokenIsSentAsTokenHeader() throws Exception {
    serveApp("/pywebserver", Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"));
    await(source(b -> b.dcosToken(() -> "eyJhbGciOi.x.y")).load("/pywebserver"));
    assertEquals("token=eyJhbGciOi.x.y", wm.findAll(getRequestedFor(
        urlPathEqualTo("/v2/apps/pywebserver"))).get(0).getHeader("Authorization"));
  }

  @Test
  void noLeaderAndBrokenConnectionsAreUnavailable() {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/a")).willReturn(aResponse().withStatus(503)
        .withBody("{\"message\":\"Could not determine the current leader\"}")));
    wm.stubFor(get(urlPathEqualTo("/v2/apps/b"))
        .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
    MarathonSource src = source();
    Throwable a = failure(src.load("/a"));
    assertInstanceOf(DiscoveryUnavailableException.class, a);
    assertTrue(a.getMessage().contains("HTTP 503"), a.getMessage());
    assertTrue(a.getMessage().contains("Could not determine the current leader"), a.getMessage());
    assertInstanceOf(DiscoveryUnavailableException.class, failure(src.load("/b")));
  }

  @Test
  void aRedirectIsFollowedOnceWithTheSameCredentials() throws Exception {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/moved")).willReturn(aResponse().withStatus(302)
        .withHeader("Location", "/leader/v2/apps/pywebserver?embed=app.tasks")));
    wm.stubFor(get(urlPathEqualTo("/leader/v2/apps/pywebserver")).willReturn(aResponse()
        .withBody(Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"))));
    Throwable t = failure(source(b -> b.basicAuth("u", "p")).load("/moved"));
    // The answer is about /pywebserver, not /moved: the source does not take another app's data,
    // nor take the answer for news that /moved is gone.
    assertInstanceOf(DiscoveryUnavailableException.class, t);
    assertEquals("Basic dTpw", wm.findAll(getRequestedFor(
        urlPathEqualTo("/leader/v2/apps/pywebserver"))).get(0).getHeader("Authorization"));
    wm.stubFor(get(urlPathEqualTo("/v2/apps/pywebserver")).willReturn(aResponse().withStatus(302)
        .withHeader("Location", "/leader/v2/apps/pywebserver?embed=app.tasks")));
    assertEquals(List.of("10.0.2.148:1565 HEALTHY"),
        endpoints(await(source.load("/pywebserver"))));
  }

  @Test
  void aSlowNodeTimesOutAndTheNextOneAnswers() throws Exception {
    WireMockServer fast = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    fast.start();
    try {
      wm.stubFor(get(urlPathEqualTo("/v2/apps/pywebserver")).willReturn(aResponse()
          .withFixedDelay(2_000).withBody(Fixtures.bytes(
              "marathon-lb/tests-marathon15_apps.json"))));
      fast.stubFor(get(urlPathEqualTo("/v2/apps/pywebserver")).willReturn(aResponse()
          .withBody(Fixtures.bytes("marathon-lb/tests-marathon15_apps.json"))));
      source = MarathonSource.builder().urls(wm.baseUrl(), fast.baseUrl())
          .eventStream(false).pollInterval(Duration.ZERO)
          .requestTimeout(Duration.ofMillis(1_000)).build();
      assertEquals(List.of("10.0.2.148:1565 HEALTHY"),
          endpoints(await(source.load("/pywebserver"))));
    } finally {
      fast.stop();
    }
  }

  @Test
  void invalidIdsAreUnknownWithoutARequest() {
    MarathonSource src = source();
    assertInstanceOf(UnknownServiceException.class, failure(src.load("port:http")));
    // Ids that break the ServiceIds rule are refused as arguments (MarathonServiceIdTest).
    assertInstanceOf(IllegalArgumentException.class, failure(src.load("/")));
    assertInstanceOf(IllegalArgumentException.class, failure(src.load(" ")));
    assertEquals(0, wm.getAllServeEvents().size());
  }

  @Test
  void loadAfterCloseFailsWithoutThrowing() {
    MarathonSource src = source();
    src.close();
    src.close();
    assertInstanceOf(DiscoveryUnavailableException.class, failure(src.load("/x")));
  }

  /** A simple app {@code {"id": id, ...}} with one task; {@code group} null: no label. */
  private static String app(String id, String group, String taskId, int port) {
    return "{\"id\":\"" + id + "\",\"instances\":1,\"labels\":{"
        + (group == null ? "" : "\"HAPROXY_DEPLOYMENT_GROUP\":\"" + group + "\"")
        + "},\"portDefinitions\":[{\"port\":10000}],\"healthChecks\":[],\"tasks\":[{\"id\":\""
        + taskId + "\",\"host\":\"127.0.0.1\",\"ports\":[" + port
        + "],\"state\":\"TASK_RUNNING\"}]}";
  }

  private void serveSimpleApp(String id, String group, String taskId, int port) {
    String app = app(id, group, taskId, port);
    serveApp(id, ("{\"app\":" + app + "}").getBytes(StandardCharsets.UTF_8));
    // Every list gets every app: a Marathon (or a proxy) that ignores the label selector.
    serveAll(("{\"apps\":[" + app + "]}").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * An app that leaves its deployment group (the zero-downtime deployment is over, the label
   * goes) is still updated when Marathon ignores the label selector and answers the group read
   * with every app.
   */
  @Test
  void anAppThatLeftItsDeploymentGroupIsStillUpdatedWhenTheLabelSelectorIsIgnored()
      throws Exception {
    serveSimpleApp("/web", "g", "web.t1", 31001);
    MarathonSource src = source();
    assertEquals(List.of("127.0.0.1:31001 HEALTHY"), endpoints(await(src.load("/web"))));
    serveSimpleApp("/web", null, "web.t2", 31002);
    assertEquals(List.of("127.0.0.1:31002 HEALTHY"), endpoints(await(src.load("/web"))),
        "the answer listed /web without its group label and with task t2 only");
    assertEquals(List.of("127.0.0.1:31002 HEALTHY"), endpoints(await(src.load("/web"))),
        "read on its own from now on");
  }

  /**
   * A load that fails (an unknown app) while a port lookup is between its reads must not drop
   * the apps that lookup already read: the port watch would start without them (or fail as if
   * no app had the port) and, with nothing re-reading them, miss their tasks.
   */
  @Test
  void aFailedLoadDoesNotDropTheAppsAPortLookupInFlightHasRead() throws Exception {
    String a = app("/a", null, "a.t1", 31001);
    String b = app("/b", null, "b.t1", 31002);
    CountDownLatch bAsked = new CountDownLatch(1);
    CountDownLatch releaseB = new CountDownLatch(1);
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext("/", ex -> {
      String path = ex.getRequestURI().getPath();
      String body;
      int status = 200;
      if (path.equals("/v2/apps")) {
        body = "{\"apps\":[" + a + "," + b + "]}";
      } else if (path.equals("/v2/apps/a")) {
        body = "{\"app\":" + a + "}";
      } else if (path.equals("/v2/apps/b")) {
        bAsked.countDown();
        try {
          releaseB.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        body = "{\"app\":" + b + "}";
      } else {
        status = 404;
        body = "{\"message\":\"App '/missing' does not exist\"}";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(status, bytes.length);
      ex.getResponseBody().write(bytes);
      ex.close();
    });
    server.start();
    try {
      source = MarathonSource.builder().url("http://127.0.0.1:" + server.getAddress().getPort())
          .eventStream(false).pollInterval(Duration.ZERO).build();
      CompletableFuture<ServiceSnapshot> port = source.load("port:10000");
      assertTrue(bAsked.await(30, TimeUnit.SECONDS));
      // /a has been answered (it was asked with /b); an unrelated load fails meanwhile.
      assertInstanceOf(UnknownServiceException.class, failure(source.load("/missing")));
      releaseB.countDown();
      assertEquals(List.of("127.0.0.1:31001 HEALTHY", "127.0.0.1:31002 HEALTHY"),
          endpoints(await(port)));
    } finally {
      releaseB.countDown();
      server.stop(0);
      ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
  }

  /** close() fails every load not completed yet, also those still queued behind other work. */
  @Test
  void closeCompletesEveryPendingLoad() throws Exception {
    serveSimpleApp("/web", null, "web.t1", 31001);
    serveApp("/api", ("{\"app\":" + app("/api", null, "api.t1", 31002) + "}")
        .getBytes(StandardCharsets.UTF_8));
    MarathonSource src = source();
    CountDownLatch inListener = new CountDownLatch(1);
    src.start(new SnapshotListener() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        inListener.countDown();
        try {
          Thread.sleep(300); // a slow listener keeps the source's thread busy
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    await(src.load("/web"));
    src.load("/web"); // its answer pushes a snapshot to the slow listener
    assertTrue(inListener.await(10, TimeUnit.SECONDS));
    CompletableFuture<ServiceSnapshot> queued = src.load("/api");
    src.close();
    try {
      queued.get(5, TimeUnit.SECONDS);
      // Completing normally is fine too: it was not left pending.
    } catch (ExecutionException e) {
      assertInstanceOf(DiscoveryUnavailableException.class, e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("a load() future is still pending 5 s after close()");
    }
  }

  @Test
  void builderRejectsBadInput() {
    MarathonSource.Builder b = MarathonSource.builder();
    assertThrows(IllegalArgumentException.class, () -> b.url("ftp://x"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> b.url("http://bob:hunter2@m1:8080"));
    assertFalse(e.getMessage().contains("hunter2"));
    assertThrows(IllegalArgumentException.class, () -> b.portIndex(-1));
    assertThrows(IllegalArgumentException.class, () -> b.fallbackPort(0));
    assertThrows(IllegalArgumentException.class, () -> b.pollInterval(Duration.ofSeconds(-1)));
    assertThrows(IllegalArgumentException.class,
        () -> b.reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertThrows(IllegalStateException.class, b::build);
    assertThrows(IllegalArgumentException.class, () -> MarathonSource.servicePortId(0));
  }
}
