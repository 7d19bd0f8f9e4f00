package dev.lodestar.discovery;

/**
 * The service is known but has no instance that may receive traffic (none listed, all unhealthy,
 * or all ejected and panic mode is {@code FAIL}).
 *
 * <p>The picking methods ({@code pick}, {@code select} and their {@link ServiceHandle} forms) throw
 * one shared instance per routing state of the service, built when the state was, without a stack
 * trace and without suppressed exceptions: an application that keeps picking from an empty
 * service pays no stack walk per call. {@link ServiceResolver#call} and the HTTP client, where a
 * stack trace helps more than it costs, throw a fresh one that carries the caller's stack, with
 * the shared one as its cause.
 *
 * <p>Thread safety: immutable after construction.
 */
public class NoInstanceAvailableException extends DiscoveryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; the message is prefixed with the service id (at most {@link
   * ServiceIds#QUOTE_LENGTH} characters of it).
   */
  public NoInstanceAvailableException(String serviceId, String reason) {
    super(serviceId, "no instance available for '" + ServiceIds.quote(serviceId)
        + "': " + reason, null);
  }

  /** Copies {@code asyncFailure}; see {@link DiscoveryException#rethrownInCaller()}. */
  protected NoInstanceAvailableException(NoInstanceAvailableException asyncFailure) {
    super(asyncFailure);
  }

  @Override
  protected DiscoveryException rethrownInCaller() {
    // A subclass keeps its own type: it is returned as it is unless it overrides this too.
    return getClass() == NoInstanceAvailableException.class
        ? new NoInstanceAvailableException(this) : this;
  }

  private NoInstanceAvailableException(String serviceId, String message, Throwable cause,
      boolean writableStackTrace) {
    super(serviceId, message, cause, writableStackTrace);
  }

  /** The shared, stackless form for the pick path. */
  static NoInstanceAvailableException stackless(String serviceId, String reason) {
    return new NoInstanceAvailableException(serviceId, "no instance available for '"
        + ServiceIds.quote(serviceId) + "': " + reason, null, false);
  }

  /**
   * A new exception with the same message and service, the calling thread's stack, and this one
   * as its cause: for code that rethrows the pick path's shared, stackless exception where a stack
   * trace helps (a request that failed, as opposed to a hot loop of picks).
   */
  public NoInstanceAvailableException withCallerStack() {
    return new NoInstanceAvailableException(serviceId(), getMessage(), this, true);
  }
}
