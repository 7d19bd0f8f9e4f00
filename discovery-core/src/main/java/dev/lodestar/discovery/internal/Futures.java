package dev.lodestar.discovery.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Exception plumbing of {@code CompletableFuture} chains. Not API (see the package comment). */
public final class Futures {
  private Futures() {}

  /**
   * The failure a future chain carries: strips every {@link CompletionException} (what dependent
   * stages wrap errors in) and {@link ExecutionException} (what {@code get()} wraps them in) that
   * has a cause. Never null for a non-null argument.
   */
  public static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
