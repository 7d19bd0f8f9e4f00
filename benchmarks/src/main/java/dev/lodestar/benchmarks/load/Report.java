package dev.lodestar.benchmarks.load;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Writes the Markdown tables and the PNG chart of a {@link LoadScenarios} run. */
final class Report {
  private final LoadScenarios.Options options;
  List<LoadScenarios.Config> slowInstance;
  List<LoadScenarios.KillRun> kills;
  LoadScenarios.ChurnRun churn;
  LoadScenarios.SoakRun soak;
  double totalSeconds;

  Report(LoadScenarios.Options options) {
    this.options = options;
  }

  void write() throws IOException {
    Path md = options.out.resolve("load-scenarios.md");
    Files.writeString(md, markdown(), StandardCharsets.UTF_8);
    LoadScenarios.log("wrote %s", md);
    if (slowInstance != null) {
      Path png = options.out.resolve("load-scenarios.png");
      BitmapEncoder.saveBitmap(chart(), png.toString(), BitmapEncoder.BitmapFormat.PNG);
      LoadScenarios.log("wrote %s", png);
    }
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  private static String yes(boolean met) {
    return met ? "**met**" : "**missed**";
  }

  private LoadScenarios.Config config(String label, boolean slow) {
    for (LoadScenarios.Config c : slowInstance) {
      if (c.label.equals(label) && c.slow == slow) {
        return c;
      }
    }
    throw new IllegalArgumentException(label);
  }

  /** Peak-EWMA p99 with one slow instance over its own all-healthy p99. */
  double ewmaRatio() {
    return config("peak-EWMA (P2C)", true).merged.ms(0.99)
        / config("peak-EWMA (P2C)", false).merged.ms(0.99);
  }

  /** The median over rounds of peak-EWMA's p99 ratio (one slow / all healthy) within a round. */
  double ewmaRoundRatio() {
    LoadScenarios.Config slow = config("peak-EWMA (P2C)", true);
    LoadScenarios.Config healthy = config("peak-EWMA (P2C)", false);
    List<Double> ratios = new ArrayList<>();
    for (int r = 0; r < slow.parts.size(); r++) {
      ratios.add(slow.parts.get(r).ms(0.99) / healthy.parts.get(r).ms(0.99));
    }
    Collections.sort(ratios);
    int n = ratios.size();
    return n % 2 == 1 ? ratios.get(n / 2) : (ratios.get(n / 2 - 1) + ratios.get(n / 2)) / 2;
  }

  String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("# Load scenarios\n\n");
    sb.append(f("Written by `%s` on %s: %d available processors (shared with other builds), "
            + "Java %s, whole run %.0f s. Command, from the repository root after "
            + "`mvn -q -pl benchmarks -am package -DskipTests`:\n\n",
        LoadScenarios.class.getName(), Instant.now().truncatedTo(ChronoUnit.SECONDS),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
        totalSeconds));
    sb.append("```\n").append(options.command()).append("\n```\n\n");
    sb.append(f("Every scenario runs real JDK `HttpServer` instances on loopback (each with its "
            + "own executor; service time %d ms, a timed wait) and sends JDK `HttpClient` GETs "
            + "through a `ServiceResolver` with `call()`, open-loop: request *i* is due at "
            + "*start + i / rate* (%,.0f requests/s, %d client threads), and its latency runs from "
            + "that due time, so queueing behind slow calls counts. `HealthPolicy` and "
            + "`maxAttempts` are the defaults unless a row says otherwise.\n\n",
        options.serviceMs, options.rate, options.clients));
    summary(sb);
    if (slowInstance != null) {
      slowInstance(sb);
    }
    if (kills != null) {
      kills(sb);
    }
    if (churn != null) {
      churn(sb);
    }
    if (soak != null) {
      soak(sb);
    }
    return sb.toString();
  }

