package dev.lodestar.discovery.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for Lodestar's background threads: daemon threads (they never keep the JVM
 * alive) with a recognisable name. Not API (see the package comment).
 *
 * <p>Thread safety: the factories are safe for concurrent use.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** Daemon threads named {@code prefix-1}, {@code prefix-2}, ... */
  public static ThreadFactory numbered(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> create(r, prefix + "-" + n.incrementAndGet());
  }

  /** Daemon threads that all carry {@code name}. */
  public static ThreadFactory named(String name) {
    return r -> create(r, name);
  }

  /** A new, not yet started daemon thread named {@code name} running {@code task}. */
  public static Thread newThread(Runnable task, String name) {
    return create(task, name);
  }

  private static Thread create(Runnable task, String name) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    return t;
  }
}
