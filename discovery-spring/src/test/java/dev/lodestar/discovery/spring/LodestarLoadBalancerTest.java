package dev.lodestar.discovery.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.InstanceStatus;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.source.StaticSource;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spring.LoopbackServers.Backend;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultResponse;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClient;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.ReactorLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.LoadBalancerClientFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Spring Cloud LoadBalancer through Lodestar in real Spring contexts, against a real HTTP backend
 * on loopback listed by a static source: which beans the load-balancer client contexts get and
 * when they back off, and that every call the resolver counts in flight is counted out again,
 * whichever way Spring's clients end it.
 */
@Timeout(120)
class LodestarLoadBalancerTest {
  private static final String APP = "/shop/checkout";
  private static final String CLIENT = "checkout.shop";
  private Backend backend;

  @BeforeEach
  void startBackend() throws Exception {
    backend = new Backend("checkout");
  }

  @AfterEach
  void stopBackend() {
    backend.close();
  }

  /** An application with a Lodestar source and {@code @LoadBalanced} clients. */
  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {
    @Bean
    ServiceSource source(Environment env) {
      int port = env.getRequiredProperty("test.backend.port", Integer.class);
      return StaticSource.create().set(APP, Instance.of(APP, "127.0.0.1", port));
    }

    @Bean
    @LoadBalanced
    RestTemplate restTemplate() {
      return new RestTemplate();
    }

    @Bean
    @LoadBalanced
    WebClient.Builder webClientBuilder() {
      return WebClient.builder();
    }
  }

  /** The same application with its own balancer and instance list for one client. */
  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  @org.springframework.cloud.loadbalancer.annotation.LoadBalancerClient(
      name = CLIENT, configuration = OwnClientConfiguration.class)
  static class AppWithOwnBalancer extends App {}

  /** Per-client configuration as Spring Cloud documents it; not scanned. */
  static class OwnClientConfiguration {
    @Bean
    OwnBalancer ownBalancer(Environment env) {
      return new OwnBalancer(env.getRequiredProperty("test.backend.port", Integer.class));
    }

    @Bean
    OwnSupplier ownSupplier() {
      return new OwnSupplier();
    }
  }

  /** Always the backend; counts its choices. */
  static final class OwnBalancer implements ReactorServiceInstanceLoadBalancer {
    final AtomicInteger choices = new AtomicInteger();
    private final int port;

    OwnBalancer(int port) {
      this.port = port;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Mono<Response<ServiceInstance>> choose(Request request) {
      choices.incrementAndGet();
      return Mono.just(new DefaultResponse(
          new DefaultServiceInstance("own-1", CLIENT, "127.0.0.1", port, false)));
    }
  }

  /** An instance list of the application's own (empty: only its presence matters). */
  static final class OwnSupplier implements ServiceInstanceListSupplier {
    @Override
    public String getServiceId() {
      return CLIENT;
    }

    @Override
    public Flux<List<ServiceInstance>> get() {
      return Flux.just(List.of());
    }
  }

  private ConfigurableApplicationContext run(Class<?> app, String... properties) {
    return new SpringApplicationBuilder(app)
        .web(WebApplicationType.NONE)
        .properties("spring.main.banner-mode=off", "test.backend.port=" + backend.port())
        .properties(properties)
        .run();
  }

  private static int inFlight(ServiceResolver resolver) {
    return resolver.status(APP).orElseThrow().instances().stream()
        .mapToInt(InstanceStatus::inFlight).sum();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(20);
    }
  }

  private static void awaitInFlight(ServiceResolver resolver, int expected)
      throws InterruptedException {
    await(expected + " call(s) in flight; the resolver says "
        + resolver.status(APP).orElseThrow().instances(),
        () -> inFlight(resolver) == expected);
  }

  @Test
  void anApplicationsOwnPerClientBalancerAndInstanceListWin() {
    try (ConfigurableApplicationContext ctx = run(AppWithOwnBalancer.class)) {
      LoadBalancerClientFactory factory = ctx.getBean(LoadBalancerClientFactory.class);
      // One balancer, not the application's plus Lodestar's (Spring then uses neither).
      assertEquals(1, factory.getInstances(CLIENT, ReactorLoadBalancer.class).size(),
          "balancers in the client context: "
              + factory.getInstances(CLIENT, ReactorLoadBalancer.class).keySet());
      OwnBalancer own = assertInstanceOf(OwnBalancer.class, factory.getInstance(CLIENT));
      assertInstanceOf(OwnSupplier.class,
          factory.getInstance(CLIENT, ServiceInstanceListSupplier.class));

      assertEquals("checkout", ctx.getBean(RestTemplate.class)
          .getForObject("http://checkout.shop/", String.class));
      assertEquals(1, own.choices.get());
    }
  }

