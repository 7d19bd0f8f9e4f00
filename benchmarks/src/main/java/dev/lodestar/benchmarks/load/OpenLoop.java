package dev.lodestar.benchmarks.load;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator: request {@code i} is due at {@code start + i / rate} whatever
 * happened to earlier requests, and its latency is measured from that due time, so time spent
 * waiting for a free client thread counts (no coordinated omission). Requests run on a fixed pool
 * of client threads.
 *
 * <p>Thread safety: one run at a time per instance.
 */
final class OpenLoop implements AutoCloseable {
  /** One client request; throws when the call failed. */
  @FunctionalInterface
  interface Request {
    void run(int index) throws Exception;
  }

  /** What one run measured. Latencies of failed requests are not kept. */
  static final class Result {
    final long[] latencies;
    final int requests;
    final int failed;
    final Map<String, Integer> failures;
    final double seconds;

    Result(long[] latencies, int requests, Map<String, Integer> failures, double seconds) {
      this.latencies = latencies;
      this.requests = requests;
      this.failures = new TreeMap<>(failures);
      this.failed = failures.values().stream().mapToInt(Integer::intValue).sum();
      this.seconds = seconds;
    }

    /** Merges several runs of the same configuration. */
    static Result merge(Iterable<Result> parts) {
      int requests = 0;
      int n = 0;
      double seconds = 0;
      Map<String, Integer> failures = new TreeMap<>();
      for (Result r : parts) {
        requests += r.requests;
        n += r.latencies.length;
        seconds += r.seconds;
        r.failures.forEach((k, v) -> failures.merge(k, v, Integer::sum));
      }
      long[] all = new long[n];
      int at = 0;
      for (Result r : parts) {
        System.arraycopy(r.latencies, 0, all, at, r.latencies.length);
        at += r.latencies.length;
      }
      Arrays.sort(all);
      return new Result(all, requests, failures, seconds);
    }

    /** The latency at quantile {@code q} (nearest rank), in milliseconds. */
    double ms(double q) {
      if (latencies.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(q * latencies.length);
      return latencies[Math.min(Math.max(rank, 1), latencies.length) - 1] / 1e6;
    }

    double maxMs() {
      return latencies.length == 0 ? Double.NaN : latencies[latencies.length - 1] / 1e6;
    }
  }

  private final ThreadPoolExecutor clients;

  OpenLoop(int clientThreads) {
    AtomicInteger seq = new AtomicInteger();
    clients = new ThreadPoolExecutor(clientThreads, clientThreads, 0, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "client-" + seq.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    clients.prestartAllCoreThreads();
  }

  /**
   * Sends {@code requests} requests at {@code rate} per second and waits for them, at most {@code
   * requests / rate + 30} seconds in all (requests still running then count as failed).
   */
  Result run(int requests, double rate, Request request) throws InterruptedException {
    long[] latencies = new long[requests];
    Arrays.fill(latencies, -1);
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(requests);
    double periodNanos = 1e9 / rate;
    long start = System.nanoTime();
    for (int i = 0; i < requests; i++) {
      long due = start + (long) (i * periodNanos);
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      int index = i;
      clients.execute(() -> {
        try {
          request.run(index);
          latencies[index] = System.nanoTime() - due;
        } catch (Exception | Error e) {
          failures.merge(describe(e), 1, Integer::sum);
        } finally {
          done.countDown();
        }
      });
    }
    long limit = (long) (requests / rate) + 30;
    if (!done.await(limit, TimeUnit.SECONDS)) {
      failures.merge("unfinished after " + limit + " s", (int) done.getCount(), Integer::sum);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long[] ok = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
    return new Result(ok, requests, failures, seconds);
  }

  /** The exception's class and, for I/O errors, its message: {@code ConnectException}, ... */
  static String describe(Throwable e) {
    String name = e.getClass().getSimpleName();
    if (e.getCause() != null && e.getCause() != e && e.getMessage() == null) {
      return name + " <- " + describe(e.getCause());
    }
    String msg = e.getMessage();
    if (msg != null) {
      msg = msg.replaceAll("[0-9]{3,}", "#"); // ports and ids would make every message unique
    }
    if (msg != null && msg.length() > 60) {
      msg = msg.substring(0, 60) + "...";
    }
    return msg == null ? name : name + ": " + msg;
  }

  @Override
  public void close() {
    clients.shutdownNow();
  }
}
