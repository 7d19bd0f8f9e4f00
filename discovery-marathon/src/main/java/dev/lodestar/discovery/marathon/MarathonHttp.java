package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.Failover;
import dev.lodestar.discovery.internal.Futures;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;

/**
 * GETs from a list of Marathon URLs with failover: connect errors, timeouts and 5xx answers (502
 * and 503 mean "no leader") move on to the next URL; the URL that answered last is tried first next
 * time. A redirect is followed once (a standby's redirect to the leader), with the same headers and
 * credentials, except that credentials never follow a redirect from https to plain http: they would
 * cross the network in the clear. 401 and 403 fail at once with {@link
 * MarathonAuthenticationException}. Bodies are not buffered: the caller parses them as they arrive,
 * and reading fails past a byte limit (after decompression; a larger {@code Content-Length} is
 * refused before reading).
 *
 * <p>Thread safety: safe for concurrent use.
 */
final class MarathonHttp {
  private static final System.Logger LOG = System.getLogger(MarathonSource.class.getName());
  private final List<URI> urls;
  private final HttpClient client;
  private final Supplier<String> authorization;
  private final Duration requestTimeout;
  private final long maxBytes;
  private final Failover failover;

  MarathonHttp(List<URI> urls, HttpClient client, Supplier<String> authorization,
      Duration requestTimeout, long maxBytes) {
    this.urls = List.copyOf(urls);
    this.client = client;
    this.authorization = authorization;
    this.requestTimeout = requestTimeout;
    this.maxBytes = maxBytes;
    this.failover = new Failover(this.urls.size(), 1);
  }

  /**
   * The client every Marathon reader builds when none is shared: HTTP/1.1 (Marathon's event
   * stream is plain chunked HTTP/1.1), redirects not followed (a standby's redirect to the leader
   * is handled per request, so that credentials can be withheld from an https-to-http one).
   */
  static HttpClient newClient(Duration connectTimeout, SSLContext sslContext) {
    HttpClient.Builder b = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(connectTimeout);
    if (sslContext != null) {
      b.sslContext(sslContext);
    }
    return b.build();
  }

  /** The bound on {@code maxResponseBytes} of every builder: 1 KiB to 2 GiB. */
  static long checkMaxResponseBytes(long bytes) {
    if (bytes < 1024 || bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("maxResponseBytes must be in 1 KiB..2 GiB, was "
          + bytes);
    }
    return bytes;
  }

  /**
   * An answer from one Marathon node whose body has not been read yet: the caller reads it with
   * {@link #body()} (streaming) and must close it, or calls {@link #close()}.
   */
  static final class Response implements AutoCloseable {
    final int status;
    final URI uri;
    /** The Content-Type header, or null. */
    final String contentType;
    private final InputStream raw;
    private final boolean gzip;
    private final long maxBytes;
    private LimitedInputStream body;

    Response(int status, URI uri, InputStream raw, boolean gzip, long maxBytes) {
      this(status, uri, null, raw, gzip, maxBytes);
    }

    Response(int status, URI uri, String contentType, InputStream raw, boolean gzip,
        long maxBytes) {
      this.status = status;
      this.uri = uri;
      this.contentType = contentType;
      this.raw = raw;
      this.gzip = gzip;
      this.maxBytes = maxBytes;
    }

    /** The body as it arrives, decompressed if needed, failing past the size limit. */
    InputStream body() throws IOException {
      InputStream in = gzip ? new GZIPInputStream(raw, 8192) : raw;
      body = new LimitedInputStream(in, maxBytes);
      return body;
    }

    /**
     * Whether the answer cannot be Marathon's: a Content-Type other than JSON, or a body whose
     * first bytes read so far (by a parser that then failed) are not the start of a JSON document.
     */
    boolean notJson() {
      if (contentType != null && !isJson(contentType)) {
        return true;
      }
      String head = body == null ? "" : body.head().stripLeading();
      return !head.isEmpty() && head.charAt(0) != '{' && head.charAt(0) != '[';
    }

    /**
     * {@code not a Marathon API response (content type ..., first bytes "...") from <url>}; the
     * first bytes are those a failed parse read, else read now (closing the body).
     */
    String notMarathon() {
      String head = body != null ? body.head() : excerpt();
      head = head.replaceAll("\\s+", " ").trim();
      if (head.length() > 60) {
        head = head.substring(0, 60) + "...";
      }
      return "not a Marathon API response (HTTP " + status + ", content type "
          + (contentType == null ? "none" : contentType) + ", first bytes \"" + head
          + "\") from " + uri;
    }

    private static boolean isJson(String contentType) {
      String type = contentType.toLowerCase(java.util.Locale.ROOT);
      int semicolon = type.indexOf(';');
      type = (semicolon < 0 ? type : type.substring(0, semicolon)).trim();
      return type.equals("application/json") || type.endsWith("+json");
    }

