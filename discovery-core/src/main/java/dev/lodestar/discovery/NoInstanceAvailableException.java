package dev.lodestar.discovery;

/**
 * The service is known but has no instance that may receive traffic (none listed, all unhealthy,
 * or all ejected and panic mode is {@code FAIL}).
 *
 * <p>Thread safety: immutable after construction.
 */
public class NoInstanceAvailableException extends DiscoveryException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; the message is prefixed with the service id. */
  public NoInstanceAvailableException(String serviceId, String reason) {
    super(serviceId, "no instance available for '" + serviceId + "': " + reason, null);
  }
}
