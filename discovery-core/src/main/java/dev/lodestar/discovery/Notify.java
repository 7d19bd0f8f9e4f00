package dev.lodestar.discovery;

import java.lang.System.Logger.Level;

/** Calls listeners so that a broken one is logged and never breaks the resolver. */
final class Notify {
  private static final System.Logger LOG = System.getLogger(ResolverListener.class.getName());
  /** The listener used when none is configured; compared by identity to skip work. */
  static final ResolverListener NONE = new ResolverListener() {};

  private Notify() {}

  /**
   * Runs {@code call}, logging what it throws: an Error too (an assertion in a test's callback,
   * a linkage error), which would otherwise go back into a source's thread and skip the other
   * deliveries queued with it; only a {@link VirtualMachineError} (out of memory) goes on.
   */
  static void run(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError) {
        throw e;
      }
      LOG.log(Level.WARNING, "a ResolverListener threw; ignored", e);
    }
  }
}