    /** The start of the body as text, for error messages (at most 200 characters); closes it. */
    String excerpt() {
      try (InputStream in = body()) {
        String s = new String(in.readNBytes(200), java.nio.charset.StandardCharsets.UTF_8);
        return s.replaceAll("\\s+", " ").trim();
      } catch (IOException e) {
        return "";
      }
    }

    @Override
    public void close() {
      try {
        raw.close();
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  /** The body grew past the configured limit. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(long limit) {
      super("response exceeds the limit of " + limit + " bytes (MarathonSource.Builder"
          + ".maxResponseBytes)");
    }
  }

  /** The base URLs, in order. */
  List<URI> urls() {
    return urls;
  }

  /** Index of the URL to try first. */
  int preferred() {
    return failover.preferred();
  }

  /** Makes {@code index} the URL tried first. */
  void prefer(int index) {
    failover.prefer(index);
  }

  /** An {@code Authorization} header for HTTP basic credentials (Marathon's --http_credentials). */
  static Supplier<String> basicAuth(String user, String password) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    if (user.indexOf(':') >= 0) {
      throw new IllegalArgumentException("user must not contain ':'");
    }
    String header = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return () -> header;
  }

  /** An {@code Authorization: token=...} header for a DC/OS ACS token. */
  static Supplier<String> dcosToken(String token) {
    String header = "token=" + Checks.notBlank(token, "token");
    return () -> header;
  }

  /** Joins a base URL and a path that starts with a slash. */
  static URI resolve(URI base, String pathAndQuery) {
    String b = base.toString();
    if (b.endsWith("/")) {
      b = b.substring(0, b.length() - 1);
    }
    return URI.create(b + pathAndQuery);
  }

  /** Adds the auth header, if any, to a request. */
  HttpRequest.Builder authorize(HttpRequest.Builder b) {
    if (authorization != null) {
      String value = authorization.get();
      if (value != null) {
        b.header("Authorization", value);
      }
    }
    return b;
  }

  /**
   * GETs {@code pathAndQuery} from the first URL that answers without a 5xx. Completes with any
   * other status (the caller maps 404), or exceptionally with a {@link
   * DiscoveryUnavailableException} naming every URL tried, or with {@link
   * MarathonAuthenticationException}.
   *
   * @param serviceId names the service in exceptions ({@code "*"} for source-wide requests)
   */
  CompletableFuture<Response> get(String pathAndQuery, String serviceId) {
    return failover.run(index -> attempt(pathAndQuery, serviceId, index), (errors, lastCause) ->
        new DiscoveryUnavailableException(serviceId,
            "no Marathon URL answered " + pathAndQuery + ": " + errors, lastCause));
  }

  /** One GET on URL {@code index}, judged for the failover loop. */
  private CompletableFuture<Failover.Step<Response>> attempt(
      String path, String serviceId, int index) {
    URI uri = resolve(urls.get(index), path);
    return send(uri, true).handle((response, error) -> {
      if (error != null) {
        Throwable cause = Futures.unwrap(error);
        if (cause instanceof TooLargeException) {
          return Failover.Step.stop(new DiscoveryUnavailableException(serviceId,
              uri + ": " + cause.getMessage(), cause));
        }
        return Failover.Step.next(urls.get(index) + ": " + describe(cause), cause);
      }
      if (response.status == 401 || response.status == 403) {
        response.close();
        return Failover.Step.stop(
            new MarathonAuthenticationException(serviceId, response.status, "GET " + uri));
      }
      if (response.status >= 500) {
        return Failover.Step.next(
            urls.get(index) + ": HTTP " + response.status + " " + response.excerpt(), null);
      }
      if (response.notJson()) { // an HTML page from a proxy or a wrong base URL: try the next
        return Failover.Step.next(urls.get(index) + ": " + response.notMarathon(), null);
      }
      return Failover.Step.done(response);
    });
  }

  /**
   * Opens {@code pathAndQuery} (an event stream) with {@code Accept: text/event-stream} on the
   * first URL that accepts it, in the same failover order as {@link #get}, following one redirect
   * (a standby's 302 to the leader); blocks until the headers arrive. The caller reads and closes
   * the body.
   *
   * @param stopped checked before each URL: true ends the attempts (the owner is closing)
   * @throws MarathonAuthenticationException on 401 or 403
   * @throws IOException if no URL accepted the stream (the message names every URL tried)
   * @throws InterruptedException if interrupted while connecting
   */
  HttpResponse<InputStream> connectEventStream(String pathAndQuery, String serviceId,
      BooleanSupplier stopped) throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<InputStream>> connected = failover.run(
        index -> CompletableFuture.completedFuture(
            connectOnce(pathAndQuery, serviceId, stopped, index)),
        (errors, lastCause) -> new IOException(
            "no Marathon URL accepted the event stream: " + errors, lastCause));
    try {
      return connected.join(); // already complete: every attempt ran on this thread
    } catch (CompletionException e) {
      Throwable cause = Futures.unwrap(e);
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof InterruptedException) {
        throw (InterruptedException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IOException(cause);
    }
  }

  private Failover.Step<HttpResponse<InputStream>> connectOnce(String pathAndQuery,
      String serviceId, BooleanSupplier stopped, int index) {
    if (stopped.getAsBoolean()) {
      return Failover.Step.stop(new IOException("closed while connecting the event stream"));
    }
    URI uri = resolve(urls.get(index), pathAndQuery);
    HttpResponse<InputStream> response;
    try {
      response = streamRequest(uri, true);
      int status = response.statusCode();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        closeQuietly(response.body());
        URI target = uri.resolve(response.headers().firstValue("Location").orElseThrow(
            () -> new IOException("redirect without Location from " + uri)));
        response = streamRequest(target, credentialsMayFollow(uri, target));
      }
    } catch (IOException e) {
      return Failover.Step.next(urls.get(index) + ": " + describe(e), e);
    } catch (InterruptedException e) {
      return Failover.Step.stop(e);
    }
    int status = response.statusCode();
    if (status == 401 || status == 403) {
      closeQuietly(response.body());
      return Failover.Step.stop(new MarathonAuthenticationException(serviceId, status,
          "GET " + resolve(urls.get(index), "/v2/events")));
    }
    if (status != 200) {
      closeQuietly(response.body());
      return Failover.Step.next(urls.get(index) + ": HTTP " + status, null);
    }
    return Failover.Step.done(response);
  }

