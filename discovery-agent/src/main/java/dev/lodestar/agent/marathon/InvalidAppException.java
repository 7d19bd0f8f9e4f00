package dev.lodestar.agent.marathon;

/**
 * A Marathon app definition that cannot be used: no id, a port outside 0..65535, a field of the
 * wrong JSON type, a health check pointing at a port slot the app does not have. Callers skip the
 * app and log {@link #getMessage()}, which names the app (when it has an id) and the reason.
 *
 * <p>Thread safety: immutable after construction.
 */
public final class InvalidAppException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String appId;
  private final String reason;

  /**
   * @param appId the app's id as far as it was read, or {@code null} when it has none
   * @param reason why the app is unusable, e.g. {@code "portDefinitions[1].port is -3"}
   */
  public InvalidAppException(String appId, String reason) {
    super("invalid Marathon app " + (appId == null ? "(no id)" : appId) + ": " + reason);
    this.appId = appId;
    this.reason = reason;
  }

  /** The app's id, or {@code null} when the definition had no usable id. */
  public String appId() {
    return appId;
  }

  /** Why the app is unusable, without the app id. */
  public String reason() {
    return reason;
  }
}
