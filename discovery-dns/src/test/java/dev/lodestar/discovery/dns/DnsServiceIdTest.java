package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link ServiceIds} rule with the DNS backends: a bad id is refused before any query (the
 * issue saw {@code /../x} silently asked as {@code /x} and {@code /a//b} as {@code /b/a}).
 */
@Timeout(60)
class DnsServiceIdTest {
  static final List<String> BAD = List.of("/../x", "/shop/checkout/../checkout", "/./x", "/a//b",
      "/a/", "/", "", "  ", "/a\nb", "/a\u0000", "/" + "x".repeat(9_999));

  private static MesosDnsServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = MesosDnsServer.start(
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json")));
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Test
  void mesosDnsSourceRefusesBadIdsWithoutAQuery() throws Exception {
    int before = server.udpQueries() + server.tcpQueries();
    try (MesosDnsSource source = MesosDnsSource.builder().nameServer(server.hostPort())
        .timeout(Duration.ofSeconds(2)).build()) {
      assertRefused(source);
      try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
        for (String id : BAD) {
          assertThrows(IllegalArgumentException.class, () -> resolver.pick(id), id);
        }
        assertThrows(NullPointerException.class, () -> resolver.pick(null));
      }
    }
    assertEquals(before, server.udpQueries() + server.tcpQueries(), "no query may be sent");
  }

  @Test
  void mesosDnsHttpSourceRefusesBadIdsWithoutARequest() throws Exception {
    // Port 9 on loopback: nothing listens there; a request would fail, not be refused up front.
    try (MesosDnsHttpSource source = MesosDnsHttpSource.builder().url("http://127.0.0.1:9")
        .httpClient(HttpClient.newHttpClient()).build()) {
      assertRefused(source);
    }
  }

  private static void assertRefused(ServiceSource source) throws Exception {
    for (String id : BAD) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> source.load(id).get(20, TimeUnit.SECONDS), id);
      assertInstanceOf(IllegalArgumentException.class, e.getCause(), id);
      assertTrue(e.getCause().getMessage().length() < 350, e.getCause().getMessage());
    }
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> source.load(null).get(20, TimeUnit.SECONDS));
    assertInstanceOf(NullPointerException.class, e.getCause());
  }
}
