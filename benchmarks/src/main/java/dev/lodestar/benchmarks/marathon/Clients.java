package dev.lodestar.benchmarks.marathon;

import dev.lodestar.discovery.marathon.MarathonSource;
import java.net.http.HttpClient;
import java.time.Duration;

/** How the scale simulation builds one client's source: one HttpClient shared by all. Stateless. */
final class Clients {
  private Clients() {}

  static MarathonSource source(String leader, String standby, HttpClient shared,
      Duration resync) {
    return MarathonSource.builder().urls(leader, standby).httpClient(shared)
        .resyncInterval(resync).build();
  }
}
