package dev.lodestar.benchmarks.marathon;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.marathon.ParseProbe;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Parsing a synthetic {@code /v2/apps?embed=apps.tasks} (10,000 apps, 100,000 tasks, about 90
 * MB) and building one {@link ServiceSnapshot} per app, against a plain Jackson streaming pass
 * over the same bytes (every token read, nothing kept): the floor any JSON reader pays.
 *
 * <ul>
 *   <li>{@code jacksonTokenPass}: baseline, {@code nextToken()} to the end; allocates almost
 *       nothing, so it is the time floor.
 *   <li>{@code jacksonTextPass}: baseline that also materializes every string and int value
 *       ({@code getText()}, {@code getIntValue()}), the allocation floor of a reader that keeps
 *       values.
 *   <li>{@code parse}: the Marathon parser alone ({@code ParseProbe.parse}) (the fields discovery keeps).
 *   <li>{@code parseAndBuildSnapshots}: parse, apply the health policy and port rules, build
 *       every {@link Instance} and snapshot (what a full resync does).
 *   <li>{@code parseWatchedAndBuild}: the same body when only {@code watched} apps (spread over
 *       the list) are watched: the parser skips the other apps' tasks unread and builds the
 *       watched apps' snapshots (what the source does when a label-selected read comes back
 *       with every app, from a Marathon that ignores the selector).
 * </ul>
 *
 * <p>Run (from the repository root, after {@code mvn -pl benchmarks -am package -DskipTests}):
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar MarathonParseBenchmark -f 1 -wi 3 -i 5 -prof gc
 * </pre>
 *
 * <p>Compare {@code gc.alloc.rate.norm} (bytes per operation) and the time per operation of the
 * three methods; they run in the same JVM on the same bytes.
 *
 * <p>The fork pre-touches its fixed 2 GB heap ({@code -XX:+AlwaysPreTouch}). Without it, G1 grows
 * the young generation to about 1.2 GB after the first seconds, and the first pass through that
 * new memory pays a page fault per 4 KB page (on this project's VMs, a 1.2 GB pass took the
 * allocating benchmarks from about 330 to about 700 ms per operation for some ten seconds). A
 * long-running service touches its heap pages once in its life, not on every resync, so the
 * pre-touched figure is the steady-state one; it changes nothing for the token pass, which
 * allocates nothing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class MarathonParseBenchmark {
  private static final JsonFactory JSON = new JsonFactory();

  @Param({"10000"})
  public int apps;

  @Param({"10"})
  public int tasksPerApp;

  @Param({"10"})
  public int watched;

  private byte[] body;
  private Set<String> watchedIds;
  private ParseProbe.Mapper mapper;

  @Setup
  public void setUp() throws IOException {
    body = SyntheticApps.appsWithTasks(apps, tasksPerApp, 42);
    mapper = new ParseProbe.Mapper();
    int instances = mapper.build(ParseProbe.parse(body)).stream()
        .mapToInt(s -> s.instances().size()).sum();
    if (instances != apps * tasksPerApp) {
      throw new IllegalStateException("expected " + apps * tasksPerApp + " instances, built "
          + instances);
    }
    watchedIds = new HashSet<>();
    for (int i = 0; i < watched; i++) {
      watchedIds.add(SyntheticApps.appId(i * (apps / watched)));
    }
    int built = mapper.build(ParseProbe.parseWatched(body, watchedIds)).size();
    if (built != watched) {
      throw new IllegalStateException("expected " + watched + " watched apps, built " + built);
    }
  }

  @Benchmark
  public long jacksonTokenPass() throws IOException {
    long tokens = 0;
    try (JsonParser p = JSON.createParser(body)) {
      while (p.nextToken() != null) {
        tokens++;
      }
    }
    return tokens;
  }

  @Benchmark
  public long jacksonTextPass(Blackhole bh) throws IOException {
    long tokens = 0;
    try (JsonParser p = JSON.createParser(body)) {
      for (JsonToken t; (t = p.nextToken()) != null; ) {
        if (t == JsonToken.VALUE_STRING) {
          bh.consume(p.getText());
        } else if (t == JsonToken.VALUE_NUMBER_INT) {
          bh.consume(p.getIntValue());
        }
        tokens++;
      }
    }
    return tokens;
  }

  @Benchmark
  public Object parse() throws IOException {
    return ParseProbe.parse(body);
  }

  @Benchmark
  public void parseAndBuildSnapshots(Blackhole bh) throws IOException {
    for (ServiceSnapshot s : mapper.build(ParseProbe.parse(body))) {
      bh.consume(s);
    }
  }

  @Benchmark
  public void parseWatchedAndBuild(Blackhole bh) throws IOException {
    for (ServiceSnapshot s : mapper.build(ParseProbe.parseWatched(body, watchedIds))) {
      bh.consume(s);
    }
  }

  /** The body size, for the write-up. */
  public static void main(String[] args) throws IOException {
    byte[] b = SyntheticApps.appsWithTasks(10_000, 10, 42);
    System.out.println("synthetic body: " + b.length + " bytes");
  }
}
