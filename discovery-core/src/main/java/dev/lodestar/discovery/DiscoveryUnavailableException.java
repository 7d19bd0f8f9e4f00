package dev.lodestar.discovery;

/**
 * The source could not be reached or gave no usable answer, and nothing is cached for the service
 * (or the cached snapshot passed its maximum staleness). The cause, when present, is the source's
 * error.
 *
 * <p>Thread safety: immutable after construction.
 */
public class DiscoveryUnavailableException extends DiscoveryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; the message is prefixed with the service id (at most {@link
   * ServiceIds#QUOTE_LENGTH} characters of it).
   */
  public DiscoveryUnavailableException(String serviceId, String reason, Throwable cause) {
    super(serviceId, "discovery unavailable for '" + ServiceIds.quote(serviceId)
        + "': " + reason, cause);
  }

  /** Copies {@code asyncFailure}; see {@link DiscoveryException#rethrownInCaller()}. */
  protected DiscoveryUnavailableException(DiscoveryUnavailableException asyncFailure) {
    super(asyncFailure);
  }

  @Override
  protected DiscoveryException rethrownInCaller() {
    // A subclass keeps its own type: it is returned as it is unless it overrides this too.
    return getClass() == DiscoveryUnavailableException.class
        ? new DiscoveryUnavailableException(this) : this;
  }
}
