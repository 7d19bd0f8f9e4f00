package dev.lodestar.agent.marathon;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until a generous deadline (the build machine is shared and loaded). */
final class Await {
  static final Duration DEADLINE = Duration.ofSeconds(30);

  private Await() {}

  static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + DEADLINE + ": " + what);
      }
      Thread.sleep(10);
    }
  }
}
