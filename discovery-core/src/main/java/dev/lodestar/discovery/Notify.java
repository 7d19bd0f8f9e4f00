package dev.lodestar.discovery;

import java.lang.System.Logger.Level;

/** Calls listeners so that a broken one is logged and never breaks the resolver. */
final class Notify {
  private static final System.Logger LOG = System.getLogger(ResolverListener.class.getName());
  /** The listener used when none is configured; compared by identity to skip work. */
  static final ResolverListener NONE = new ResolverListener() {};

  private Notify() {}

  static void run(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "a ResolverListener threw; ignored", e);
    }
  }
}
