package dev.lodestar.agent.haproxy;

/**
 * An app label the bridge cannot honour: an invalid value, a port index the app lacks, a
 * combination that does not work (a sticky cookie in TCP mode). The app is left out of the
 * config; the rest of the config is still produced.
 *
 * <p>Thread safety: immutable.
 */
final class LabelException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String appId;
  private final String label;
  private final String value;
  private final String why;

  LabelException(String appId, String label, String value, String why) {
    super("app " + appId + ": label " + label + "=" + quote(value) + ": " + why, null, false,
        false);
    this.appId = appId;
    this.label = label;
    this.value = value;
    this.why = why;
  }

  private static String quote(String value) {
    return value == null ? "(none)" : "'" + value + "'";
  }

  String appId() {
    return appId;
  }

  String label() {
    return label;
  }

  String value() {
    return value;
  }

  String why() {
    return why;
  }
}
