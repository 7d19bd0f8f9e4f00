package dev.lodestar.discovery.marathon;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.ServiceResolver;
import java.net.ConnectException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The messages a new user meets first: a server that is not Marathon (an HTML page, a wrong base
 * URL), a name that does not resolve, and where a failed {@code pick()} was called from.
 */
@Timeout(60)
class MarathonErrorMessageTest {
  private static final String HTML = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!"
      + "</title></head><body>" + "<p>filler</p>".repeat(200) + "</body></html>";

  private WireMockServer wm;
  private MarathonSource source;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    source = MarathonSource.builder().url(wm.baseUrl()).eventStream(false)
        .requestTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    source.close();
    wm.stop();
  }

  private String failureMessage(String id) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> source.load(id).get(30, TimeUnit.SECONDS));
    assertInstanceOf(DiscoveryUnavailableException.class, e.getCause());
    return e.getCause().getMessage();
  }

  @Test
  void anHtmlPageIsNotAMarathonApiResponse() throws Exception {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/shop")).willReturn(aResponse()
        .withHeader("Content-Type", "text/html; charset=utf-8").withBody(HTML)));
    String message = failureMessage("/shop");
    assertTrue(message.contains("not a Marathon API response (HTTP 200, content type text/html;"
        + " charset=utf-8, first bytes \"<!DOCTYPE html> <html><head><title>Welcome"), message);
    assertTrue(message.contains(") from " + wm.baseUrl() + "/v2/apps/shop"), message);
    assertTrue(message.length() < 400, message);
  }

  @Test
  void aWrongBaseUrlIsNotNoSuchApp() throws Exception {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/shop")).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "text/html").withBody("<html><body>Not Found</body></html>")));
    String message = failureMessage("/shop");
    assertTrue(message.contains("not a Marathon API response (HTTP 404, content type text/html,"
        + " first bytes \"<html><body>Not Found</body></html>\") from "), message);
  }

  @Test
  void aNonJsonBodyWithoutContentTypeIsNotAMarathonApiResponse() throws Exception {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/shop")).willReturn(aResponse().withBody(HTML)));
    String message = failureMessage("/shop");
    assertTrue(message.contains("not a Marathon API response (HTTP 200, content type none, first"
        + " bytes \"<!DOCTYPE html>"), message);
    assertTrue(message.length() < 400, message);

    wm.stubFor(get(urlPathEqualTo("/v2/apps/gone")).willReturn(aResponse().withStatus(404)
        .withBody("Not Found")));
    assertTrue(failureMessage("/gone").contains("not a Marathon API response (HTTP 404"));
  }

  @Test
  void truncatedJsonIsStillReportedAsUnreadable() throws Exception {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/shop")).willReturn(aResponse()
        .withHeader("Content-Type", "application/json").withBody("{\"app\": {\"id\": \"/sh")));
    String message = failureMessage("/shop");
    assertTrue(message.contains("unreadable answer from"), message);
  }

  @Test
  void anUnknownHostSaysSo() {
    // What the JDK client throws for a name that does not resolve (no lookup is made here).
    ConnectException jdk = new ConnectException();
    jdk.initCause(new ConnectException());
    jdk.getCause().initCause(new UnresolvedAddressException());
    assertEquals("unknown host (the name does not resolve)", MarathonHttp.describe(jdk));
    assertEquals("ConnectException: Connection refused",
        MarathonHttp.describe(new ConnectException("Connection refused")));
  }

  @Test
  void aFailedPickShowsTheCallersFrame() {
    wm.stubFor(get(urlPathEqualTo("/v2/apps/shop")).willReturn(aResponse().withStatus(503)));
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      DiscoveryUnavailableException e =
          assertThrows(DiscoveryUnavailableException.class, () -> resolver.pick("/shop"));
      boolean callerFrame = false;
      for (StackTraceElement frame : e.getStackTrace()) {
        callerFrame |= frame.getClassName().equals(MarathonErrorMessageTest.class.getName());
      }
      assertTrue(callerFrame, "the exception's own stack shows this test");
      assertInstanceOf(DiscoveryUnavailableException.class, e.getCause());
      assertEquals(e.getMessage(), e.getCause().getMessage());
    }
  }
}
