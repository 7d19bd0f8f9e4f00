package dev.lodestar.benchmarks.marathon;

import dev.lodestar.discovery.marathon.MarathonSource;
import java.net.http.HttpClient;
import java.time.Duration;

/** How the scale simulation builds one client's source: one HttpClient shared by all. Stateless. */
final class Clients {
  private Clients() {}

  /** A source on both URLs; {@code null} spreads and windows keep the builder's defaults. */
  static MarathonSource source(String leader, String standby, HttpClient shared,
      Duration resync, Duration reconnectSpread, Duration reconnectWindow) {
    MarathonSource.Builder b = MarathonSource.builder().urls(leader, standby).httpClient(shared)
        .resyncInterval(resync);
    if (reconnectSpread != null) {
      b.reconnectSpread(reconnectSpread);
    }
    if (reconnectWindow != null) {
      b.reconnectResyncWindow(reconnectWindow);
    }
    return b.build();
  }
}
