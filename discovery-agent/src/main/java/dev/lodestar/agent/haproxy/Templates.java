package dev.lodestar.agent.haproxy;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheException;
import com.github.mustachejava.MustacheResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The Mustache templates the config is rendered from (mustache.java). The built-in set lives on
 * the classpath under {@code dev/lodestar/agent/haproxy/templates/}: {@code haproxy.cfg.mustache}
 * includes the partials {@code global}, {@code http_frontend}, {@code https_frontend}, {@code
 * frontend} and {@code backend}. A file of the same name in the override directory replaces the
 * built-in one, as marathon-lb's {@code templates/} directory does. Values are inserted as they
 * are (no HTML escaping); the model only holds validated values.
 *
 * <p>Thread safety: immutable after construction; {@link #render} is safe for concurrent use.
 */
final class Templates {
  /** Every template name, for documentation and for {@code --dump-templates}. */
  static final List<String> NAMES = List.of("haproxy.cfg", "global", "http_frontend",
      "https_frontend", "frontend", "backend");
  private static final String CLASSPATH_DIR = "dev/lodestar/agent/haproxy/templates/";
  private static final String MAIN = "haproxy.cfg.mustache";

  private final Mustache main;

  /**
   * Compiles the templates.
   *
   * @param overrides a directory of replacement templates, or {@code null}
   * @throws IllegalArgumentException when a template does not compile (names the file and line)
   */
  Templates(Path overrides) {
    MustacheResolver resolver = name -> open(overrides, name);
    DefaultMustacheFactory factory = new DefaultMustacheFactory(resolver) {
      @Override
      public void encode(String value, Writer writer) {
        try {
          writer.write(value);
        } catch (IOException e) {
          throw new MustacheException("cannot write", e);
        }
      }
    };
    try {
      main = factory.compile(MAIN);
    } catch (MustacheException e) {
      throw new IllegalArgumentException("HAProxy template error: " + e.getMessage(), e);
    }
  }

  /** The built-in text of template {@code name} (without {@code .mustache}). */
  static String builtIn(String name) {
    try (Reader r = open(null, name + ".mustache")) {
      StringWriter w = new StringWriter();
      r.transferTo(w);
      return w.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Reader open(Path overrides, String name) {
    try {
      if (overrides != null) {
        Path p = overrides.resolve(name);
        if (Files.isRegularFile(p)) {
          return Files.newBufferedReader(p, StandardCharsets.UTF_8);
        }
      }
      InputStream in = Templates.class.getClassLoader().getResourceAsStream(CLASSPATH_DIR + name);
      return in == null ? null : new InputStreamReader(in, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read template " + name, e);
    }
  }

  /** Renders the config text of {@code model}. */
  String render(ConfigModel model) {
    StringWriter out = new StringWriter(4096);
    main.execute(out, model);
    return out.toString();
  }
}
