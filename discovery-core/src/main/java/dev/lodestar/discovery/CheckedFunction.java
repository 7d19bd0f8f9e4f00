package dev.lodestar.discovery;

/**
 * A function that may throw a checked exception; the body of {@link ServiceResolver#call}.
 *
 * @param <T> the argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface CheckedFunction<T, R> {
  /** Applies the function. */
  R apply(T t) throws Exception;
}
