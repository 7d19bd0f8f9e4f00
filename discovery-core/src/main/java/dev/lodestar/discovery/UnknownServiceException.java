package dev.lodestar.discovery;

/**
 * The source says the service does not exist (a Marathon 404, a DNS NXDOMAIN).
 *
 * <p>Thread safety: immutable after construction.
 */
public class UnknownServiceException extends DiscoveryException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message is prefixed with the service id. */
  public UnknownServiceException(String serviceId, String reason) {
    super(serviceId, "unknown service '" + serviceId + "': " + reason, null);
  }
}