  private HttpResponse<InputStream> streamRequest(URI uri, boolean withCredentials)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Accept", "text/event-stream")
        .GET();
    HttpRequest request = (withCredentials ? authorize(b) : b).build();
    return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
  }

  /**
   * Whether a redirect from {@code from} to {@code to} may carry the credentials: not from https
   * to anything else (the target would read them in the clear, and so would the network).
   */
  static boolean credentialsMayFollow(URI from, URI to) {
    boolean followed = !"https".equalsIgnoreCase(from.getScheme())
        || "https".equalsIgnoreCase(to.getScheme());
    if (!followed) {
      LOG.log(Level.WARNING, "Marathon at {0} redirected to {1}: following it without the "
          + "credentials, which never leave https for plain http", from, to);
    }
    return followed;
  }

  /** Sends a GET; a redirect is followed once if {@code mayRedirect}. */
  private CompletableFuture<Response> send(URI uri, boolean mayRedirect) {
    return send(uri, mayRedirect, true);
  }

  private CompletableFuture<Response> send(URI uri, boolean mayRedirect,
      boolean withCredentials) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Accept", "application/json")
        .header("Accept-Encoding", "gzip")
        .GET();
    HttpRequest request = (withCredentials ? authorize(b) : b).build();
    CompletableFuture<HttpResponse<InputStream>> sent;
    try {
      sent = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return sent.thenCompose(r -> {
      int status = r.statusCode();
      if (mayRedirect && (status == 301 || status == 302 || status == 303 || status == 307
          || status == 308)) {
        var location = r.headers().firstValue("Location");
        if (location.isPresent()) {
          closeQuietly(r.body());
          URI target = uri.resolve(location.get());
          return send(target, false, credentialsMayFollow(uri, target));
        }
      }
      long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (length > maxBytes) {
        closeQuietly(r.body());
        return CompletableFuture.failedFuture(new TooLargeException(maxBytes));
      }
      boolean gzip = r.headers().firstValue("Content-Encoding")
          .map(v -> v.equalsIgnoreCase("gzip")).orElse(false);
      return CompletableFuture.completedFuture(new Response(status, r.uri(),
          r.headers().firstValue("Content-Type").orElse(null), r.body(), gzip, maxBytes));
    });
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // best effort
    }
  }

  static String describe(Throwable t) {
    if (t instanceof HttpTimeoutException) {
      return "timed out (" + t.getMessage() + ")";
    }
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      // The JDK client reports a name that does not resolve as a bare ConnectException.
      if (c instanceof java.nio.channels.UnresolvedAddressException
          || c instanceof java.net.UnknownHostException) {
        return "unknown host (the name does not resolve)";
      }
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /**
   * Fails with {@link TooLargeException} once more than a byte limit has been read; keeps the
   * first bytes for error messages.
   */
  static final class LimitedInputStream extends FilterInputStream {
    private static final int HEAD = 64;
    private final long limit;
    private long count;
    private final byte[] head = new byte[HEAD];
    private int headLength;

    /** The first bytes read so far, as text. */
    String head() {
      return new String(head, 0, headLength, java.nio.charset.StandardCharsets.UTF_8);
    }

    private void keep(byte[] b, int off, int n) {
      int k = Math.min(n, HEAD - headLength);
      if (k > 0) {
        System.arraycopy(b, off, head, headLength, k);
        headLength += k;
      }
    }

    LimitedInputStream(InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0 && headLength < HEAD) {
        head[headLength++] = (byte) b;
      }
      if (b >= 0 && ++count > limit) {
        throw new TooLargeException(limit);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        keep(b, off, n);
      }
      if (n > 0 && (count += n) > limit) {
        throw new TooLargeException(limit);
      }
      return n;
    }
  }
}
