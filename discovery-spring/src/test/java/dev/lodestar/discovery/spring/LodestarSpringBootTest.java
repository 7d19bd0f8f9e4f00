package dev.lodestar.discovery.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.micrometer.LodestarMetrics;
import dev.lodestar.discovery.spring.LoopbackServers.Backend;
import dev.lodestar.discovery.spring.LoopbackServers.Marathon;
import dev.lodestar.discovery.spring.example.CheckoutClientApplication;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.cloud.client.discovery.ReactiveDiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * A real Spring Boot application (embedded Tomcat on loopback, actuator) configured by properties
 * only, against a loopback Marathon and real loopback app instances: {@code @LoadBalanced}
 * RestClient, RestTemplate and WebClient reach the app through Lodestar, a killed instance is
 * ejected, properties bind, the discovery clients list the instances and the health endpoint shows
 * the resolver's state.
 */
class LodestarSpringBootTest {
  private static Backend checkout1;
  private static Backend checkout2;
  private static Backend cart1;
  private static Backend cart2;
  private static Marathon marathon;
  private static ConfigurableApplicationContext app;

  @BeforeAll
  static void start() throws Exception {
    checkout1 = new Backend("checkout-1");
    checkout2 = new Backend("checkout-2");
    cart1 = new Backend("cart-1");
    cart2 = new Backend("cart-2");
    marathon = new Marathon()
        .app("/shop/checkout", List.of(checkout1.port(), checkout2.port()))
        .app("/shop/cart", List.of(cart1.port(), cart2.port()));
    app = new SpringApplicationBuilder(CheckoutClientApplication.class)
        .properties(
            "server.address=127.0.0.1",
            "server.port=0",
            "spring.main.banner-mode=off",
            "lodestar.marathon.urls=" + marathon.url(),
            "lodestar.marathon.event-stream=false",
            "lodestar.strategy=round-robin",
            "lodestar.refresh-interval=1m",
            "lodestar.health.base-ejection-time=5m",
            "lodestar.services.basket=/shop/cart",
            "management.endpoints.web.exposure.include=health",
            "management.endpoint.health.show-details=always")
        .run();
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {checkout1, checkout2, cart1, cart2, marathon}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  @Test
  void everyLoadBalancedClientReachesEveryInstance() {
    RestClient.Builder restClient = app.getBean(RestClient.Builder.class);
    RestTemplate restTemplate = app.getBean(RestTemplate.class);
    WebClient.Builder webClient = app.getBean(WebClient.Builder.class);
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      for (String body : CheckoutClientApplication.callCheckout(restClient, restTemplate, webClient)) {
        seen.merge(body, 1, Integer::sum);
      }
    }
    assertEquals(60, seen.values().stream().mapToInt(Integer::intValue).sum(), seen.toString());
    // Round-robin over two instances: each gets half, give or take the ones other tests took.
    assertTrue(seen.getOrDefault("checkout-1", 0) >= 25, seen.toString());
    assertTrue(seen.getOrDefault("checkout-2", 0) >= 25, seen.toString());
  }

  @Test
  void outcomesReachLodestarAndAKilledInstanceIsEjected() throws Exception {
    RestTemplate restTemplate = app.getBean(RestTemplate.class);
    ServiceResolver resolver = app.getBean(ServiceResolver.class);
    // basket maps to /shop/cart by lodestar.services.
    for (int i = 0; i < 4; i++) {
      restTemplate.getForObject("http://basket/", String.class);
    }
    cart2.close();
    int failures = 0;
    Map<String, Integer> after = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      try {
        after.merge(restTemplate.getForObject("http://basket/", String.class), 1, Integer::sum);
      } catch (RuntimeException e) {
        failures++; // the one call that found cart-2 dead, reported to Lodestar as a failure
      }
    }
    assertTrue(failures <= 1, "failures after the kill: " + failures);
    assertEquals(20 - failures, after.getOrDefault("cart-1", 0), after.toString());
    ServiceStatus status = resolver.status("/shop/cart").orElseThrow();
    assertEquals(1, status.ejectedInstances(), status.toString());
    assertEquals(1, status.routableInstances(), status.toString());
  }

  @Test
  void anUnknownAppFailsWithLodestarsMessage() {
    RestTemplate restTemplate = app.getBean(RestTemplate.class);
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> restTemplate.getForObject("http://nope.shop/", String.class));
    Throwable t = e;
    while (t != null && !(t instanceof UnknownServiceException)) {
      t = t.getCause();
    }
    assertInstanceOf(UnknownServiceException.class, t, "cause chain of " + e);
    assertTrue(t.getMessage().contains("/shop/nope"), t.getMessage());
  }

  @Test
  void propertiesBind() {
    LodestarProperties p = app.getBean(LodestarProperties.class);
    assertEquals(List.of(marathon.url()), p.getMarathon().getUrls());
    assertEquals(Boolean.FALSE, p.getMarathon().getEventStream());
    assertEquals("round-robin", p.getStrategy());
    assertEquals(Duration.ofMinutes(1), p.getRefreshInterval());
    assertEquals(Duration.ofMinutes(5), p.getHealth().getBaseEjectionTime());
    assertEquals(Map.of("basket", "/shop/cart"), p.getServices());
  }

  @Test
  void discoveryClientsListRoutableInstances() {
    DiscoveryClient blocking = app.getBean(LodestarDiscoveryClient.class);
    List<ServiceInstance> instances = blocking.getInstances("checkout.shop");
    assertEquals(2, instances.size(), instances.toString());
    for (ServiceInstance i : instances) {
      assertEquals("checkout.shop", i.getServiceId());
      assertEquals("127.0.0.1", i.getHost());
      assertEquals("/shop/checkout", i.getMetadata().get("lodestar.serviceId"));
      assertEquals("shop", i.getMetadata().get("team"));
    }
    assertTrue(blocking.getServices().contains("basket"), blocking.getServices().toString());
    assertTrue(blocking.getInstances("nope.shop").isEmpty());

    ReactiveDiscoveryClient reactive = app.getBean(ReactiveDiscoveryClient.class);
    assertEquals(2, reactive.getInstances("checkout.shop").collectList().block().size());
    // Spring's composite client sees Lodestar's instances too.
    DiscoveryClient composite = app.getBean("compositeDiscoveryClient", DiscoveryClient.class);
    assertEquals(2, composite.getInstances("checkout.shop").size());
  }

  @Test
  void healthEndpointShowsTheResolver() throws Exception {
    app.getBean(RestTemplate.class).getForObject("http://checkout.shop/", String.class);
    String port = app.getEnvironment().getProperty("local.server.port");
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
            .timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    String body = r.body();
    assertTrue(body.contains("\"lodestar\""), body);
    assertTrue(body.contains("/shop/checkout"), body);
    assertTrue(body.contains("\"routable\":2"), body);
  }

  @Test
  void micrometerMetersArePublished() {
    app.getBean(RestTemplate.class).getForObject("http://checkout.shop/", String.class);
    MeterRegistry registry = app.getBean(MeterRegistry.class);
    assertFalse(registry.find("lodestar.calls").tag("service", "/shop/checkout").meters().isEmpty(),
        "no lodestar.calls meter for /shop/checkout; LodestarMetrics on the class path: "
            + LodestarMetrics.class.getName());
  }
}
