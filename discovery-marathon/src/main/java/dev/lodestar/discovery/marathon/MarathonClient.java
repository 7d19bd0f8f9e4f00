package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.internal.Checks;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Marathon's HTTP API at the level below {@link MarathonSource}, for programs that keep their own
 * view of Marathon (the per-host agent's mirror): GETs with the same URL failover, redirect
 * following, credentials and size limits as {@code MarathonSource}, and the {@code /v2/events}
 * stream split into events.
 *
 * <pre>{@code
 * MarathonClient client = MarathonClient.builder().urls("http://m1:8080", "http://m2:8080").build();
 * try (MarathonClient.Answer a = client.get("/v2/apps?embed=apps.tasks").join()) {
 *   JsonNode apps = mapper.readTree(a.body());
 * }
 * }</pre>
 *
 * <p><b>Failover.</b> Connect errors, timeouts and 5xx answers move on to the next URL; the URL
 * that answered last is tried first next time (REST and the event stream share this preference).
 * A redirect is followed once with the same headers (credentials are withheld from one that leads
 * from https to plain http). 401 and 403 fail at once with {@link
 * MarathonAuthenticationException}.
 *
 * <p>Credentials never appear in {@link #toString()}, logs or exceptions.
 *
 * <p>Thread safety: safe for concurrent use. An {@link EventStream} is read by one thread.
 */
public final class MarathonClient {
  private static final System.Logger LOG = System.getLogger(MarathonClient.class.getName());

  private final MarathonHttp http;
  private final int maxEventBytes;

  private MarathonClient(Builder b) {
    this.maxEventBytes = (int) Math.min(Integer.MAX_VALUE, b.maxResponseBytes);
    this.http = new MarathonHttp(b.urls,
        MarathonHttp.newClient(b.connectTimeout, b.sslContext), b.authorization, b.requestTimeout,
        b.maxResponseBytes);
  }

  /** Starts a builder; at least one URL is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The base URLs, in failover order. */
  public List<URI> urls() {
    return http.urls();
  }

  /**
   * The REST path of an app: {@code /v2/apps} followed by the app id with each segment
   * percent-encoded, e.g. {@code /v2/apps/group/app}.
   *
   * @throws IllegalArgumentException if {@code appId} does not start with {@code /}
   */
  public static String appPath(String appId) {
    if (appId == null || !appId.startsWith("/")) {
      throw new IllegalArgumentException("an app id starts with '/': " + appId);
    }
    StringBuilder sb = new StringBuilder("/v2/apps");
    for (String segment : appId.substring(1).split("/", -1)) {
      sb.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8)
          .replace("+", "%20"));
    }
    return sb.toString();
  }

  /**
   * GETs {@code pathAndQuery} (starting with {@code /}) from the first URL that answers without a
   * 5xx. Completes with the answer, whatever its status (the caller handles 404), or
   * exceptionally with {@link DiscoveryUnavailableException} naming every URL tried (its service
   * id is {@code "*"}) or {@link MarathonAuthenticationException}.
   */
  public CompletableFuture<Answer> get(String pathAndQuery) {
    Objects.requireNonNull(pathAndQuery, "pathAndQuery");
    return http.get(pathAndQuery, "*").thenApply(Answer::new);
  }

  @Override
  public String toString() {
    return "MarathonClient" + http.urls();
  }

  /**
   * One Marathon answer whose body has not been read yet. Close it (or read {@link #body()} to
   * its end and close that).
   *
   * <p>Thread safety: not thread-safe; one reader.
   */
  public static final class Answer implements AutoCloseable {
    private final MarathonHttp.Response response;

    private Answer(MarathonHttp.Response response) {
      this.response = response;
    }

    /** The HTTP status. */
    public int status() {
      return response.status;
    }

    /** The URL that answered (after a redirect, the target). */
    public URI uri() {
      return response.uri;
    }

    /**
     * The body as it arrives, gunzipped when Marathon compressed it; reading fails with an
     * {@link IOException} past the client's size limit.
     */
    public InputStream body() throws IOException {
      return response.body();
    }

    /** The start of the body as text for error messages (at most 200 characters); closes it. */
    public String excerpt() {
      return response.excerpt();
    }

    @Override
    public void close() {
      response.close();
    }
  }

  /**
   * One event of Marathon's stream.
   *
   * @param type the event type (the SSE {@code event:} name, or {@code eventType} of the JSON for
   *     Marathon 0.10 and older)
   * @param data the event's JSON, one line as Marathon sent it
   * @param appIds the apps the event concerns (app, run spec, deployment plan or posted
   *     definition), possibly empty
   */
  public record Event(String type, String data, List<String> appIds) {
    /** Copies {@code appIds}. */
    public Event {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(data, "data");
      appIds = List.copyOf(appIds);
    }
  }

  /**
   * Opens {@code /v2/events} with {@code query} (for example {@code plan-format=light}, or empty)
   * on the first URL that accepts it, following one redirect (a standby's 302 to the leader). Blocks
   * until the headers arrive.
   *
   * @throws MarathonAuthenticationException on 401 or 403
   * @throws IOException if no URL accepted the stream (the message names every URL tried)
   * @throws InterruptedException if interrupted while connecting
   */
  public EventStream openEventStream(String query) throws IOException, InterruptedException {
    String pathAndQuery = query == null || query.isEmpty() ? "/v2/events" : "/v2/events?" + query;
    return new EventStream(http.connectEventStream(pathAndQuery, "*", () -> false),
        maxEventBytes);
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException | RuntimeException ignored) {
      // best effort: the connection is abandoned either way
    }
  }

  /**
   * An open {@code /v2/events} stream. {@link #next()} blocks for the next event; {@link #close()}
   * from any thread ends a blocked {@code next()}.
   *
   * <p>Thread safety: {@link #next()} from one thread; {@link #close()} and {@link
   * #nanosSinceLastByte()} from any.
   */
  public static final class EventStream implements AutoCloseable {
    private final URI uri;
    private final InputStream raw;
    private final ActivityInputStream activity;
    private final SseReader reader;

    private EventStream(HttpResponse<InputStream> response, int maxEventBytes) {
      this.uri = response.uri();
      this.raw = response.body();
      this.activity = new ActivityInputStream(raw);
      this.reader = new SseReader(new BufferedInputStream(activity, 8192), maxEventBytes);
    }

    /** The URL that accepted the stream. */
    public URI uri() {
      return uri;
    }

    /**
     * Blocks until the next well-formed event and returns it, or returns {@code null} when the
     * stream ends. An event whose data is not a JSON object is skipped with a logged reason.
     *
     * @throws IOException if reading fails (closed, reset, an event over the size limit)
     */
    public Event next() throws IOException {
      SseReader.Event e;
      while ((e = reader.next()) != null) {
        try {
          MarathonEvent decoded = MarathonEvent.decode(e.name(), e.data());
          return new Event(decoded.type(), e.data(), decoded.appIds());
        } catch (IOException bad) {
          LOG.log(Level.WARNING, "{0}: skipping an unreadable event: {1}", uri.getRawAuthority(),
              bad.getMessage());
        }
      }
      return null;
    }

    /** Nanoseconds since bytes (heartbeats included) last arrived. */
    public long nanosSinceLastByte() {
      return activity.nanosSinceLastByte();
    }

    /** Closes the connection. Idempotent. */
    @Override
    public void close() {
      closeQuietly(raw);
    }
  }

  /**
   * Configures a {@link MarathonClient}. Setters validate their argument at once and throw
   * {@link IllegalArgumentException} for a bad one; defaults are {@link MarathonSource.Builder}'s.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final List<URI> urls = new ArrayList<>();
    private Supplier<String> authorization;
    private SSLContext sslContext;
    private Duration connectTimeout = MarathonSource.Builder.DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = MarathonSource.Builder.DEFAULT_REQUEST_TIMEOUT;
    private long maxResponseBytes = MarathonSource.Builder.DEFAULT_MAX_RESPONSE_BYTES;

    private Builder() {}

    /**
     * Adds a Marathon base URL (absolute http(s), no credentials, query or fragment), tried in
     * the order added. A JVM on an agent host may list the agent's relay first and Marathon after
     * it.
     */
    public Builder url(String url) {
      // MarathonSource.Builder holds the one URL rule; reuse it rather than repeat it.
      MarathonSource.builder().url(url);
      urls.add(URI.create(url.trim()));
      return this;
    }

    /** Adds several base URLs in order; see {@link #url(String)}. */
    public Builder urls(String... urls) {
      for (String u : urls) {
        url(u);
      }
      return this;
    }

    /** Sends HTTP basic credentials; replaces a token. */
    public Builder basicAuth(String user, String password) {
      this.authorization = MarathonHttp.basicAuth(user, password);
      return this;
    }

    /** Sends a DC/OS ACS token as {@code Authorization: token=...}; replaces basic auth. */
    public Builder dcosToken(String token) {
      this.authorization = MarathonHttp.dcosToken(token);
      return this;
    }

    /** TLS settings for https URLs (default: the JDK's default context). */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /** Bound on opening a connection (default 3 s). */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Checks.positive(timeout, "connectTimeout");
      return this;
    }

    /** Bound on one request until its headers arrive (default 30 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Checks.positive(timeout, "requestTimeout");
      return this;
    }

    /** Bodies and single events larger than this after decompression fail (default 256 MiB). */
    public Builder maxResponseBytes(long bytes) {
      this.maxResponseBytes = MarathonHttp.checkMaxResponseBytes(bytes);
      return this;
    }

    /**
     * Builds the client; it does no I/O until used.
     *
     * @throws IllegalStateException if no URL was given
     */
    public MarathonClient build() {
      if (urls.isEmpty()) {
        throw new IllegalStateException("at least one Marathon URL is required");
      }
      return new MarathonClient(this);
    }

    @Override
    public String toString() {
      return "MarathonClient.Builder{urls=" + urls + ", auth="
          + (authorization == null ? "none" : "(set)") + "}";
    }
  }
}
