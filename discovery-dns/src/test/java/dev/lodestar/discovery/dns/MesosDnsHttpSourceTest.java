package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.dns.MesosDnsSource.Addressing;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link MesosDnsHttpSource} against a loopback HTTP server replaying the captured answers of
 * {@code mesos-dns-http-api.txt}; like Mesos-DNS it lowercases names, treats the trailing dot as
 * optional and answers any other service with the captured miss (200, one empty row).
 */
class MesosDnsHttpSourceTest {
  private final List<HttpServer> servers = new ArrayList<>();
  private String url;

  @BeforeEach
  void start() throws IOException {
    Map<String, String[]> answers = capturedAnswers();
    String miss = answers.get("/v1/services/_nosuch._tcp.marathon.mesos")[1];
    url = serve((path, out) -> {
      String[] answer = answers.get(normalize(path));
      if (answer != null) {
        return answer;
      }
      return path.startsWith("/v1/services/") ? new String[] {"200", miss} : new String[] {"404", ""};
    });
  }

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(0));
  }

  interface Handler {
    String[] answer(String path, OutputStream unused) throws IOException;
  }

  private String serve(Handler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      String[] answer = handler.answer(exchange.getRequestURI().getPath(), null);
      byte[] body = answer[1].getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(Integer.parseInt(answer[0]), body.length == 0 ? -1 : body.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    });
    server.start();
    servers.add(server);
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private static String normalize(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    return p.endsWith(".") ? p.substring(0, p.length() - 1) : p;
  }

  // "### GET http://127.0.0.1:8123/path" blocks: status line, headers, blank line, body.
  static Map<String, String[]> capturedAnswers() throws IOException {
    String text = Files.readString(
        MesosDnsFixtures.fixture("mesos-dns-http-api.txt"), StandardCharsets.UTF_8);
    Map<String, String[]> out = new HashMap<>();
    for (String block : text.split("(?m)^### GET ")) {
      if (block.isBlank()) {
        continue;
      }
      String[] lines = block.split("\n", -1);
      String path = lines[0].trim().replaceFirst("^http://[^/]+", "");
      String status = lines[1].split(" ")[1];
      int i = 2;
      while (!lines[i].isBlank()) {
        i++;
      }
      String body = String.join("\n", java.util.Arrays.copyOfRange(lines, i + 1, lines.length))
          .trim();
      out.put(normalize(path), new String[] {status, body});
    }
    return out;
  }

  private static ServiceSnapshot load(MesosDnsHttpSource source, String id) throws Exception {
    return source.load(id).get(10, TimeUnit.SECONDS);
  }

  private static Throwable failure(MesosDnsHttpSource source, String id) {
    CompletableFuture<ServiceSnapshot> future = source.load(id);
    return assertThrows(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS))
        .getCause();
  }

  private static List<String> describe(ServiceSnapshot snapshot) {
    List<String> out = new ArrayList<>();
    for (Instance i : snapshot.instances()) {
      out.add(i.instanceId() + " " + i.address());
    }
    return out;
  }

  @Test
  void reads_the_rows_of_a_raw_srv_name_with_string_ports() throws Exception {
    ServiceSnapshot snapshot = load(MesosDnsHttpSource.builder().url(url).build(),
        "_liquor-store._tcp.marathon.mesos");
    assertEquals(List.of(
            "liquor-store-4dfjd-0.marathon.mesos:443 1.2.3.11:443",
            "liquor-store-4dfjd-0.marathon.mesos:80 1.2.3.11:80",
            "liquor-store-zasmd-1.marathon.mesos:443 1.2.3.12:443",
            "liquor-store-zasmd-1.marathon.mesos:80 1.2.3.12:80"),
        describe(snapshot));
    assertEquals(java.util.Optional.of(Duration.ofSeconds(60)), snapshot.ttl());
  }

  /** Same ids and addresses as the DNS source for the same name, so stats survive a switch. */
  @Test
  void yields_the_same_instances_as_the_dns_source() throws Exception {
    ServiceSnapshot http = load(MesosDnsHttpSource.builder().url(url)
        .addressing(Addressing.TASK).build(), "/store/car");
    try (MesosDnsServer dns = MesosDnsServer.start(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json")))) {
      ServiceSnapshot viaDns = MesosDnsSource.builder().nameServer(dns.hostPort())
          .addressing(Addressing.TASK).build().load("/store/car").get(10, TimeUnit.SECONDS);
      assertEquals(describe(viaDns), describe(http));
      assertEquals(2, http.instances().size());
    }
  }

  @Test
  void the_200_miss_row_is_an_unknown_service() {
    assertInstanceOf(UnknownServiceException.class,
        failure(MesosDnsHttpSource.builder().url(url).build(), "/no/such/app"));
  }

  @Test
  void a_failing_url_is_followed_by_the_next() throws Exception {
    String broken = serve((path, out) -> new String[] {"503", "{\"message\":\"down\"}"});
    MesosDnsHttpSource source = MesosDnsHttpSource.builder().url(broken).url(url)
        .addressing(Addressing.TASK).build();
    assertEquals(2, load(source, "/store/car").instances().size());
  }

  @Test
  void every_url_failing_is_discovery_unavailable() throws Exception {
    String broken = serve((path, out) -> new String[] {"503", ""});
    String garbage = serve((path, out) -> new String[] {"200", "{\"not\": \"an array\"}"});
    Throwable t = failure(MesosDnsHttpSource.builder().url(broken).url(garbage)
        .timeout(Duration.ofSeconds(2)).build(), "/store/car");
    assertInstanceOf(DiscoveryUnavailableException.class, t);
  }

  @Test
  void builder_checks_its_input() {
    assertThrows(IllegalArgumentException.class, () -> MesosDnsHttpSource.builder().url("ftp://x"));
    assertThrows(IllegalStateException.class, () -> MesosDnsHttpSource.builder().build());
    assertThrows(IllegalStateException.class,
        () -> MesosDnsHttpSource.builder().url(url).portName("http").build());
  }

  @Test
  void a_row_with_null_fields_is_skipped_and_the_others_kept() throws Exception {
    String nulls = serve((path, out) -> new String[] {"200", "["
        + "{\"service\":\"_web._tcp.marathon.mesos\",\"host\":null,\"ip\":null,\"port\":null},"
        + "{\"service\":\"_web._tcp.marathon.mesos\",\"host\":\"web-a.marathon.mesos.\","
        + "\"ip\":\"10.0.0.7\",\"port\":\"31000\"}]"});
    ServiceSnapshot snapshot = load(MesosDnsHttpSource.builder().url(nulls).build(),
        "_web._tcp.marathon.mesos");
    assertEquals(List.of("web-a.marathon.mesos:31000 10.0.0.7:31000"), describe(snapshot));
  }
}
