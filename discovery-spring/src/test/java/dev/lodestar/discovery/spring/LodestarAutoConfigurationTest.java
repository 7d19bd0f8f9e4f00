package dev.lodestar.discovery.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.source.StaticSource;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.testing.MesosDnsFixtures.Rr;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** When the auto-configuration applies, backs off, and how it reports bad settings. */
class LodestarAutoConfigurationTest {

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class Empty {}

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class WithSource {
    @Bean
    ServiceSource source() {
      return StaticSource.create().set("/shop/checkout", Instance.of("/shop/checkout", "127.0.0.1", 8080));
    }
  }

  private static ConfigurableApplicationContext run(Class<?> app, String... properties) {
    return new SpringApplicationBuilder(app)
        .web(WebApplicationType.NONE)
        .properties("spring.main.banner-mode=off")
        .properties(properties)
        .run();
  }

  @Test
  void nothingWithoutABackend() {
    try (ConfigurableApplicationContext ctx = run(Empty.class)) {
      assertEquals(0, ctx.getBeanNamesForType(ServiceResolver.class).length);
      assertEquals(0, ctx.getBeanNamesForType(LodestarDiscoveryClient.class).length);
    }
  }

  @Test
  void nothingWhenDisabled() {
    try (ConfigurableApplicationContext ctx =
        run(Empty.class, "lodestar.enabled=false", "lodestar.marathon.urls=http://127.0.0.1:9")) {
      assertEquals(0, ctx.getBeanNamesForType(ServiceResolver.class).length);
    }
  }

  @Test
  void aServiceSourceBeanIsUsed() {
    try (ConfigurableApplicationContext ctx = run(WithSource.class, "lodestar.strategy=random")) {
      ServiceResolver resolver = ctx.getBean(ServiceResolver.class);
      assertEquals(8080, resolver.pick("/shop/checkout").port());
      assertTrue(resolver.toString().contains("random"), resolver.toString());
      List<?> instances = ctx.getBean(LodestarDiscoveryClient.class).getInstances("checkout.shop");
      assertEquals(1, instances.size());
    }
  }

  @Test
  void theHealthIndicatorIsOnByDefaultAndOffWithManagementHealthLodestarEnabledFalse() {
    try (ConfigurableApplicationContext ctx = run(WithSource.class)) {
      assertEquals(1, ctx.getBeanNamesForType(LodestarHealthIndicator.class).length);
    }
    try (ConfigurableApplicationContext ctx =
        run(WithSource.class, "management.health.lodestar.enabled=false")) {
      assertEquals(0, ctx.getBeanNamesForType(LodestarHealthIndicator.class).length);
      assertEquals(1, ctx.getBeanNamesForType(ServiceResolver.class).length);
    }
  }

  @Test
  void anUnknownStrategyFailsStartUpWithTheKnownNames() {
    Exception e = assertThrows(Exception.class,
        () -> run(WithSource.class, "lodestar.strategy=fastest").close());
    Throwable t = e;
    while (t.getCause() != null && !(t instanceof IllegalArgumentException)) {
      t = t.getCause();
    }
    assertTrue(t.getMessage().contains("unknown strategy 'fastest'"), t.getMessage());
    assertTrue(t.getMessage().contains("peak-ewma"), t.getMessage());
  }

  @Test
  void aDnsPortNameAsksTheNamedPortRecords() throws Exception {
    // Mesos-DNS publishes named ports only under the task form (_http._web._tcp.marathon.mesos.);
    // the agent form (.slave.) has none.
    try (MesosDnsServer dns = MesosDnsServer.start(List.of(
            new Rr("_http._web-shop._tcp.marathon.mesos.", "SRV", 60,
                "0 1 31001 web-shop-a1b2c-s1.marathon.mesos."),
            new Rr("web-shop-a1b2c-s1.marathon.mesos.", "A", 60, "127.0.0.1")));
        ConfigurableApplicationContext ctx = run(Empty.class,
            "lodestar.dns.servers=" + dns.hostPort(), "lodestar.dns.port-name=http")) {
      Instance picked = ctx.getBean(ServiceResolver.class).pick("/shop/web");
      assertEquals(31001, picked.port());
      assertEquals(31001, picked.namedPorts().get("http"));
    }
  }

  @Test
  void anIdLodestarCannotMapLeavesTheLookupToTheOtherDiscoveryClients() {
    // A Spring id that is no host name (an underscore) names no Lodestar service: Lodestar's client
    // answers it as unknown (an empty list), so Spring's composite asks the next client.
    try (ConfigurableApplicationContext ctx = run(WithSource.class,
        "spring.cloud.discovery.client.simple.instances.my_service[0].uri=http://127.0.0.1:8081")) {
      assertEquals(List.of(),
          ctx.getBean(LodestarDiscoveryClient.class).getInstances("my_service"));
      List<org.springframework.cloud.client.ServiceInstance> found =
          ctx.getBean(org.springframework.cloud.client.discovery.DiscoveryClient.class)
              .getInstances("my_service");
      assertEquals(1, found.size());
      assertEquals(8081, found.get(0).getPort());
    }
  }
}
