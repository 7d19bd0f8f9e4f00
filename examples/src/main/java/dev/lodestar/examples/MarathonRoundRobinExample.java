package dev.lodestar.examples;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.http.LoadBalancedHttpClient;
import dev.lodestar.discovery.marathon.MarathonSource;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Calls a Marathon app over HTTP, spreading requests round-robin over its healthy tasks.
 *
 * <p>Run: {@code java ... MarathonRoundRobinExample http://marathon:8080 http://web.demo/}
 */
public final class MarathonRoundRobinExample {

  public static void main(String[] args) throws Exception {
    String marathon = args.length > 0 ? args[0] : "http://localhost:8080";
    // The host names the Marathon app, read backwards like a DNS name: web.demo is /demo/web.
    URI url = URI.create(args.length > 1 ? args[1] : "http://web.demo/");
    run(marathon, url, 6).forEach(System.out::println);
  }

  /** Sends {@code requests} GETs to {@code url} and returns "instance address: body" for each. */
  static List<String> run(String marathon, URI url, int requests) throws Exception {
    // One resolver for the whole application. It reads the app's tasks from Marathon's REST API
    // on first use and then follows /v2/events, so killed, unhealthy and new tasks are seen at
    // once. Only running tasks that pass their health checks are picked.
    try (ServiceResolver resolver = ServiceResolver.builder()
        .source(MarathonSource.builder().url(marathon).build()) // several URLs fail over
        .strategy(LoadBalancingStrategy.roundRobin())
        .build()) {
      // The JDK HttpClient, routed: every request goes to one instance of the app, its outcome
      // feeds passive health, and an idempotent request that cannot connect is retried once on
      // another instance.
      LoadBalancedHttpClient http = LoadBalancedHttpClient.of(resolver);
      List<String> answers = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(url).build(),
            HttpResponse.BodyHandlers.ofString());
        answers.add(response.uri().getAuthority() + ": " + response.body());
      }
      return answers;
    }
  }
}