  @Test
  void loadBalancingWorksWithSpringCloudDiscoveryDisabled() {
    try (ConfigurableApplicationContext ctx =
        run(App.class, "spring.cloud.discovery.enabled=false")) {
      assertEquals(0, ctx.getBeanNamesForType(LodestarDiscoveryClient.class).length);
      assertEquals("checkout", ctx.getBean(RestTemplate.class)
          .getForObject("http://checkout.shop/", String.class));
      LoadBalancerClientFactory factory = ctx.getBean(LoadBalancerClientFactory.class);
      assertInstanceOf(LodestarLoadBalancer.class, factory.getInstance(CLIENT));
      ServiceInstanceListSupplier supplier =
          factory.getInstance(CLIENT, ServiceInstanceListSupplier.class);
      List<ServiceInstance> listed = supplier.get().blockFirst(Duration.ofSeconds(30));
      assertEquals(1, listed.size(), String.valueOf(listed));
      assertEquals(backend.port(), listed.get(0).getPort());
    }
  }

  @Test
  void aChoiceAloneIsNotCountedInFlight() throws Exception {
    try (ConfigurableApplicationContext ctx = run(App.class)) {
      ServiceResolver resolver = ctx.getBean(ServiceResolver.class);
      LoadBalancerClient client = ctx.getBean(LoadBalancerClient.class);
      for (int i = 0; i < 5; i++) {
        // Public Spring API: choose, then build the URL by hand; no lifecycle call follows.
        assertEquals(backend.port(), client.choose(CLIENT).getPort());
      }
      assertEquals(0, inFlight(resolver),
          "choices that start no call: " + resolver.status(APP).orElseThrow().instances());
    }
  }

  @Test
  void aRestTemplateCallIsCountedInFlightUntilItEnds() throws Exception {
    try (ConfigurableApplicationContext ctx = run(App.class)) {
      ServiceResolver resolver = ctx.getBean(ServiceResolver.class);
      RestTemplate rest = ctx.getBean(RestTemplate.class);
      assertEquals("checkout", rest.getForObject("http://checkout.shop/", String.class));
      awaitInFlight(resolver, 0);
      CountDownLatch gate = new CountDownLatch(1);
      backend.gate = gate;
      CompletableFuture<String> held = CompletableFuture.supplyAsync(
          () -> rest.getForObject("http://checkout.shop/", String.class));
      awaitInFlight(resolver, 1);
      gate.countDown();
      assertEquals("checkout", held.get(30, TimeUnit.SECONDS));
      awaitInFlight(resolver, 0);
      InstanceStatus status = resolver.status(APP).orElseThrow().instances().get(0);
      assertTrue(status.latencyEstimate().toNanos() > 0, "latency fed back: " + status);
    }
  }

  @Test
  void aWebClientCallCancelledByATimeoutIsCountedOut() throws Exception {
    try (ConfigurableApplicationContext ctx = run(App.class)) {
      ServiceResolver resolver = ctx.getBean(ServiceResolver.class);
      WebClient client = ctx.getBean(WebClient.Builder.class).build();
      assertEquals("checkout", client.get().uri("http://checkout.shop/").retrieve()
          .bodyToMono(String.class).block(Duration.ofSeconds(30)));
      awaitInFlight(resolver, 0);
      CountDownLatch gate = new CountDownLatch(1);
      backend.gate = gate;
      int requestsBefore = backend.requests.get();
      // The timeout fires once the backend holds the request (not after a fixed time, which a
      // slow machine could spend before the request arrives).
      Mono<Long> reachedTheBackend = Flux.interval(Duration.ofMillis(10))
          .filter(tick -> backend.requests.get() > requestsBefore).next();
      Mono<String> timedOut = client.get().uri("http://checkout.shop/").retrieve()
          .bodyToMono(String.class).timeout(reachedTheBackend);
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> timedOut.block(Duration.ofSeconds(30)));
      assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause(), e.toString());
      assertEquals(requestsBefore + 1, backend.requests.get(), "the call reached the backend");
      // The backend still holds the request: only the cancellation can count the call out.
      awaitInFlight(resolver, 0);
      gate.countDown();
    }
  }

  @Test
  void aChoiceRunThroughLoadBalancerClientExecuteIsCountedWhileItRuns() throws Exception {
    try (ConfigurableApplicationContext ctx = run(App.class)) {
      ServiceResolver resolver = ctx.getBean(ServiceResolver.class);
      LoadBalancerClient client = ctx.getBean(LoadBalancerClient.class);
      ServiceInstance chosen = client.choose(CLIENT);
      int during = client.execute(CLIENT, chosen, instance -> {
        assertSame(chosen, instance);
        return inFlight(resolver);
      });
      assertEquals(1, during, "in flight while the request ran");
      assertEquals(0, inFlight(resolver), "in flight once it ended");
    }
  }
}
