package dev.lodestar.benchmarks.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load: {@code workers} threads, each sending a 1 KB request and reading the 1 KB
 * response, either over one persistent connection per thread or over a new connection per
 * request. Records every request's latency (connect included for new connections).
 *
 * <p>Thread safety: one {@link #run} at a time.
 */
final class LoadClient {
  static final int MESSAGE = 1024;

  /** One run's figures. */
  record Result(long requests, long errors, double seconds, long[] latenciesNanos) {
    double perSecond() {
      return requests / seconds;
    }

    /** The {@code q} quantile (0..1) in microseconds. */
    double quantileMicros(double q) {
      if (latenciesNanos.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.min(latenciesNanos.length - 1, Math.ceil(q * latenciesNanos.length) - 1);
      return latenciesNanos[Math.max(i, 0)] / 1000.0;
    }
  }

  private LoadClient() {}

  /**
   * Runs for {@code seconds} against {@code ports} (thread {@code i} uses {@code ports[i %
   * ports.length]}).
   */
  static Result run(int[] ports, int workers, boolean persistent, double seconds)
      throws InterruptedException {
    long[][] samples = new long[workers][];
    int[] counts = new int[workers];
    AtomicLong errors = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    Thread[] threads = new Thread[workers];
    long durationNanos = (long) (seconds * 1e9);
    long[] window = new long[2];
    for (int w = 0; w < workers; w++) {
      int id = w;
      int port = ports[w % ports.length];
      threads[w] = new Thread(() -> {
        long[] mine = new long[1 << 16];
        int n = 0;
        byte[] request = new byte[MESSAGE];
        Arrays.fill(request, (byte) ('a' + id % 26));
        byte[] response = new byte[MESSAGE];
        Socket socket = null;
        try {
          start.await();
          long end = System.nanoTime() + durationNanos;
          while (System.nanoTime() - end < 0) {
            long t0 = System.nanoTime();
            try {
              if (socket == null) {
                socket = connect(port);
              }
              exchange(socket, request, response);
              if (!persistent) {
                socket.close();
                socket = null;
              }
            } catch (IOException e) {
              errors.incrementAndGet();
              closeQuietly(socket);
              socket = null;
              continue;
            }
            if (n == mine.length) {
              mine = Arrays.copyOf(mine, n * 2);
            }
            mine[n++] = System.nanoTime() - t0;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          closeQuietly(socket);
        }
        samples[id] = mine;
        counts[id] = n;
      }, "load-" + w);
      threads[w].start();
    }
    window[0] = System.nanoTime();
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    window[1] = System.nanoTime();
    int total = 0;
    for (int c : counts) {
      total += c;
    }
    long[] all = new long[total];
    int at = 0;
    for (int w = 0; w < workers; w++) {
      System.arraycopy(samples[w], 0, all, at, counts[w]);
      at += counts[w];
    }
    Arrays.sort(all);
    return new Result(total, errors.get(), (window[1] - window[0]) / 1e9, all);
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static void exchange(Socket s, byte[] request, byte[] response) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(request);
    out.flush();
    InputStream in = s.getInputStream();
    int got = 0;
    while (got < response.length) {
      int r = in.read(response, got, response.length - got);
      if (r < 0) {
        throw new IOException("closed after " + got + " bytes");
      }
      got += r;
    }
  }

  private static void closeQuietly(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
