package dev.lodestar.discovery;

/**
 * The source says the service does not exist (a Marathon 404, a DNS NXDOMAIN, a Mesos-DNS name
 * without SRV records).
 *
 * <p>Thread safety: immutable after construction.
 */
public class UnknownServiceException extends DiscoveryException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; the message is prefixed with the service id (at most {@link
   * ServiceIds#QUOTE_LENGTH} characters of it).
   */
  public UnknownServiceException(String serviceId, String reason) {
    super(serviceId, "unknown service '" + ServiceIds.quote(serviceId)
        + "': " + reason, null);
  }

  /** Copies {@code asyncFailure}; see {@link DiscoveryException#rethrownInCaller()}. */
  protected UnknownServiceException(UnknownServiceException asyncFailure) {
    super(asyncFailure);
  }

  @Override
  protected DiscoveryException rethrownInCaller() {
    // A subclass keeps its own type: it is returned as it is unless it overrides this too.
    return getClass() == UnknownServiceException.class
        ? new UnknownServiceException(this) : this;
  }
}
