package dev.lodestar.agent.haproxy;

import dev.lodestar.agent.marathon.AppDefinition;
import java.util.List;

/**
 * The routable tasks of one app port, as Lodestar sees them (health results, blue/green drain).
 *
 * <p>Thread safety: implementations are called from one thread at a time, the bridge's render
 * thread, but must tolerate their data changing in between.
 */
interface ServerLookup {

  /** One routable task: its id and the address of the requested port slot. */
  record Target(String taskId, String host, int port) {}

  /**
   * The routable tasks of slot {@code slot} of {@code app}, in any order.
   *
   * @throws LookupException when they cannot be told (the app is unknown to the source, the
   *     slot has no service port to look it up by); the bridge leaves the backend out
   */
  List<Target> routable(AppDefinition app, int slot) throws LookupException;

  /** Why the routable tasks of an app port cannot be told. */
  final class LookupException extends Exception {
    private static final long serialVersionUID = 1L;

    LookupException(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }
}
