package dev.lodestar.examples;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.http.LoadBalancedHttpClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds an app through Mesos-DNS SRV records and keeps each user session on one instance (sticky
 * routing by consistent hashing), for instances that hold per-session state such as a cache.
 *
 * <p>Run: {@code java ... DnsStickyExample 10.0.0.53:53 http://web.demo/}
 */
public final class DnsStickyExample {

  public static void main(String[] args) throws Exception {
    String nameServer = args.length > 0 ? args[0] : "127.0.0.1:53"; // an IP literal and port
    URI url = URI.create(args.length > 1 ? args[1] : "http://web.demo/");
    run(nameServer, url, 5, 4).forEach((session, instances) ->
        System.out.println(session + " -> " + instances));
  }

  /**
   * Sends {@code requests} GETs for each of {@code sessions} sessions; returns the instances that
   * answered, per session.
   */
  static Map<String, Set<String>> run(String nameServer, URI url, int sessions, int requests)
      throws Exception {
    // /demo/web is asked as _web-demo._tcp.marathon.slave.mesos. (agent IP and host port), named
    // the way Mesos-DNS names Marathon tasks. The resolver refreshes before the records' TTL ends.
    try (ServiceResolver resolver = ServiceResolver.builder()
        .source(MesosDnsSource.builder().nameServer(nameServer).build())
        .strategy(LoadBalancingStrategy.sticky())
        .build()) {
      // The affinity key of a request is its session header: the same session lands on the same
      // instance while that instance stays; if it leaves, only its own sessions move.
      LoadBalancedHttpClient http = LoadBalancedHttpClient.builder(resolver)
          .affinityKey(request -> request.headers().firstValue("X-Session").orElse(null))
          .build();
      Map<String, Set<String>> seen = new TreeMap<>();
      for (int r = 0; r < requests; r++) {
        for (int s = 1; s <= sessions; s++) {
          String session = "session-" + s;
          HttpRequest request = HttpRequest.newBuilder(url).header("X-Session", session).build();
          String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
          seen.computeIfAbsent(session, k -> new TreeSet<>()).add(body);
        }
      }
      return seen;
    }
  }
}
