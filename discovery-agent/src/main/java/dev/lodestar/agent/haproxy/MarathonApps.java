package dev.lodestar.agent.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lodestar.agent.marathon.AppDefinition;
import dev.lodestar.agent.marathon.InvalidAppException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads the app definitions from Marathon's {@code GET /v2/apps}, trying each URL in order. The
 * tasks are not read here: their routability comes from the resolver ({@link
 * ResolverServerLookup}).
 *
 * <p>Thread safety: immutable; safe for concurrent use.
 */
final class MarathonApps {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<URI> urls;
  private final String authorization;
  private final HttpClient http;

  /** The apps read, and why some were left out. */
  record Listing(List<AppDefinition> apps, List<String> problems) {}

  /**
   * @param urls Marathon base URLs
   * @param credentials {@code user:password} for HTTP Basic auth, or {@code null}
   */
  MarathonApps(List<String> urls, String credentials) {
    this.urls = new ArrayList<>();
    for (String u : urls) {
      String base = u.trim();
      this.urls.add(URI.create(base.endsWith("/") ? base : base + "/"));
    }
    this.authorization = credentials == null ? null : "Basic " + Base64.getEncoder()
        .encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  }

  /**
   * Lists the apps; an invalid app is left out with its reason in {@link Listing#problems()}.
   *
   * @throws IOException when no URL gives a readable answer (the last failure)
   */
  Listing list() throws IOException, InterruptedException {
    IOException last = null;
    for (URI base : urls) {
      HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve("v2/apps"))
          .timeout(Duration.ofSeconds(30)).header("Accept", "application/json");
      if (authorization != null) {
        req.header("Authorization", authorization);
      }
      try {
        HttpResponse<byte[]> r = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
          last = new IOException("HTTP " + r.statusCode() + " from " + r.uri());
          continue;
        }
        return parse(JSON.readTree(r.body()));
      } catch (IOException e) {
        last = new IOException(base + ": " + e.getMessage(), e);
      }
    }
    throw last != null ? last : new IOException("no Marathon URL");
  }

  /** Parses an {@code {"apps":[...]}} document. */
  static Listing parse(JsonNode doc) throws IOException {
    JsonNode apps = doc == null ? null : doc.get("apps");
    if (apps == null || !apps.isArray()) {
      throw new IOException("not a Marathon /v2/apps answer: no apps array");
    }
    List<AppDefinition> out = new ArrayList<>(apps.size());
    List<String> problems = new ArrayList<>();
    for (JsonNode a : apps) {
      try {
        out.add(AppDefinition.parse(a));
      } catch (InvalidAppException e) {
        problems.add(e.getMessage() + "; app skipped");
      }
    }
    return new Listing(out, problems);
  }
}
