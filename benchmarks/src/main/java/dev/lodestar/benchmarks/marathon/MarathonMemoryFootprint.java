package dev.lodestar.benchmarks.marathon;

import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.marathon.ParseProbe;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;

/**
 * Memory held per instance once the snapshots of 10,000 apps / 100,000 tasks are built: the
 * retained heap of the snapshots, measured as the used-heap delta after full GCs with and without
 * them reachable (the request body and the parsed document are dropped before measuring, as the
 * source drops them) and, separately, with the parsed apps kept too (the source keeps the parsed
 * app of each watched service to apply events to it). Labels are copied per instance by the core
 * {@link Instance}, so they count.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar -Xmx2g -XX:+UseSerialGC \
 *     dev.lodestar.benchmarks.marathon.MarathonMemoryFootprint
 * </pre>
 */
public final class MarathonMemoryFootprint {
  private MarathonMemoryFootprint() {}

  public static void main(String[] args) throws IOException {
    int apps = 10_000;
    int tasksPerApp = 10;
    long before = usedAfterGc();
    Built held = build(apps, tasksPerApp);
    long withParsed = usedAfterGc();
    int instances = held.snapshots.stream().mapToInt(s -> s.instances().size()).sum();
    String check = ParseProbe.firstAppId(held.document);
    held.document = null;
    long snapshotsOnly = usedAfterGc();
    System.out.printf("instances: %d%n", instances);
    System.out.printf("snapshots only: %,d bytes, %,d bytes per instance%n",
        snapshotsOnly - before, (snapshotsOnly - before) / instances);
    System.out.printf("snapshots + parsed apps (what MarathonSource keeps for watched apps):"
        + " %,d bytes, %,d bytes per instance%n", withParsed - before,
        (withParsed - before) / instances);
    // Keep the snapshots reachable until after the measurement.
    System.out.println("(check " + check + " "
        + held.snapshots.get(held.snapshots.size() - 1).instances().get(0).address() + ")");
  }

  private static final class Built {
    Object document;
    List<ServiceSnapshot> snapshots;
  }

  private static Built build(int apps, int tasksPerApp) throws IOException {
    byte[] body = SyntheticApps.appsWithTasks(apps, tasksPerApp, 42);
    Object doc = ParseProbe.parse(body);
    List<ServiceSnapshot> out = new ParseProbe.Mapper().build(doc);
    Built b = new Built();
    b.document = doc;
    b.snapshots = out;
    return b;
  }

  private static long usedAfterGc() {
    MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