  private void summary(StringBuilder sb) {
    sb.append("## Summary\n\n");
    sb.append("| scenario | measure | target | measured | |\n|---|---|---|---|---|\n");
    if (slowInstance != null) {
      double ratio = ewmaRatio();
      sb.append(f("| 1. one instance 10x slower | peak-EWMA p99 / all-healthy p99 | <= 1.5 | "
              + "%.2f (%.2f ms / %.2f ms); round-robin %.2f | %s |\n", ratio,
          config("peak-EWMA (P2C)", true).merged.ms(0.99),
          config("peak-EWMA (P2C)", false).merged.ms(0.99),
          config("round-robin", true).merged.ms(0.99)
              / config("round-robin", false).merged.ms(0.99), yes(ratio <= 1.5)));
    }
    if (kills != null) {
      for (LoadScenarios.KillRun k : kills) {
        boolean retry = k.maxAttempts() > 1;
        sb.append(f("| 2. two of ten instances killed | failed calls, %s | %s | %d of %,d | %s |\n",
            k.label(), retry ? "0" : "(none)", k.result().failed, k.result().requests,
            retry ? yes(k.result().failed == 0) : ""));
      }
    }
    if (churn != null) {
      boolean met = churn.result().failed == 0 && churn.afterApplied() == 0;
      sb.append(f("| 3. churn through the event stream | failed calls; calls sent to a replaced "
              + "task after its event was applied | 0; 0 | %d; %d (of %,d) | %s |\n",
          churn.result().failed, churn.afterApplied(), churn.result().requests, yes(met)));
    }
    if (soak != null) {
      sb.append(f("| 4. soak, %d s | errors (exceptions + stale picks) | 0 | %d + %d; %,.0f picks/s "
              + "at %,.0f snapshots/s | %s |\n", Math.round(soak.seconds()), soak.errors(),
          soak.stale(), soak.picks() / soak.seconds(), soak.updates() / soak.seconds(),
          yes(soak.errors() == 0 && soak.stale() == 0)));
    }
    sb.append('\n');
  }

  private void slowInstance(StringBuilder sb) {
    LoadScenarios.Config any = slowInstance.get(0);
    int perConfig = any.merged.requests;
    sb.append("## 1. One instance 10x slower\n\n");
    sb.append(f("Ten instances; in the \"one slow\" rows one of them takes %d ms instead of %d ms. "
            + "Each configuration has its own resolver (`StaticSource`, default `HealthPolicy`) "
            + "and sends %,d requests, in %d rounds of %,d interleaved with the other "
            + "configurations so that machine noise spreads over all of them. A warm-up run "
            + "precedes the first round and is not counted. Latencies in ms.\n\n",
        10 * options.serviceMs, options.serviceMs, perConfig,
        LoadScenarios.ROUNDS, perConfig / LoadScenarios.ROUNDS));
    sb.append("| strategy | instances | requests | failed | p50 | p99 | p99.9 | max "
        + "| sent to the slow one |\n|---|---|---|---|---|---|---|---|---|\n");
    for (boolean slow : new boolean[] {true, false}) {
      for (LoadScenarios.Config c : slowInstance) {
        if (c.slow != slow) {
          continue;
        }
        OpenLoop.Result r = c.merged;
        sb.append(f("| %s | %s | %,d | %d | %.2f | %.2f | %.2f | %.1f | %s |\n", c.label,
            slow ? "one slow" : "all healthy", r.requests, r.failed, r.ms(0.5), r.ms(0.99),
            r.ms(0.999), r.maxMs(), slow
                ? f("%.2f%%", 100.0 * c.toSlow.sum() / r.requests)
                : "-"));
      }
    }
    sb.append(f("\nPeak EWMA with one slow instance: p99 %.2f ms against %.2f ms all healthy "
            + "(same strategy), **ratio %.2f** (target <= 1.5); round-robin's all-healthy p99 "
            + "is %.2f ms. The median over the %d rounds of the same ratio within one round is "
            + "%.2f.\n\n", config("peak-EWMA (P2C)", true).merged.ms(0.99),
        config("peak-EWMA (P2C)", false).merged.ms(0.99), ewmaRatio(),
        config("round-robin", false).merged.ms(0.99), any.parts.size(), ewmaRoundRatio()));
    sb.append("p99 of each round in ms, and in parentheses the longest stall of the machine "
        + "during that round: how late a thread of this process that asked to sleep 1 ms woke "
        + "up. A stall of tens of ms delays every request in flight whatever the strategy, so a "
        + "round with a long stall has an inflated p99 in any row.\n\n| configuration |");
    for (int r = 1; r <= any.parts.size(); r++) {
      sb.append(" round ").append(r).append(" |");
    }
    sb.append("\n|---|").append("---|".repeat(any.parts.size())).append('\n');
    for (LoadScenarios.Config c : slowInstance) {
      sb.append("| ").append(c.label).append(c.slow ? ", one slow |" : ", all healthy |");
      for (int r = 0; r < c.parts.size(); r++) {
        sb.append(f(" %.2f (%.0f) |", c.parts.get(r).ms(0.99), c.stallsMs.get(r)));
      }
      sb.append('\n');
    }
    sb.append('\n');
    sb.append("![p50, p99 and p99.9 per strategy](load-scenarios.png)\n\n");
  }

