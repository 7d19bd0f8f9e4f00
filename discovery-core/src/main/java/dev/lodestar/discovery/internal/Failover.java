package dev.lodestar.discovery.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/**
 * The one failover loop over a list of equivalent endpoints (Marathon URLs, Mesos-DNS name
 * servers or HTTP APIs): tries them in order starting at the preferred one (the last that
 * answered), each up to {@code attemptsPerEndpoint} times in a row, until one answers; remembers
 * the one that answered; if none does, fails with what every attempt got. Asynchronous: the next
 * attempt starts when the previous one's future completes, on the thread that completed it.
 * Not API (see the package comment).
 *
 * <p>Thread safety: safe for concurrent use; concurrent runs share only the preferred index.
 */
public final class Failover {
  private final int endpoints;
  private final int attemptsPerEndpoint;
  private final AtomicInteger preferred = new AtomicInteger();

  /**
   * @param endpoints how many endpoints there are (at least 1)
   * @param attemptsPerEndpoint attempts on one endpoint before the next (at least 1)
   */
  public Failover(int endpoints, int attemptsPerEndpoint) {
    this.endpoints = Checks.atLeast(endpoints, 1, "endpoints");
    this.attemptsPerEndpoint = Checks.atLeast(attemptsPerEndpoint, 1, "attemptsPerEndpoint");
  }

  /** The index of the endpoint tried first. */
  public int preferred() {
    return preferred.get();
  }

  /** Makes {@code index} the endpoint tried first. */
  public void prefer(int index) {
    preferred.set(index);
  }

  /** The endpoint index of attempt {@code attempt} (0-based) of a run that began at {@code first}. */
  public int endpointOf(int first, int attempt) {
    return (first + attempt / attemptsPerEndpoint) % endpoints;
  }

  /** What one attempt found; the attempt's own judgement of the endpoint's answer. */
  public static final class Step<T> {
    private final T value;
    private final Throwable error;
    private final boolean answered;
    private final boolean retry;
    private final String note;

    private Step(T value, Throwable error, boolean answered, boolean retry, String note) {
      this.value = value;
      this.error = error;
      this.answered = answered;
      this.retry = retry;
      this.note = note;
    }

    /** The endpoint answered: the run completes with {@code value}; the endpoint is preferred. */
    public static <T> Step<T> done(T value) {
      return new Step<>(value, null, true, false, null);
    }

    /**
     * The endpoint answered with a definite failure (e.g. unknown service): the run fails with
     * {@code error}, no other endpoint is asked, and the endpoint is preferred.
     */
    public static <T> Step<T> answeredWith(Throwable error) {
      return new Step<>(null, error, true, false, null);
    }

    /**
     * A failure no other endpoint would change (bad credentials, an oversized answer): the run
     * fails with {@code error}; the preferred endpoint stays.
     */
    public static <T> Step<T> stop(Throwable error) {
      return new Step<>(null, error, false, false, null);
    }

    /**
     * The endpoint failed (down, timed out, 5xx): the run goes on with the next attempt. {@code
     * note} (e.g. {@code "http://m1:8080: HTTP 503"}) joins the exhaustion message; {@code cause}
     * becomes the last cause unless it is null.
     */
    public static <T> Step<T> next(String note, Throwable cause) {
      return new Step<>(null, cause, false, true, note);
    }
  }

  /**
   * Runs attempts until one answers.
   *
   * @param attempt sends attempt number {@code i}'s request to endpoint {@link #endpointOf}; its
   *     future completes with a {@link Step}, or exceptionally, which counts as {@link
   *     Step#next} with the unwrapped exception as note and cause
   * @param exhausted builds the failure when every attempt failed, from the notes joined by
   *     {@code "; "} and the last non-null cause (may be null)
   * @return the first answer, or the failure
   */
  public <T> CompletableFuture<T> run(
      Attempt<T> attempt, BiFunction<String, Throwable, ? extends Throwable> exhausted) {
    CompletableFuture<T> result = new CompletableFuture<>();
    next(attempt, exhausted, preferred.get(), 0, new StringBuilder(), null, result);
    return result;
  }

  /** One attempt: the index of the endpoint to ask. */
  @FunctionalInterface
  public interface Attempt<T> {
    /** Asks endpoint {@code index}; must not throw (a thrown exception counts as a failed try). */
    CompletableFuture<Step<T>> send(int index);
  }

  private <T> void next(Attempt<T> attempt,
      BiFunction<String, Throwable, ? extends Throwable> exhausted, int first, int tried,
      StringBuilder notes, Throwable lastCause, CompletableFuture<T> result) {
    if (tried >= endpoints * attemptsPerEndpoint) {
      result.completeExceptionally(exhausted.apply(notes.toString(), lastCause));
      return;
    }
    int index = endpointOf(first, tried);
    CompletableFuture<Step<T>> sent;
    try {
      sent = attempt.send(index);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((step, error) -> {
      Step<T> s = step;
      if (error != null || s == null) {
        Throwable cause = error == null ? new IllegalStateException("no step") : Futures.unwrap(
            error);
        s = Step.next(String.valueOf(cause), cause);
      }
      if (s.retry) {
        if (notes.length() > 0) {
          notes.append("; ");
        }
        notes.append(s.note);
        next(attempt, exhausted, first, tried + 1, notes, s.error != null ? s.error : lastCause,
            result);
        return;
      }
      if (s.answered) {
        preferred.set(index);
      }
      if (s.error != null) {
        result.completeExceptionally(s.error);
      } else {
        result.complete(s.value);
      }
    });
  }
}
