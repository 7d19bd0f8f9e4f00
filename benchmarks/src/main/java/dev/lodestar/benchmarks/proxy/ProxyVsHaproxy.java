package dev.lodestar.benchmarks.proxy;

import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code lodestar proxy} against HAProxy (Debian's package) in the same run, on the same loopback
 * backends: a 1 KB request / 1 KB response over 64 persistent connections, and over a new
 * connection per request. Reports requests/s, p50/p99 latency and the latency each proxy adds over
 * a direct connection to the backends, plus CPU time per request of each proxy process.
 *
 * <pre>
 * mvn -q -B -pl discovery-agent,benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.lodestar.benchmarks.proxy.ProxyVsHaproxy \
 *     [seconds-per-run=4] [rounds=3] [workers=64]
 * </pre>
 *
 * <p>Both proxies get the same two echo backends, least-connections balancing and their default
 * thread count (one per core). Runs interleave the three targets (direct, Lodestar, HAProxy) round
 * by round, rotating the order, so that load from other processes hits all three alike. {@code
 * benchmarks/scripts/proxy-vs-haproxy.sh} installs HAProxy, builds and runs this.
 */
public final class ProxyVsHaproxy {
  private ProxyVsHaproxy() {}

  /** A place to send the load: a port list and the process whose CPU time is measured. */
  private record Target(String name, int[] ports, ProcessHandle process) {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 4;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int workers = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    Path jar = Paths.get(System.getProperty("lodestar.jar", "discovery-agent/target/lodestar.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: mvn -pl discovery-agent -am package");
    }
    List<Process> processes = new ArrayList<>();
    try (EchoServer a = new EchoServer(); EchoServer b = new EchoServer();
        FakeMarathon marathon = new FakeMarathon()) {
      marathon.heartbeat(Duration.ofSeconds(5));
      int lodestarPort = freePort();
      int haproxyPort = freePort();
      marathon.putApp("/bench", app(lodestarPort, a.port(), b.port()));

      List<String> cmd = new ArrayList<>(List.of(javaBin()));
      String jvmArgs = System.getProperty("lodestar.jvmArgs", "");
      if (!jvmArgs.isBlank()) {
        cmd.addAll(List.of(jvmArgs.trim().split("\\s+")));
      }
      cmd.addAll(List.of("-jar", jar.toString(), "proxy", "--marathon", marathon.url(),
          "--port", lodestarPort + "=/bench", "--admin-port", String.valueOf(freePort())));
      Process lodestar = new ProcessBuilder(cmd)
          .redirectErrorStream(true).redirectOutput(Paths.get("target", "bench-lodestar.log")
              .toFile()).start();
      processes.add(lodestar);
      Path cfg = Files.createTempFile("bench-haproxy", ".cfg");
      Files.writeString(cfg, haproxyConfig(haproxyPort, a.port(), b.port()));
      Process haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString())
          .redirectErrorStream(true).redirectOutput(Paths.get("target", "bench-haproxy.log")
              .toFile()).start();
      processes.add(haproxy);
      awaitEcho(lodestarPort);
      awaitEcho(haproxyPort);

      List<Target> targets = List.of(
          new Target("direct", new int[] {a.port(), b.port()}, null),
          new Target("lodestar", new int[] {lodestarPort}, lodestar.toHandle()),
          new Target("haproxy", new int[] {haproxyPort}, haproxy.toHandle()));
      System.out.printf(Locale.ROOT, "# %d workers, %d rounds x %.1f s per target, %s, %d cores%n",
          workers, rounds, seconds, Runtime.version(), Runtime.getRuntime().availableProcessors());
      // Warm-up (the JIT compiles the proxy's hot paths), not measured.
      for (Target t : targets.subList(1, 3)) {
        LoadClient.run(t.ports(), workers, true, 4);
        LoadClient.run(t.ports(), workers, false, 4);
      }
      for (boolean persistent : new boolean[] {true, false}) {
        report(persistent ? "1 KB request/response, 64 persistent connections"
            : "1 KB request/response, new connection per request",
            measure(targets, workers, persistent, seconds, rounds));
      }
    } finally {
      for (Process p : processes) {
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  /** What one target did over all rounds of one workload. */
  private static final class Totals {
    final List<Double> rates = new ArrayList<>();
    final List<long[]> samples = new ArrayList<>();
    long requests;
    long errors;
    double cpuSeconds;
    double[] merged;

    double medianRate() {
      List<Double> r = new ArrayList<>(rates);
      r.sort(null);
      return r.get(r.size() / 2);
    }

    double quantileMicros(double q) {
      if (merged == null) {
        int n = samples.stream().mapToInt(s -> s.length).sum();
        merged = new double[n];
        int at = 0;
        for (long[] s : samples) {
          for (long v : s) {
            merged[at++] = v / 1000.0;
          }
        }
        java.util.Arrays.sort(merged);
      }
      int i = (int) Math.min(merged.length - 1, Math.ceil(q * merged.length) - 1);
      return merged[Math.max(i, 0)];
    }
  }

  private static Map<String, Totals> measure(List<Target> targets, int workers,
      boolean persistent, double seconds, int rounds) throws InterruptedException {
    Map<String, Totals> totals = new LinkedHashMap<>();
    targets.forEach(t -> totals.put(t.name(), new Totals()));
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < targets.size(); k++) {
        Target t = targets.get((k + round) % targets.size());
        double cpu0 = cpuSeconds(t.process());
        LoadClient.Result r = LoadClient.run(t.ports(), workers, persistent, seconds);
        Totals s = totals.get(t.name());
        s.cpuSeconds += cpuSeconds(t.process()) - cpu0;
        s.rates.add(r.perSecond());
        s.samples.add(r.latenciesNanos());
        s.requests += r.requests();
        s.errors += r.errors();
        System.out.printf(Locale.ROOT, "  round %d %-8s %9.0f req/s  p50 %7.1f us  p99 %8.1f us"
            + "  errors %d%n", round + 1, t.name(), r.perSecond(), r.quantileMicros(0.5),
            r.quantileMicros(0.99), r.errors());
      }
    }
    return totals;
  }

  private static void report(String title, Map<String, Totals> totals) {
    Totals direct = totals.get("direct");
    double d50 = direct.quantileMicros(0.5);
    double d99 = direct.quantileMicros(0.99);
    System.out.println();
    System.out.println("### " + title);
    System.out.println();
    System.out.println("| target | requests/s (median of rounds) | p50 us | p99 us | added p50 us"
        + " | added p99 us | proxy CPU us/request | errors |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    totals.forEach((name, s) -> {
      double p50 = s.quantileMicros(0.5);
      double p99 = s.quantileMicros(0.99);
      boolean isDirect = name.equals("direct");
      System.out.printf(Locale.ROOT, "| %s | %.0f | %.1f | %.1f | %s | %s | %s | %d |%n", name,
          s.medianRate(), p50, p99, isDirect ? "-" : String.format(Locale.ROOT, "%.1f", p50 - d50),
          isDirect ? "-" : String.format(Locale.ROOT, "%.1f", p99 - d99),
          isDirect ? "-" : String.format(Locale.ROOT, "%.1f", s.cpuSeconds * 1e6 / s.requests),
          s.errors);
    });
    Totals l = totals.get("lodestar");
    Totals h = totals.get("haproxy");
    System.out.printf(Locale.ROOT, "%nlodestar / haproxy: throughput %.2fx, added p50 %.2fx,"
        + " added p99 %.2fx%n", l.medianRate() / h.medianRate(),
        (l.quantileMicros(0.5) - d50) / (h.quantileMicros(0.5) - d50),
        (l.quantileMicros(0.99) - d99) / (h.quantileMicros(0.99) - d99));
  }

  private static double cpuSeconds(ProcessHandle p) {
    if (p == null) {
      return 0;
    }
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L) / 1e9;
  }

  static String haproxyConfig(int port, int backendA, int backendB) {
    return String.join("\n",
        "global",
        "  maxconn 8000",
        "defaults",
        "  mode tcp",
        "  timeout connect 1s",
        "  timeout client 5m",
        "  timeout server 5m",
        "frontend bench",
        "  bind 127.0.0.1:" + port,
        "  default_backend app",
        "backend app",
        "  balance leastconn",
        "  server a 127.0.0.1:" + backendA,
        "  server b 127.0.0.1:" + backendB,
        "");
  }

  private static String app(int servicePort, int portA, int portB) {
    StringBuilder sb = new StringBuilder("{\"id\":\"/bench\",\"instances\":2,\"portDefinitions\":"
        + "[{\"port\":" + servicePort + ",\"protocol\":\"tcp\"}],\"healthChecks\":[],\"tasks\":[");
    int[] ports = {portA, portB};
    for (int i = 0; i < 2; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"id\":\"bench.t").append(i)
          .append("\",\"appId\":\"/bench\",\"host\":\"127.0.0.1\",\"ports\":[").append(ports[i])
          .append("],\"state\":\"TASK_RUNNING\"}");
    }
    return sb.append("]}").toString();
  }

  private static void awaitEcho(int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        s.setSoTimeout(5000);
        s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[4];
        int got = 0;
        while (got < 4) {
          int r = s.getInputStream().read(buf, got, 4 - got);
          if (r < 0) {
            throw new IOException("closed");
          }
          got += r;
        }
        return;
      } catch (IOException e) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("nothing answers on port " + port, e);
        }
        Thread.sleep(200);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String javaBin() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }
}