  private void kills(StringBuilder sb) {
    LoadScenarios.KillRun first = kills.get(0);
    sb.append("## 2. Two instances killed mid-run\n\n");
    sb.append(f("Ten instances, round-robin; after %.1f s two of them stop (`HttpServer.stop(0)`: "
            + "calls they were serving are cut, new connections are refused). Default "
            + "`HealthPolicy`: one refused connection ejects an instance (30 s, longer than the "
            + "run). `call()` retries connection failures on another instance. A call in "
            + "flight on a killed instance is cut: if its connection was reused from the pool, "
            + "the JDK `HttpClient` resends the GET once to the same address, that resend is "
            + "refused, and `call()` retries it elsewhere; if the connection was fresh, the call "
            + "ends in `IOException: HTTP/1.1 header parser received no bytes`, which the default "
            + "`retryOn` leaves alone (such a call may have reached the application). The last "
            + "run also retries any `IOException`, which is right only for idempotent calls like "
            + "these GETs. The first run is the first connection failure this JVM sees (cold "
            + "code paths). With `maxAttempts(1)` the failed calls are the ones sent to, or in "
            + "flight on, the two instances before their ejection (*kill -> ejected*: when the "
            + "first refused call was reported and the instance left the picker).\n\n",
        first.killAtSeconds()));
    sb.append("| run | requests | failed calls | failures | attempts | refused "
        + "attempts | ejected at the end | kill -> ejected | p99 (ms) |\n"
        + "|---|---|---|---|---|---|---|---|---|\n");
    for (LoadScenarios.KillRun k : kills) {
      sb.append(f("| %s | %,d | %d | %s | %,d | %d | %d | %s | %.2f |\n", k.label(),
          k.result().requests, k.result().failed,
          failures(k.result().failures), k.attempts(), k.refusedAttempts(), k.ejected(),
          ejections(k.killToEjectNanos()), k.result().ms(0.99)));
    }
    sb.append('\n');
  }

  private void churn(StringBuilder sb) {
    sb.append("## 3. Churn through the Marathon event stream\n\n");
    sb.append(f("A loopback fake Marathon (REST and `/v2/events`) lists ten tasks, each a real "
            + "server; a real `MarathonSource` (defaults) feeds a resolver (defaults: round-robin, "
            + "`maxAttempts` 3). During the run, %d times, the oldest task is replaced as in a "
            + "rolling restart: a new task starts (`status_update_event` `TASK_RUNNING`); once "
            + "the resolver lists it, the old one gets `TASK_KILLING` (REST and event); once the "
            + "resolver has applied that event, the old server finishes its calls (100 ms "
            + "grace) and stops, and `TASK_KILLED` follows. \"Applied\" is the moment the "
            + "resolver's `ResolverListener.onSnapshot` saw a snapshot without the task routable "
            + "(it runs after the new picker is in place). A call counts against the target if "
            + "it *started* after that moment and any of its attempts went to the old "
            + "task.\n\n", churn.replaced()));
    sb.append("| requests | failed calls | attempts | refused attempts | calls sent to a "
        + "replaced task after its event was applied | calls started between the event's "
        + "write and its application, sent to the old task | kill event written -> applied "
        + "(p50 / max) | new task event -> routable (p50 / max) |\n"
        + "|---|---|---|---|---|---|---|---|\n");
    sb.append(f("| %,d | %d%s | %,d | %d | **%d** | %d | %s | %s |\n\n", churn.result().requests,
        churn.result().failed, churn.result().failed == 0 ? "" : " "
            + failures(churn.result().failures), churn.attempts(), churn.refusedAttempts(),
        churn.afterApplied(), churn.afterEmittedBeforeApplied(), spread(churn.applyNanos()),
        spread(churn.joinNanos())));
  }

