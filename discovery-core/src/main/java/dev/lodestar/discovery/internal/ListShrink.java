package dev.lodestar.discovery.internal;

/**
 * The one rule by which a source's list that shrank too much at once is not believed: a Marathon
 * leader answering before it loaded its state, or one restarted with empty state, lists no app or
 * a few with a 200. Used by the Marathon source's port index, the agent's mirror and the HAProxy
 * bridge, each of which keeps its last good list instead (how long is theirs to say). Not API (see
 * the package comment).
 *
 * <p>Thread safety: stateless.
 */
public final class ListShrink {
  private ListShrink() {}

  /**
   * Whether a list of {@code now} entries, coming after one of {@code before}, looks broken
   * rather than changed: it lost every entry, or more than half of them. Never after an empty or
   * absent list ({@code before <= 0}).
   */
  public static boolean suspicious(int before, int now) {
    return before > 0 && (now == 0 || now < before / 2);
  }
}
