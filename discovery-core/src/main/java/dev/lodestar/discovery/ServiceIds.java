package dev.lodestar.discovery;

/**
 * The one rule every backend applies to a service id, before any request is made.
 *
 * <p>A service id is a Marathon app id ({@code /shop/checkout}; the leading slash may be left
 * out), a backend-specific form ({@code port:10000} for a Marathon service port, a raw SRV name
 * such as {@code _web._tcp.marathon.mesos.} for Mesos-DNS), or anything a custom source accepts.
 * Whatever the form, {@link #check(String)} refuses:
 *
 * <ul>
 *   <li>{@code null}, with a {@link NullPointerException} that says so;
 *   <li>an empty or blank id;
 *   <li>an id longer than {@link #MAX_LENGTH} characters (the longest DNS name: every id must fit
 *       in one for the DNS backend, and no real Marathon id comes near it);
 *   <li>an id with an ISO control character (line breaks, tabs, NUL, DEL, ...);
 *   <li>an id whose {@code /}-separated segments include an empty one ({@code /a//b}, {@code /a/},
 *       {@code /}), {@code .} or {@code ..}: Marathon would resolve them as a path and the DNS
 *       mapping would silently drop them, so {@code /../x} would reach another service.
 * </ul>
 *
 * <p>The last four throw {@link IllegalArgumentException}. Messages quote at most {@link
 * #QUOTE_LENGTH} characters of an id (see {@link #quote(String)}); every {@link
 * DiscoveryException} message does the same.
 *
 * <p>Thread safety: stateless; all methods are safe for concurrent use.
 */
public final class ServiceIds {
  /** Longest accepted id, in characters: 253, the longest DNS name. */
  public static final int MAX_LENGTH = 253;
  /** Most characters of an id quoted in a message. */
  public static final int QUOTE_LENGTH = 200;

  private ServiceIds() {}

  /**
   * Checks {@code serviceId} against the rule above.
   *
   * @return {@code serviceId}, unchanged
   * @throws NullPointerException if {@code serviceId} is null
   * @throws IllegalArgumentException if it breaks the rule; the message says which part
   */
  public static String check(String serviceId) {
    if (serviceId == null) {
      throw new NullPointerException("service id is null (expected an id such as /shop/checkout)");
    }
    int length = serviceId.length();
    if (length > MAX_LENGTH) {
      throw new IllegalArgumentException("service id is " + length + " characters long, over the"
          + " limit of " + MAX_LENGTH + ": '" + quote(serviceId) + "'");
    }
    if (serviceId.isBlank()) {
      throw new IllegalArgumentException("service id is blank: '" + quote(serviceId) + "'");
    }
    for (int i = 0; i < length; i++) {
      char c = serviceId.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(String.format(
            "service id has a control character (U+%04X at index %d): '%s'", (int) c, i,
            quote(serviceId)));
      }
    }
    checkSegments(serviceId);
    return serviceId;
  }

  private static void checkSegments(String serviceId) {
    String path = serviceId.trim();
    int start = path.startsWith("/") ? 1 : 0;
    while (start <= path.length()) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = path.length();
      }
      String segment = path.substring(start, end);
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("service id has "
            + (segment.isEmpty() ? "an empty segment" : "a '" + segment + "' segment")
            + " (ids are paths such as /shop/checkout, without //, /./, /../ or a trailing /): '"
            + quote(serviceId) + "'");
      }
      start = end + 1;
    }
  }

  /**
   * An id as messages quote it: at most {@link #QUOTE_LENGTH} characters, control characters
   * escaped as in a Java string literal, a longer id cut with its length added.
   * {@code null} gives {@code "null"}.
   */
  public static String quote(String serviceId) {
    if (serviceId == null) {
      return "null";
    }
    int length = serviceId.length();
    int shown = Math.min(length, QUOTE_LENGTH);
    StringBuilder sb = null;
    for (int i = 0; i < shown; i++) {
      char c = serviceId.charAt(i);
      if (Character.isISOControl(c)) {
        if (sb == null) {
          sb = new StringBuilder(shown + 16).append(serviceId, 0, i);
        }
        switch (c) {
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          default -> sb.append(String.format("\\u%04X", (int) c));
        }
      } else if (sb != null) {
        sb.append(c);
      }
    }
    if (sb == null) {
      if (length <= QUOTE_LENGTH) {
        return serviceId;
      }
      sb = new StringBuilder(shown + 32).append(serviceId, 0, shown);
    }
    if (length > QUOTE_LENGTH) {
      sb.append("... (").append(length).append(" characters)");
    }
    return sb.toString();
  }
}
