package dev.lodestar.agent;

import java.util.logging.LogManager;

/**
 * A {@link LogManager} that ignores {@link #reset()} once the JVM is shutting down. The JDK's own
 * shutdown hook resets logging, which races the agent's hooks: the proxy's graceful-shutdown lines
 * ("stopped accepting", "proxy stopped") would be lost. Installed by {@link LodestarCommand#main}
 * through {@code java.util.logging.manager} unless another manager is configured.
 *
 * <p>Thread safety: as {@link LogManager}.
 */
public final class ShutdownSafeLogManager extends LogManager {

  /** Called by {@link LogManager} through reflection. */
  public ShutdownSafeLogManager() {}

  @Override
  public void reset() {
    if (!shuttingDown()) {
      super.reset();
    }
  }

  /** Whether shutdown hooks are running: the JVM then refuses new ones. */
  private static boolean shuttingDown() {
    Thread probe = new Thread(() -> { });
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }
}
