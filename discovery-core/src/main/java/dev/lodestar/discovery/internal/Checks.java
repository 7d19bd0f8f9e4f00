package dev.lodestar.discovery.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks for builders, with one wording for every module: each returns its argument or
 * throws {@link IllegalArgumentException} (or {@link NullPointerException} for null) naming it.
 * Also {@link #nanos}, the one conversion of a builder's duration to nanoseconds. Not API (see
 * the package comment).
 */
public final class Checks {
  private Checks() {}

  /** {@code d}, if it is longer than zero. */
  public static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return d;
  }

  /** {@code d}, if it is zero or longer. */
  public static Duration notNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, was " + d);
    }
    return d;
  }

  /** The longest duration {@link #nanos} gives, about 73 years. */
  public static final long LONGEST_NANOS = Long.MAX_VALUE / 4;
  private static final Duration LONGEST = Duration.ofNanos(LONGEST_NANOS);

  /**
   * {@code d} in nanoseconds, at most {@link #LONGEST_NANOS}: builders take any positive duration
   * (a {@code FOREVER}, say), past what a long of nanoseconds holds, and deadlines are a ticker's
   * {@code now} plus this, which must not overflow either.
   */
  public static long nanos(Duration d) {
    return d.compareTo(LONGEST) >= 0 ? LONGEST_NANOS : d.toNanos();
  }

  /** {@code value}, if it is at least {@code min}. */
  public static int atLeast(int value, int min, String name) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
    }
    return value;
  }

  /** Whether {@code port} is a TCP/UDP port number (1..65535). */
  public static boolean isPort(int port) {
    return port >= 1 && port <= 65535;
  }

  /** {@code port}, if it is a TCP/UDP port number (1..65535). */
  public static int port(int port, String name) {
    if (!isPort(port)) {
      throw new IllegalArgumentException(name + " must be in 1..65535, was " + port);
    }
    return port;
  }

  /** {@code value}, if it is not blank. */
  public static String notBlank(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return value;
  }

  /** Checks a backoff range: both positive, {@code max} not below {@code initial}. */
  public static void backoff(Duration initial, Duration max) {
    positive(initial, "initial");
    positive(max, "max");
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max " + max + " is below initial " + initial);
    }
  }
}
