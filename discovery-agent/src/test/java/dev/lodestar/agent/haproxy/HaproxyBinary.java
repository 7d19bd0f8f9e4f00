package dev.lodestar.agent.haproxy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds Debian's {@code haproxy} on the PATH. Without it a test fails with a clear message when
 * the {@code CI} environment variable is set ({@code .ci/run} installs it) and is skipped with the
 * same message otherwise.
 */
final class HaproxyBinary {
  private HaproxyBinary() {}

  static String require() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : new String[] {"haproxy"}) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p.toString();
        }
      }
    }
    for (String fixed : new String[] {"/usr/sbin/haproxy", "/usr/local/sbin/haproxy"}) {
      if (Files.isExecutable(Path.of(fixed))) {
        return fixed;
      }
    }
    String message = "haproxy is not installed (apt-get install haproxy); the HAProxy bridge"
        + " tests need a real HAProxy";
    if (System.getenv("CI") != null) {
      fail(message);
    }
    Assumptions.abort(message);
    return null;
  }
}
