package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

/**
 * GETs from a list of Marathon URLs with failover: connect errors, timeouts and 5xx answers (502
 * and 503 mean "no leader") move on to the next URL; the URL that answered last is tried first
 * next time. A redirect is followed once, with the same headers (credentials included, as
 * marathon-lb does). 401 and 403 fail at once with {@link MarathonAuthenticationException}. Bodies
 * are collected up to a byte limit (compressed and decompressed) and refused past it.
 *
 * <p>Thread safety: safe for concurrent use.
 */
final class MarathonHttp {
  private final List<URI> urls;
  private final HttpClient client;
  private final Supplier<String> authorization;
  private final Duration requestTimeout;
  private final long maxBytes;
  private final AtomicInteger preferred = new AtomicInteger();

  MarathonHttp(List<URI> urls, HttpClient client, Supplier<String> authorization,
      Duration requestTimeout, long maxBytes) {
    this.urls = List.copyOf(urls);
    this.client = client;
    this.authorization = authorization;
    this.requestTimeout = requestTimeout;
    this.maxBytes = maxBytes;
  }

  /** A complete answer from one Marathon node. */
  static final class Response {
    final int status;
    final URI uri;
    private final byte[] body;
    private final boolean gzip;
    private final long maxBytes;

    Response(int status, URI uri, byte[] body, boolean gzip, long maxBytes) {
      this.status = status;
      this.uri = uri;
      this.body = body;
      this.gzip = gzip;
      this.maxBytes = maxBytes;
    }

    /** The body, decompressed if needed, limited to the configured size. */
    InputStream body() throws IOException {
      InputStream in = new ByteArrayInputStream(body);
      return gzip ? new LimitedInputStream(new GZIPInputStream(in, 8192), maxBytes) : in;
    }

    /** The body as text, for error messages; at most 200 characters. */
    String excerpt() {
      try (InputStream in = body()) {
        String s = new String(in.readNBytes(200), java.nio.charset.StandardCharsets.UTF_8);
        return s.replaceAll("\\s+", " ").trim();
      } catch (IOException e) {
        return "";
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
    return preferred.get();
  }

  /** Makes {@code index} the URL tried first. */
  void prefer(int index) {
    preferred.set(index);
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
    int start = preferred.get();
    List<String> errors = new ArrayList<>(urls.size());
    CompletableFuture<Response> result = new CompletableFuture<>();
    attempt(pathAndQuery, serviceId, start, 0, errors, null, result);
    return result;
  }

  private void attempt(String path, String serviceId, int start, int tried, List<String> errors,
      Throwable lastCause, CompletableFuture<Response> result) {
    if (tried == urls.size()) {
      result.completeExceptionally(new DiscoveryUnavailableException(serviceId,
          "no Marathon URL answered " + path + ": " + String.join("; ", errors), lastCause));
      return;
    }
    int index = (start + tried) % urls.size();
    URI uri = resolve(urls.get(index), path);
    send(uri, true).whenComplete((response, error) -> {
      if (error != null) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null
            ? error.getCause() : error;
        if (cause instanceof TooLargeException) {
          result.completeExceptionally(new DiscoveryUnavailableException(serviceId,
              uri + ": " + cause.getMessage(), cause));
          return;
        }
        errors.add(urls.get(index) + ": " + describe(cause));
        attempt(path, serviceId, start, tried + 1, errors, cause, result);
        return;
      }
      if (response.status == 401 || response.status == 403) {
        result.completeExceptionally(
            new MarathonAuthenticationException(serviceId, response.status, "GET " + uri));
        return;
      }
      if (response.status >= 500) {
        errors.add(urls.get(index) + ": HTTP " + response.status + " " + response.excerpt());
        attempt(path, serviceId, start, tried + 1, errors, null, result);
        return;
      }
      preferred.set(index);
      result.complete(response);
    });
  }

  private CompletableFuture<Response> send(URI uri, boolean mayRedirect) {
    HttpRequest request = authorize(HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Accept", "application/json")
        .header("Accept-Encoding", "gzip")
        .GET())
        .build();
    CompletableFuture<HttpResponse<byte[]>> sent;
    try {
      sent = client.sendAsync(request, info -> new LimitedSubscriber(
          info.headers().firstValueAsLong("Content-Length").orElse(-1), maxBytes));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return sent.thenCompose(r -> {
      int status = r.statusCode();
      if (mayRedirect && (status == 301 || status == 302 || status == 303 || status == 307
          || status == 308)) {
        var location = r.headers().firstValue("Location");
        if (location.isPresent()) {
          return send(uri.resolve(location.get()), false);
        }
      }
      boolean gzip = r.headers().firstValue("Content-Encoding")
          .map(v -> v.equalsIgnoreCase("gzip")).orElse(false);
      return CompletableFuture.completedFuture(
          new Response(status, r.uri(), r.body(), gzip, maxBytes));
    });
  }

  static String describe(Throwable t) {
    if (t instanceof HttpTimeoutException) {
      return "timed out (" + t.getMessage() + ")";
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** Collects a body into a byte array, failing once it exceeds the limit. */
  static final class LimitedSubscriber implements BodySubscriber<byte[]> {
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final long contentLength;
    private final long limit;
    private byte[] buf = new byte[8192];
    private int size;
    private Flow.Subscription subscription;

    LimitedSubscriber(long contentLength, long limit) {
      this.contentLength = contentLength;
      this.limit = limit;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      this.subscription = s;
      if (contentLength > limit) {
        s.cancel();
        result.completeExceptionally(new TooLargeException(limit));
        return;
      }
      if (contentLength > 0) {
        buf = new byte[(int) contentLength];
      }
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        int n = b.remaining();
        if ((long) size + n > limit) {
          subscription.cancel();
          result.completeExceptionally(new TooLargeException(limit));
          return;
        }
        if (size + n > buf.length) {
          buf = java.util.Arrays.copyOf(buf, Math.max(size + n, buf.length * 2));
        }
        b.get(buf, size, n);
        size += n;
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(size == buf.length ? buf : java.util.Arrays.copyOf(buf, size));
    }
  }

  /** Fails with {@link TooLargeException} past a byte limit (for decompressed bodies). */
  static final class LimitedInputStream extends FilterInputStream {
    private final long limit;
    private long count;

    LimitedInputStream(InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0 && ++count > limit) {
        throw new TooLargeException(limit);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0 && (count += n) > limit) {
        throw new TooLargeException(limit);
      }
      return n;
    }
  }
}
