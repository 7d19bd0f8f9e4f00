package dev.lodestar.examples;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * Counts what reaches each instance, by port: an {@link HttpClient} that sends through a real one
 * and records every attempt (its latency, or that it failed) under the port it went to. The demo
 * hands it to {@code LoadBalancedHttpClient}, so retried attempts are seen too.
 */
final class TrafficRecorder extends HttpClient {

  /** What one instance received. Counters are cumulative; latencies are kept per window. */
  static final class Counts {
    final LongAdder served = new LongAdder();
    final LongAdder failed = new LongAdder();
    final AtomicLong firstServedNanos = new AtomicLong(Long.MIN_VALUE);
    volatile long lastServedNanos = Long.MIN_VALUE;
    volatile long lastAttemptNanos = Long.MIN_VALUE;
    private long[] window = new long[1024];
    private int size;

    synchronized void latency(long nanos) {
      if (size == window.length) {
        window = Arrays.copyOf(window, size * 2);
      }
      window[size++] = nanos;
    }

    /** The latencies since the last call, sorted. */
    synchronized long[] drainWindow() {
      long[] out = Arrays.copyOf(window, size);
      size = 0;
      Arrays.sort(out);
      return out;
    }
  }

  private final HttpClient delegate;
  private final Map<Integer, Counts> byPort = new ConcurrentHashMap<>();

  TrafficRecorder(HttpClient delegate) {
    this.delegate = delegate;
  }

  Counts counts(int port) {
    return byPort.computeIfAbsent(port, p -> new Counts());
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Counts c = counts(request.uri().getPort());
    long start = System.nanoTime();
    c.lastAttemptNanos = start;
    try {
      HttpResponse<T> response = delegate.send(request, handler);
      served(c, start);
      return response;
    } catch (IOException e) {
      c.failed.increment();
      throw e;
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return sendAsync(request, handler, null);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
      HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
    Counts c = counts(request.uri().getPort());
    long start = System.nanoTime();
    c.lastAttemptNanos = start;
    return delegate.sendAsync(request, handler, push).whenComplete((r, e) -> {
      if (e == null) {
        served(c, start);
      } else {
        c.failed.increment();
      }
    });
  }

  private static void served(Counts c, long start) {
    long now = System.nanoTime();
    c.served.increment();
    c.latency(now - start);
    c.lastServedNanos = now;
    c.firstServedNanos.compareAndSet(Long.MIN_VALUE, now);
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return delegate.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return delegate.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return delegate.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return delegate.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return delegate.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return delegate.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return delegate.authenticator();
  }

  @Override
  public Version version() {
    return delegate.version();
  }

  @Override
  public Optional<Executor> executor() {
    return delegate.executor();
  }
}
