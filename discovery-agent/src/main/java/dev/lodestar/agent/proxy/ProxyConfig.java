package dev.lodestar.agent.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link ProxyServer}.
 *
 * @param bindAddress the address every listener binds (127.0.0.1 by default)
 * @param connectTimeout bound on one connect attempt to an instance
 * @param idleTimeout a connection with no byte in either direction for this long is closed
 * @param maxAttempts connect attempts per client connection, on different instances when possible
 * @param shutdownGrace how long open connections may run on after a shutdown begins
 * @param workerThreads event loops relaying bytes (0: one per core)
 */
record ProxyConfig(String bindAddress, Duration connectTimeout, Duration idleTimeout,
    int maxAttempts, Duration shutdownGrace, int workerThreads) {

  /** The largest buffer one read may fill. */
  static final int MAX_READ_BYTES = 64 * 1024;
  /** Past this many bytes waiting to be written to one side, reading the other side stops. */
  static final int WRITE_HIGH_WATER = 64 * 1024;
  /** Reading resumes once the waiting bytes fall below this. */
  static final int WRITE_LOW_WATER = 32 * 1024;

  ProxyConfig {
    Objects.requireNonNull(bindAddress, "bindAddress");
    inRange(connectTimeout, "connectTimeout");
    inRange(idleTimeout, "idleTimeout");
    inRange(shutdownGrace, "shutdownGrace");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    if (workerThreads < 0) {
      throw new IllegalArgumentException("workerThreads must be >= 0, was " + workerThreads);
    }
  }

  /** The longest timeout: Netty's connect timeout is an int of milliseconds (about 24.8 days). */
  static final Duration LONGEST = Duration.ofMillis(Integer.MAX_VALUE);

  /**
   * {@code d} must be 1 ms to {@link #LONGEST}: under 1 ms a timeout in milliseconds is 0, which
   * Netty reads as none, and past an int of milliseconds the cast wraps around.
   */
  private static void inRange(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(name + " must be 1 ms to " + LONGEST + ", was " + d);
    }
  }
}
