package dev.lodestar.agent.marathon;

import java.util.Objects;

/**
 * One entry of a Marathon app's {@code healthChecks[]}.
 *
 * <p>Thread safety: an immutable value.
 *
 * @param protocol what Marathon (or Mesos) checks
 * @param path the HTTP path for HTTP-like checks ({@code "/"} when not given), {@code null} for the
 *     others
 * @param portIndex the port slot checked, or -1 when the check names a fixed {@link #port()} or
 *     needs no port (command checks)
 * @param port a fixed port to check, or 0 when the check uses {@link #portIndex()}
 * @param intervalSeconds seconds between checks (Marathon's default 60)
 * @param timeoutSeconds seconds before a check counts as failed (default 20)
 * @param gracePeriodSeconds seconds after start during which failures are ignored (default 300)
 * @param maxConsecutiveFailures failures before Marathon kills the task; 0 = never (default 3)
 * @param ignoreHttp1xx whether 1xx answers are ignored rather than counted healthy
 */
public record HealthCheck(Protocol protocol, String path, int portIndex, int port,
    int intervalSeconds, int timeoutSeconds, int gracePeriodSeconds, int maxConsecutiveFailures,
    boolean ignoreHttp1xx) {

  /** Marathon's defaults, used when a field is absent. */
  public static final int DEFAULT_INTERVAL_SECONDS = 60;
  /** See {@link #DEFAULT_INTERVAL_SECONDS}. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 20;
  /** See {@link #DEFAULT_INTERVAL_SECONDS}. */
  public static final int DEFAULT_GRACE_PERIOD_SECONDS = 300;
  /** See {@link #DEFAULT_INTERVAL_SECONDS}. */
  public static final int DEFAULT_MAX_CONSECUTIVE_FAILURES = 3;

  /** Validates; {@code protocol} must not be null. */
  public HealthCheck {
    Objects.requireNonNull(protocol, "protocol == null");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " outside 0..65535");
    }
  }

  /** Marathon's check protocols, from Marathon's own (deprecated in 1.4) to Mesos's. */
  public enum Protocol {
    /** Marathon sends an HTTP GET; 2xx/3xx is healthy. The default when no protocol is given. */
    HTTP,
    /** As {@link #HTTP} over TLS, without certificate verification. */
    HTTPS,
    /** Marathon opens a TCP connection. */
    TCP,
    /** The Mesos agent sends the HTTP GET. */
    MESOS_HTTP,
    /** The Mesos agent sends the HTTPS GET. */
    MESOS_HTTPS,
    /** The Mesos agent opens a TCP connection. */
    MESOS_TCP,
    /** A shell command in the task's sandbox; no port. */
    COMMAND,
    /** The Mesos-executed command check. */
    MESOS_COMMAND;

    /** Whether the check is an HTTP GET (plain or TLS): it has a path. */
    public boolean isHttp() {
      return this == HTTP || this == HTTPS || this == MESOS_HTTP || this == MESOS_HTTPS;
    }

    /** Whether the check uses TLS. */
    public boolean isTls() {
      return this == HTTPS || this == MESOS_HTTPS;
    }

    /** Whether the check reaches a port of the task (every protocol but the command ones). */
    public boolean usesPort() {
      return this != COMMAND && this != MESOS_COMMAND;
    }
  }
}
