package dev.lodestar.discovery;

import java.util.Objects;

/**
 * Base of every exception the resolver throws. Unchecked; the message names the service and the
 * reason.
 *
 * <p>Thread safety: immutable after construction.
 */
public abstract class DiscoveryException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String serviceId;

  /** Creates an exception for {@code serviceId}. */
  protected DiscoveryException(String serviceId, String message, Throwable cause) {
    super(message, cause);
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
  }

  /**
   * Creates an exception that may skip filling in its stack trace (for hot failure paths). A
   * stackless exception also refuses suppressed exceptions, so that one instance can be shared
   * and thrown many times without growing.
   */
  protected DiscoveryException(
      String serviceId, String message, Throwable cause, boolean writableStackTrace) {
    super(message, cause, writableStackTrace, writableStackTrace);
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
  }

  /**
   * Copies {@code asyncFailure}'s service id and message, with {@code asyncFailure} as the cause;
   * for {@link #rethrownInCaller()}.
   */
  protected DiscoveryException(DiscoveryException asyncFailure) {
    super(asyncFailure.getMessage(), asyncFailure);
    this.serviceId = asyncFailure.serviceId;
  }

  /**
   * The exception to throw in the calling thread for this one, which was created on another
   * thread (a source's I/O thread completing a load): the same type, service id and message, with
   * this exception as its cause, so that the stack trace shows the caller's code as well as where
   * the failure happened. The JDK's {@code HttpClient.send} does the same. The library's
   * exception classes override this; a subclass that does not returns itself.
   */
  protected DiscoveryException rethrownInCaller() {
    return this;
  }

  /** The service id the failed call was about. */
  public String serviceId() {
    return serviceId;
  }
}
