package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.DiscoveryUnavailableException;

/**
 * Marathon refused the credentials (HTTP 401) or the permissions (HTTP 403) of a {@link
 * MarathonSource}. It is a {@link DiscoveryUnavailableException}, so resolvers treat it like any
 * other unavailability and keep serving what they have cached; a source does not retry it on the
 * next Marathon URL, and its event stream stops reconnecting until a later poll succeeds.
 *
 * <p>The message names the URL and the status, never the credentials.
 *
 * <p>Thread safety: immutable after construction.
 */
public final class MarathonAuthenticationException extends DiscoveryUnavailableException {
  private static final long serialVersionUID = 1L;
  private final int statusCode;

  /**
   * Creates the exception.
   *
   * @param serviceId the service whose load failed, or {@code "*"} for source-wide requests (full
   *     resync, event stream)
   * @param statusCode 401 or 403
   * @param reason what was refused, e.g. the URL
   */
  public MarathonAuthenticationException(String serviceId, int statusCode, String reason) {
    super(serviceId, "Marathon answered " + statusCode
        + (statusCode == 401 ? " (not authenticated)" : " (not authorized)") + ": " + reason, null);
    this.statusCode = statusCode;
  }

  private MarathonAuthenticationException(MarathonAuthenticationException asyncFailure) {
    super(asyncFailure);
    this.statusCode = asyncFailure.statusCode;
  }

  @Override
  protected DiscoveryException rethrownInCaller() {
    return new MarathonAuthenticationException(this);
  }

  /** The HTTP status Marathon answered: 401 or 403. */
  public int statusCode() {
    return statusCode;
  }
}
