package dev.lodestar.discovery.spring.example;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The README's example: a Spring Boot application whose {@code @LoadBalanced} clients reach the
 * Marathon app {@code /shop/checkout} as {@code http://checkout.shop/}, through Lodestar. With
 * discovery-spring on the class path, one property is all it needs:
 * {@code lodestar.marathon.urls=http://marathon:8080}.
 */
@SpringBootApplication
public class CheckoutClientApplication {

  @Bean
  @LoadBalanced
  RestClient.Builder restClientBuilder() {
    return RestClient.builder();
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

  /** Calls the checkout service once with each client. */
  public static String[] callCheckout(RestClient.Builder restClient, RestTemplate restTemplate,
      WebClient.Builder webClient) {
    return new String[] {
      restClient.build().get().uri("http://checkout.shop/").retrieve().body(String.class),
      restTemplate.getForObject("http://checkout.shop/", String.class),
      webClient.build().get().uri("http://checkout.shop/").retrieve().bodyToMono(String.class).block()
    };
  }
}
