package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The package-private parser and mapper, for the benchmarks module (which gets this class from
 * discovery-marathon's test-jar, so that no benchmark class sits in this package): parse a
 * {@code GET /v2/apps?embed=apps.tasks} body, and build every app's snapshot the way the source
 * does with the default health policy.
 *
 * <p>Thread safety: {@link #parse} is safe for concurrent use; a {@link Mapper} is not.
 */
public final class ParseProbe {
  private ParseProbe() {}

  /** Parses a body; the result is opaque outside this package (pass it to {@link Mapper}). */
  public static Object parse(byte[] body) throws IOException {
    return MarathonParser.parse(body);
  }

  /**
   * Parses a body reading only the tasks of the apps in {@code watched}; the others are skipped
   * unread and left out, as the source does when a label-selected read returns every app.
   */
  public static Object parseWatched(byte[] body, Set<String> watched) throws IOException {
    return MarathonParser.parse(body, (id, labels) -> watched.contains(id));
  }

  /** The id of the document's first app. */
  public static String firstAppId(Object document) {
    return ((MarathonParser.Document) document).apps().get(0).id();
  }

  /** Builds snapshots from parsed documents, reusing one mapper (default policy, first port). */
  public static final class Mapper {
    private final InstanceMapper mapper =
        new InstanceMapper(MarathonHealthPolicy.ofDefaults(), 0, null, 0);
    private final Set<String> seen = new HashSet<>();

    /** One snapshot per app of {@code document}. */
    public List<ServiceSnapshot> build(Object document) {
      MarathonParser.Document doc = (MarathonParser.Document) document;
      List<ServiceSnapshot> out = new ArrayList<>(doc.apps().size());
      for (MarathonApp app : doc.apps()) {
        seen.clear();
        List<Instance> instances = mapper.map(app.id(), app, 0, seen, new ArrayList<>());
        out.add(ServiceSnapshot.of(app.id(), instances, "marathon[bench]"));
      }
      return out;
    }
  }
}
