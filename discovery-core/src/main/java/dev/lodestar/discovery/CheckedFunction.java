package dev.lodestar.discovery;

/**
 * A function that may throw a checked exception; the body of {@link ServiceResolver#call}.
 *
 * <p>Thread safety: {@code call} may run it on the caller's thread only, once per attempt; it
 * needs no synchronization unless it shares state with other callers.
 *
 * @param <T> the argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface CheckedFunction<T, R> {
  /** Applies the function. */
  R apply(T t) throws Exception;
}
