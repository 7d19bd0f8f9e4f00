package dev.lodestar.agent.marathon;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The upstream fixtures in the repository's {@code testdata/} (system property {@code
 * lodestar.testdata}, set by the parent pom), read as Jackson trees.
 */
public final class MarathonFixtures {
  /** Reads JSON and the legacy {@code .jsonc} fixture (its {@code //} comments are skipped). */
  public static final JsonMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
      .build();

  private MarathonFixtures() {}

  /** The repository's {@code testdata/} folder. */
  public static Path testdata() {
    String prop = System.getProperty("lodestar.testdata");
    Path p = prop != null ? Path.of(prop) : Path.of("..", "testdata");
    if (!Files.isDirectory(p.resolve("marathon"))) {
      throw new IllegalStateException("testdata not found at " + p.toAbsolutePath());
    }
    return p;
  }

  /** The tree of {@code testdata/<relative>}. */
  public static JsonNode tree(String relative) {
    try {
      return JSON.readTree(testdata().resolve(relative).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The app objects of a document: {@code apps[]} ({@code /v2/apps}), {@code app} ({@code
   * /v2/apps/{id}}), or the document itself when it is an app definition (it has an {@code id}).
   */
  public static List<JsonNode> appNodes(JsonNode doc) {
    List<JsonNode> out = new ArrayList<>();
    if (doc.has("apps")) {
      doc.get("apps").forEach(out::add);
    } else if (doc.has("app")) {
      out.add(doc.get("app"));
    } else if (doc.has("id") && !doc.has("eventType")) {
      out.add(doc);
    }
    return out;
  }

  /** Every Marathon and marathon-lb fixture (relative paths) that holds at least one app. */
  public static List<String> appFixtures() {
    List<String> out = new ArrayList<>();
    for (String dir : List.of("marathon", "marathon-lb")) {
      try (Stream<Path> files = Files.list(testdata().resolve(dir))) {
        files.map(f -> dir + "/" + f.getFileName())
            .filter(f -> f.endsWith(".json") || f.endsWith(".jsonc"))
            .sorted()
            .filter(f -> !appNodes(tree(f)).isEmpty())
            .forEach(out::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }
}