  private void soak(StringBuilder sb) {
    sb.append("## 4. Soak: picks while snapshots change 1,000 times a second\n\n");
    sb.append("Two threads call `pick()` (round-robin, `StaticSource`) in a tight loop while a "
        + "third calls `StaticSource.set` every millisecond, each time with a new list of ten "
        + "instances (snapshot *g* lists instances *g .. g+9*, so every update removes one "
        + "instance and adds one). An error is an exception from `pick()`; a stale pick is one "
        + "that returns an instance already removed by an update whose `set` had returned "
        + "before the pick began.\n\n");
    sb.append("| duration | picks | picks/s (2 threads) | snapshot updates | updates/s | errors "
        + "| stale picks |\n|---|---|---|---|---|---|---|\n");
    sb.append(f("| %.1f s | %,d | %,.0f | %,d | %,.0f | %d%s | %d |\n\n", soak.seconds(),
        soak.picks(), soak.picks() / soak.seconds(), soak.updates(),
        soak.updates() / soak.seconds(), soak.errors(),
        soak.firstError() == null ? "" : " (first: " + soak.firstError() + ")", soak.stale()));
  }

  private static String failures(Map<String, Integer> failures) {
    if (failures.isEmpty()) {
      return "-";
    }
    List<String> parts = new ArrayList<>();
    failures.forEach((k, v) -> parts.add(v + " x " + k.replace("|", "/")));
    return String.join("; ", parts);
  }

  private static String ejections(List<Long> nanos) {
    List<String> parts = new ArrayList<>();
    for (long n : nanos) {
      parts.add(f("%.1f ms", n / 1e6));
    }
    return parts.isEmpty() ? "-" : String.join(", ", parts);
  }

  private static String spread(List<Long> nanos) {
    if (nanos.isEmpty()) {
      return "-";
    }
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    return f("%.1f / %.1f ms", sorted.get((sorted.size() - 1) / 2) / 1e6,
        sorted.get(sorted.size() - 1) / 1e6);
  }

  private CategoryChart chart() {
    CategoryChart chart = new CategoryChartBuilder()
        .width(900)
        .height(520)
        .title(f("Client latency, 10 instances, one 10x slower (%d ms instead of %d; %,.0f req/s,"
            + " open loop)", 10 * options.serviceMs, options.serviceMs, options.rate))
        .xAxisTitle("strategy")
        .yAxisTitle("latency (ms)")
        .build();
    Styler styler = chart.getStyler();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setAvailableSpaceFill(0.8);
    chart.getStyler().setLabelsVisible(true);
    chart.getStyler().setLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridVerticalLinesVisible(false);
    chart.getStyler().setYAxisDecimalPattern("#0.#");
    styler.setSeriesColors(new Color[] {new Color(0x9ecae1), new Color(0x3182bd),
        new Color(0x08519c), new Color(0x74c476)});
    List<String> names = new ArrayList<>(LoadScenarios.STRATEGIES.keySet());
    List<Double> p50 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    List<Double> p999 = new ArrayList<>();
    List<Double> healthy = new ArrayList<>();
    for (String name : names) {
      OpenLoop.Result slow = config(name, true).merged;
      p50.add(round(slow.ms(0.5)));
      p99.add(round(slow.ms(0.99)));
      p999.add(round(slow.ms(0.999)));
      healthy.add(round(config(name, false).merged.ms(0.99)));
    }
    chart.addSeries("p50, one slow", names, p50);
    chart.addSeries("p99, one slow", names, p99);
    chart.addSeries("p99.9, one slow", names, p999);
    chart.addSeries("p99, all healthy", names, healthy);
    return chart;
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
