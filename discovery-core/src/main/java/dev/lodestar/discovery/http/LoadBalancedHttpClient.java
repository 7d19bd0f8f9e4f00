package dev.lodestar.discovery.http;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.NoInstanceAvailableException;
import dev.lodestar.discovery.Selection;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.Futures;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * Sends {@link HttpRequest}s to a service instead of a host: the JDK's {@link HttpClient} with
 * every request routed through a {@link ServiceResolver}.
 *
 * <pre>{@code
 * LoadBalancedHttpClient http = LoadBalancedHttpClient.of(resolver);
 * HttpResponse<String> r = http.send(
 *     HttpRequest.newBuilder(URI.create("http://checkout.shop/orders/42")).build(),
 *     HttpResponse.BodyHandlers.ofString());  // went to one instance of /shop/checkout
 * }</pre>
 *
 * <p><b>Addressing.</b> The URI's host names the service; everything else (scheme, path, query,
 * headers, body, timeout) is sent unchanged to the picked instance's {@code host:port}. By default
 * the host maps to a Marathon app id the way Mesos-DNS maps app ids to names, read backwards:
 * {@code my-app} is {@code /my-app}, {@code checkout.shop} is {@code /shop/checkout}, case and one
 * trailing dot aside; an IP address names no service and is refused (see {@link
 * #serviceIdFromHost(URI)}); {@link Builder#serviceId(Function)} plugs in another mapping. There
 * is no custom scheme because {@link HttpRequest} accepts only {@code http} and {@code https}.
 * Every request sent through this client is resolved, so send requests to ordinary hosts with a
 * plain {@code HttpClient}. A port in the URI is refused: the instance's port is the resolver's
 * choice. The {@code Host} header sent is the instance's address, since the JDK client does not
 * let callers set it. With {@code https} the server's certificate must be valid for the instance's address,
 * since that is the host the JDK client verifies.
 *
 * <p><b>Timeouts.</b> The default {@code HttpClient} has a connect timeout of {@value
 * #DEFAULT_CONNECT_TIMEOUT_SECONDS} s, and a request that sets no timeout of its own gets {@link
 * Builder#requestTimeout(Duration)} (default {@value #DEFAULT_REQUEST_TIMEOUT_SECONDS} s, whatever
 * the {@code HttpClient}), so an instance that accepts a connection and never answers fails the
 * call with {@link HttpTimeoutException} instead of blocking it. A request built with {@link
 * HttpRequest.Builder#timeout(Duration)} keeps its own timeout. A client given with {@link
 * Builder#httpClient(HttpClient)} keeps its own connect timeout (none, if it sets none).
 *
 * <p><b>Feedback.</b> Each attempt is one {@link ServiceResolver#select} ticket: a response is
 * reported as a success with the time until {@code send} returned (for {@code ofString} and similar
 * handlers, until the body was read), so latency-aware strategies and passive health learn from
 * it. A response whose status matches {@link Builder#failureStatus(IntPredicate)} (default: 5xx) is
 * returned to the caller but reported as a failure, so an instance that keeps answering 503 is
 * ejected after {@code HealthPolicy.consecutiveFailures()} in a row. An exception is reported as a
 * failure, except that an interrupt or a cancelled future is reported as neither, and so is a
 * failure of the caller's own body handler (its {@code apply} or subscriber threw, or its body
 * failed, say in a mapping function, with anything but the transport's error): the response came
 * and the bug is the caller's, so it gives no verdict on the instance. {@code send} usually gets
 * such an exception from the JDK client wrapped in an {@link IOException} whose cause it is.
 *
 * <p><b>Retry.</b> An idempotent request (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) that fails at
 * the connection level, that is with any {@link IOException} but a request timeout (connection
 * refused, no route, connect timeout, a connection closed or reset while the request or response
 * was under way, a failed TLS handshake), is sent once more to another instance; if the service
 * has no other routable instance, the first failure is thrown. Other methods are never retried,
 * nor are request timeouts ({@link HttpTimeoutException}): the server may be working on the
 * request. Nor is a failure of the caller's body handler, though it reaches the caller as an
 * {@code IOException}: the same handler would fail on the next instance's response too.
 * The JDK client's own retries (for example on an expired pooled connection) happen below this.
 *
 * <p><b>Affinity.</b> With {@link dev.lodestar.discovery.balance.LoadBalancingStrategy#sticky()},
 * {@link Builder#affinityKey(Function)} chooses the key of each request (a session cookie or user
 * header, say). The retry drops the key, since the instance the key maps to just failed.
 *
 * <p>Failure modes: {@code send} throws what the JDK client throws ({@link IOException}, {@link
 * InterruptedException}, {@link IllegalArgumentException} for a bad request) plus the resolver's
 * unchecked {@link DiscoveryException}s when the service is unknown or has no routable instance;
 * {@code sendAsync} completes its future exceptionally with the same exceptions, except that a
 * request without a usable host is refused at once with {@link IllegalArgumentException}. The
 * first request for a service waits for the resolver to load it (bounded by its {@code
 * loadTimeout}), in the calling thread, for both forms.
 *
 * <p>Thread safety: immutable and safe for concurrent use; share one per resolver, as you would a
 * {@code HttpClient}. It owns nothing: closing the resolver and the {@code HttpClient} is the
 * caller's business.
 */
public final class LoadBalancedHttpClient {
  /** Marks a {@code sendAsync} result as cancelled for an attempt sent after the cancel. */
  private static final CompletableFuture<?> CANCELLED = CompletableFuture.completedFuture(null);

  private static final System.Logger LOG = System.getLogger(LoadBalancedHttpClient.class.getName());
  private static final Set<String> IDEMPOTENT =
      Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** Connect timeout of the {@code HttpClient} that {@link #of} and a builder without one create. */
  public static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 3;

  /** Timeout of a request that sets none, unless {@link Builder#requestTimeout} says otherwise. */
  public static final int DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;

  private final ServiceResolver resolver;
  private final HttpClient http;
  private final Function<URI, String> serviceId;
  private final Function<HttpRequest, String> affinityKey;
  private final IntPredicate failureStatus;
  private final Duration requestTimeout;

  private LoadBalancedHttpClient(Builder b) {
    this.resolver = b.resolver;
    this.http = b.http != null ? b.http : HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(DEFAULT_CONNECT_TIMEOUT_SECONDS)).build();
    this.requestTimeout = b.requestTimeout;
    this.serviceId = b.serviceId;
    this.affinityKey = b.affinityKey;
    this.failureStatus = b.failureStatus;
  }

  /**
   * A client over {@code resolver} with default settings: an {@link HttpClient} with a {@value
   * #DEFAULT_CONNECT_TIMEOUT_SECONDS} s connect timeout, a {@value
   * #DEFAULT_REQUEST_TIMEOUT_SECONDS} s timeout for requests that set none, the host-to-id mapping
   * of {@link #serviceIdFromHost(URI)}, 5xx counted as failures, no affinity key.
   */
  public static LoadBalancedHttpClient of(ServiceResolver resolver) {
    return builder(resolver).build();
  }

  /** Starts a builder for a client over {@code resolver}. */
  public static Builder builder(ServiceResolver resolver) {
    return new Builder(resolver);
  }

  /**
   * The default service id mapping: the URI's host, lowercased, without one trailing dot, labels
   * read backwards and joined with {@code /}, as Mesos-DNS names Marathon apps. {@code
   * http://my-app/x} gives {@code /my-app}; {@code http://worker.backend.prod/x}, {@code
   * http://Worker.Backend.PROD/x} and {@code http://worker.backend.prod./x} give {@code
   * /prod/backend/worker}.
   *
   * @throws IllegalArgumentException if the URI has no host, or its host is an IP address (IPv4
   *     such as {@code 127.0.0.1}, or bracketed IPv6 such as {@code [::1]}), which names no service
   */
  public static String serviceIdFromHost(URI uri) {
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("no service name in " + uri
          + " (the host names the service, e.g. http://my-app/path)");
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.startsWith("[") || IPV4.matcher(host).matches()) {
      throw new IllegalArgumentException("the host of " + uri + " is an IP address, which names "
          + "no service (the host names the service, e.g. http://my-app/path; send requests to an "
          + "address with a plain HttpClient)");
    }
    StringBuilder id = new StringBuilder(host.length() + 1);
    String[] labels = host.split("\\.", -1);
    for (int i = labels.length - 1; i >= 0; i--) {
      id.append('/').append(labels[i]);
    }
    return id.toString();
  }

  /** The resolver requests are routed through. */
  public ServiceResolver resolver() {
    return resolver;
  }

  /** The JDK client that sends the requests. */
  public HttpClient httpClient() {
    return http;
  }

  /** The timeout given to requests that set none of their own. */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /**
   * Sends a request to an instance of the service its URI names and waits for the response,
   * retrying an idempotent request once on another instance after a connection-level failure.
   *
   * @return the instance's response; its {@link HttpResponse#uri()} is the instance's URI
   * @throws IOException if the request failed (after the retry, when one was made)
   * @throws InterruptedException if interrupted while waiting
   * @throws DiscoveryException if the service is unknown, has no routable instance or cannot be
   *     loaded
   * @throws IllegalArgumentException if the URI names no service or has a port
   */
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Objects.requireNonNull(handler, "handler");
    String service = serviceIdOf(request);
    String key = affinityKey.apply(request);
    Selection first = select(service, key);
    GuardedBodyHandler<T> guarded = new GuardedBodyHandler<>(handler);
    try {
      return attempt(first, request, guarded);
    } catch (IOException e) {
      Selection second = guarded.callerFailure() == null && retryable(request, e)
          ? anotherQuietly(service, first.instance()) : null;
      if (second == null) {
        throw e;
      }
      LOG.log(Level.DEBUG, "{0} {1} failed on {2} ({3}); retrying on {4}", request.method(),
          request.uri(), first.instance().address(), e, second.instance().address());
      try {
        return attempt(second, request, new GuardedBodyHandler<>(handler));
      } catch (IOException again) {
        again.addSuppressed(e);
        throw again;
      }
    }
  }

  /**
   * The first pick of a request. The routing key is the request's own service id, so there is no
   * handle to keep (see {@link ServiceResolver#service}); a failed request gets the "no instance"
   * error with this caller's stack instead of the pick path's shared, stackless one.
   */
  private Selection select(String service, String key) {
    try {
      return resolver.select(service, key);
    } catch (NoInstanceAvailableException e) {
      throw e.withCallerStack();
    }
  }

  /**
   * Sends a request asynchronously, like {@link #send}: the future completes with the instance's
   * response, or exceptionally with the {@link IOException} or {@link DiscoveryException} that
   * {@code send} would throw. Cancelling the future cancels the attempt in flight.
   *
   * @throws IllegalArgumentException at once, if the URI names no service or has a port
   */
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    Objects.requireNonNull(handler, "handler");
    String service = serviceIdOf(request);
    Selection first;
    try {
      first = select(service, affinityKey.apply(request));
    } catch (DiscoveryException e) {
      return CompletableFuture.failedFuture(e);
    }
    GuardedBodyHandler<T> guarded = new GuardedBodyHandler<>(handler);
    // The JDK client's future of the attempt in flight, which a cancel of the result cancels: a
    // cancel does not reach a retry through the stages below (and a JDK future's dependent
    // passes it on without always completing the future its attempt's report waits on).
    AtomicReference<CompletableFuture<?>> inFlight = new AtomicReference<>();
    Consumer<CompletableFuture<?>> onSent = sent -> {
      if (inFlight.getAndSet(sent) == CANCELLED) {
        sent.cancel(true); // the result was cancelled before this attempt was sent
      }
    };
    CompletableFuture<HttpResponse<T>> result =
        attemptAsync(first, request, guarded, onSent).handle((response, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(response);
      }
      Throwable cause = Futures.unwrap(error);
      Selection second = guarded.callerFailure() == null && cause instanceof IOException
          && retryable(request, (IOException) cause)
          ? anotherQuietly(service, first.instance()) : null;
      if (second == null) {
        return CompletableFuture.<HttpResponse<T>>failedFuture(cause);
      }
      LOG.log(Level.DEBUG, "{0} {1} failed on {2} ({3}); retrying on {4}", request.method(),
          request.uri(), first.instance().address(), cause, second.instance().address());
      return attemptAsync(second, request, new GuardedBodyHandler<>(handler), onSent)
          .exceptionallyCompose(again -> {
            Throwable last = Futures.unwrap(again);
            if (last != cause) {
              last.addSuppressed(cause);
            }
            return CompletableFuture.failedFuture(last);
          });
    }).thenCompose(Function.identity());
    result.whenComplete((response, error) -> {
      if (result.isCancelled()) {
        CompletableFuture<?> sent = inFlight.getAndSet(CANCELLED);
        if (sent != null) {
          sent.cancel(true);
        }
      }
    });
    return result;
  }

  private <T> HttpResponse<T> attempt(
      Selection selection, HttpRequest request, GuardedBodyHandler<T> handler)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    HttpResponse<T> response;
    try {
      // In the try: an instance address the JDK client refuses fails this attempt, reported.
      response = http.send(routed(request, selection.instance(), requestTimeout), handler);
    } catch (InterruptedException e) {
      selection.release();
      throw e;
    } catch (IOException | RuntimeException | Error e) {
      reportFailure(selection, handler, e);
      throw e;
    }
    report(selection, response, start);
    return response;
  }

  private <T> CompletableFuture<HttpResponse<T>> attemptAsync(Selection selection,
      HttpRequest request, GuardedBodyHandler<T> handler, Consumer<CompletableFuture<?>> onSent) {
    long start = System.nanoTime();
    CompletableFuture<HttpResponse<T>> sent;
    try {
      sent = http.sendAsync(routed(request, selection.instance(), requestTimeout), handler);
    } catch (RuntimeException e) {
      selection.failure(e);
      return CompletableFuture.failedFuture(e);
    }
    onSent.accept(sent);
    return sent.whenComplete((response, error) -> {
      if (error == null) {
        report(selection, response, start);
      } else if (Futures.unwrap(error) instanceof CancellationException) {
        selection.release();
      } else {
        reportFailure(selection, handler, Futures.unwrap(error));
      }
    });
  }

  /**
   * A failed attempt: the instance's failure, unless the caller's own body handler failed (the
   * response arrived; the bug is the caller's), which gives no verdict on the instance.
   */
  private static void reportFailure(
      Selection selection, GuardedBodyHandler<?> handler, Throwable error) {
    if (handler.callerFailure() != null) {
      selection.release();
    } else {
      selection.failure(error);
    }
  }

  private void report(Selection selection, HttpResponse<?> response, long startNanos) {
    if (failureStatus.test(response.statusCode())) {
      selection.failure(new FailureStatusException(response.statusCode()));
    } else {
      selection.success(Duration.ofNanos(System.nanoTime() - startNanos));
    }
  }

  private static boolean retryable(HttpRequest request, IOException error) {
    if (!IDEMPOTENT.contains(request.method())) {
      return false;
    }
    // A connect timeout is a connection-level failure; any other timeout means the request may be
    // in the works on the server.
    return ServiceResolver.Builder.isConnectionFailure(error)
        || !(error instanceof HttpTimeoutException);
  }

  /**
   * A selection of another instance than {@code failed}, or null when there is none, through the
   * resolver's select-avoiding path, the one {@link ServiceResolver#call} retries through.
   */
  private Selection another(String service, Instance failed) {
    Selection s = resolver.selectAvoiding(service, List.of(failed));
    if (s.instance().equals(failed)) {
      s.release();
      return null;
    }
    return s;
  }

  private Selection anotherQuietly(String service, Instance failed) {
    try {
      return another(service, failed);
    } catch (DiscoveryException e) {
      return null; // nothing else is routable: the caller gets the first failure
    }
  }

  private String serviceIdOf(HttpRequest request) {
    Objects.requireNonNull(request, "request");
    URI uri = request.uri();
    if (uri.getPort() != -1) {
      throw new IllegalArgumentException("a port in " + uri + " would be ignored: the resolver "
          + "chooses the instance's port; leave it out");
    }
    String id = serviceId.apply(uri);
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("no service id for " + uri);
    }
    return id;
  }

  /**
   * The request with the instance's address in place of the service name, and {@code timeout}
   * if it has no timeout of its own.
   */
  static HttpRequest routed(HttpRequest request, Instance instance, Duration timeout) {
    URI uri = request.uri();
    StringBuilder target = new StringBuilder(64)
        .append(uri.getScheme()).append("://").append(instance.address());
    String path = uri.getRawPath();
    target.append(path == null || path.isEmpty() ? "/" : path);
    if (uri.getRawQuery() != null) {
      target.append('?').append(uri.getRawQuery());
    }
    HttpRequest.Builder routed = HttpRequest.newBuilder(request, (name, value) -> true)
        .uri(URI.create(target.toString()));
    if (request.timeout().isEmpty()) {
      routed.timeout(timeout);
    }
    return routed.build();
  }

  /**
   * Configures a {@link LoadBalancedHttpClient}. Setters check their argument at once.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final ServiceResolver resolver;
    private HttpClient http;
    private Function<URI, String> serviceId = LoadBalancedHttpClient::serviceIdFromHost;
    private Function<HttpRequest, String> affinityKey = request -> null;
    private IntPredicate failureStatus = status -> status >= 500;
    private Duration requestTimeout = Duration.ofSeconds(DEFAULT_REQUEST_TIMEOUT_SECONDS);

    private Builder(ServiceResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    /**
     * The JDK client that sends the requests (default: {@link HttpClient#newBuilder()} with a
     * {@value LoadBalancedHttpClient#DEFAULT_CONNECT_TIMEOUT_SECONDS} s connect timeout and
     * nothing else set). Its settings (connect timeout, redirects, version, executor) apply to
     * every attempt. A redirect it follows goes to the address in the {@code Location} header,
     * not through the resolver.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.http = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * How a request URI names a service (default {@link
     * LoadBalancedHttpClient#serviceIdFromHost(URI)}). The function must be fast and must not
     * return null or blank, which is refused with {@link IllegalArgumentException}.
     */
    public Builder serviceId(Function<URI, String> serviceId) {
      this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
      return this;
    }

    /**
     * The affinity key of a request for sticky strategies (default: none), for example {@code r
     * -> r.headers().firstValue("X-User").orElse(null)}. The function may return null (no
     * affinity); it must be fast and not throw.
     */
    public Builder affinityKey(Function<HttpRequest, String> affinityKey) {
      this.affinityKey = Objects.requireNonNull(affinityKey, "affinityKey");
      return this;
    }

    /**
     * Which response statuses are reported to the resolver as failed calls (default {@code
     * status >= 500}). Such responses are still returned to the caller and never retried;
     * {@code s -> false} reports every response as a success.
     */
    public Builder failureStatus(IntPredicate failureStatus) {
      this.failureStatus = Objects.requireNonNull(failureStatus, "failureStatus");
      return this;
    }

    /**
     * The timeout of each attempt of a request that sets no timeout of its own (default {@value
     * LoadBalancedHttpClient#DEFAULT_REQUEST_TIMEOUT_SECONDS} s): the time until the response
     * headers arrive, as {@link HttpRequest.Builder#timeout(Duration)}. It ends in {@link
     * HttpTimeoutException}, which is not retried.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = Checks.positive(requestTimeout, "requestTimeout");
      return this;
    }

    /** Builds the client. */
    public LoadBalancedHttpClient build() {
      return new LoadBalancedHttpClient(this);
    }
  }

  /** Reported for a response whose status counts as a failure; stackless. */
  static final class FailureStatusException extends IOException {
    private static final long serialVersionUID = 1L;

    FailureStatusException(int status) {
      super("HTTP " + status);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }
}
