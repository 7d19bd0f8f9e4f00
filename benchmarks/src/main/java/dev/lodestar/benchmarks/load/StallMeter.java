package dev.lodestar.benchmarks.load;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures how late the machine runs this process's threads (as jHiccup does): a daemon thread
 * asks to sleep 1 ms again and again and records by how much it overslept. A stall of many
 * milliseconds hits every request in flight at the time, whatever the load balancer does, so it
 * tells machine noise apart from the balancer's own tail.
 *
 * <p>Thread safety: safe for concurrent use.
 */
final class StallMeter implements AutoCloseable {
  private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private final AtomicLong maxNanos = new AtomicLong();
  private final Thread thread;
  private volatile boolean stopped;

  StallMeter() {
    thread = new Thread(this::loop, "stall-meter");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (!stopped) {
      long before = System.nanoTime();
      LockSupport.parkNanos(PERIOD_NANOS);
      long late = System.nanoTime() - before - PERIOD_NANOS;
      maxNanos.accumulateAndGet(late, Math::max);
    }
  }

  /** The longest stall since the last call, in milliseconds, and starts a new interval. */
  double takeMaxMs() {
    return maxNanos.getAndSet(0) / 1e6;
  }

  @Override
  public void close() {
    stopped = true;
  }
}
