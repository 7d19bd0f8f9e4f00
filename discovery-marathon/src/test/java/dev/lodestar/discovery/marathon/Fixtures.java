package dev.lodestar.discovery.marathon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds and reads the upstream fixture files copied into the repository's {@code testdata/}. */
final class Fixtures {
  private Fixtures() {}

  /** The repository's {@code testdata/}: system property {@code lodestar.testdata}, else {@code ../testdata}. */
  static Path testdata() {
    String prop = System.getProperty("lodestar.testdata");
    Path p = prop != null ? Path.of(prop) : Path.of("..", "testdata");
    if (!Files.isDirectory(p.resolve("marathon"))) {
      throw new IllegalStateException("testdata not found at " + p.toAbsolutePath());
    }
    return p;
  }

  /** The bytes of {@code testdata/<relative>}, unchanged. */
  static byte[] bytes(String relative) {
    try {
      return Files.readAllBytes(testdata().resolve(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(String relative) {
    return new String(bytes(relative), StandardCharsets.UTF_8);
  }

  /**
   * The legacy {@code .jsonc} fixture with its {@code //} comments removed (the fixture README
   * says to). Comments start at {@code //} outside strings and run to the end of the line.
   */
  static byte[] withoutLineComments(String relative) {
    StringBuilder out = new StringBuilder();
    for (String line : text(relative).split("\n", -1)) {
      boolean inString = false;
      int cut = line.length();
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c == '"' && (i == 0 || line.charAt(i - 1) != '\\')) {
          inString = !inString;
        } else if (!inString && c == '/' && i + 1 < line.length() && line.charAt(i + 1) == '/') {
          cut = i;
          break;
        }
      }
      out.append(line, 0, cut).append('\n');
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }
}
