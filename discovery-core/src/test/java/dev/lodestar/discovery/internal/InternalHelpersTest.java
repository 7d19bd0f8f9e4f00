package dev.lodestar.discovery.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The failover loop, unwrap and the argument checks that every module shares. */
class InternalHelpersTest {

  private static <T> Throwable failure(CompletableFuture<T> f) {
    return assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS)).getCause();
  }

  @Test
  void failoverTriesFromThePreferredEndpointAndPrefersTheOneThatAnswered() throws Exception {
    Failover failover = new Failover(3, 1);
    List<Integer> asked = new ArrayList<>();
    String answer = failover.<String>run(i -> {
      asked.add(i);
      return CompletableFuture.completedFuture(i == 1 ? Failover.Step.done("from " + i)
          : Failover.Step.next("e" + i + " down", new IOException("down")));
    }, (notes, cause) -> new IllegalStateException(notes, cause)).get(10, TimeUnit.SECONDS);
    assertEquals("from 1", answer);
    assertEquals(List.of(0, 1), asked);
    assertEquals(1, failover.preferred());

    asked.clear();
    failover.<String>run(i -> {
      asked.add(i);
      return CompletableFuture.completedFuture(Failover.Step.done("ok"));
    }, (notes, cause) -> new IllegalStateException(notes)).get(10, TimeUnit.SECONDS);
    assertEquals(List.of(1), asked, "the endpoint that answered last is asked first");
  }

  @Test
  void failoverExhaustedNamesEveryAttemptAndKeepsTheLastCause() {
    Failover failover = new Failover(2, 2);
    List<Integer> asked = new ArrayList<>();
    IOException refused = new IOException("refused");
    Throwable error = failure(failover.<String>run(i -> {
      asked.add(i);
      if (asked.size() == 1) {
        return CompletableFuture.failedFuture(new CompletionException(refused));
      }
      return CompletableFuture.completedFuture(Failover.Step.next("e" + i + " SERVFAIL", null));
    }, (notes, cause) -> new IllegalStateException(notes, cause)));
    assertEquals(List.of(0, 0, 1, 1), asked, "each endpoint gets its attempts in a row");
    assertEquals("java.io.IOException: refused; e0 SERVFAIL; e1 SERVFAIL; e1 SERVFAIL",
        error.getMessage());
    assertSame(refused, error.getCause(), "a note without a cause keeps the last cause");
    assertEquals(0, failover.preferred());
  }

  @Test
  void failoverStopsOnADefiniteAnswerAndPrefersOnlyAnEndpointThatAnswered() {
    Failover failover = new Failover(3, 1);
    IllegalStateException unknown = new IllegalStateException("unknown");
    assertSame(unknown, failure(failover.<String>run(i -> CompletableFuture.completedFuture(
        i == 0 ? Failover.Step.next("down", null) : Failover.Step.answeredWith(unknown)),
        (notes, cause) -> new AssertionError("not exhausted"))));
    assertEquals(1, failover.preferred());

    IllegalStateException auth = new IllegalStateException("401");
    List<Integer> asked = new ArrayList<>();
    assertSame(auth, failure(failover.<String>run(i -> {
      asked.add(i);
      return CompletableFuture.completedFuture(Failover.Step.stop(auth));
    }, (notes, cause) -> new AssertionError("not exhausted"))));
    assertEquals(List.of(1), asked);
    assertEquals(1, failover.preferred());
  }

  @Test
  void failoverCountsAThrownAttemptAsAFailedOne() throws Exception {
    Failover failover = new Failover(2, 1);
    String answer = failover.<String>run(i -> {
      if (i == 0) {
        throw new IllegalArgumentException("bad request");
      }
      return CompletableFuture.completedFuture(Failover.Step.done("ok"));
    }, (notes, cause) -> new AssertionError(notes)).get(10, TimeUnit.SECONDS);
    assertEquals("ok", answer);
  }

  @Test
  void unwrapStripsCompletionAndExecutionWrappersOnly() {
    IOException root = new IOException("root");
    assertSame(root, Futures.unwrap(new CompletionException(new ExecutionException(root))));
    CompletionException bare = new CompletionException("no cause", null);
    assertSame(bare, Futures.unwrap(bare));
    RuntimeException other = new RuntimeException(root);
    assertSame(other, Futures.unwrap(other));
  }

  @Test
  void checksNameTheArgument() {
    assertEquals(Duration.ofSeconds(1), Checks.positive(Duration.ofSeconds(1), "x"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Checks.positive(Duration.ZERO, "timeout")).getMessage().startsWith("timeout"));
    assertThrows(NullPointerException.class, () -> Checks.positive(null, "timeout"));
    assertEquals(Duration.ZERO, Checks.notNegative(Duration.ZERO, "grace"));
    assertThrows(IllegalArgumentException.class,
        () -> Checks.notNegative(Duration.ofMillis(-1), "grace"));
    assertEquals(0, Checks.atLeast(0, 0, "retries"));
    assertThrows(IllegalArgumentException.class, () -> Checks.atLeast(0, 1, "weight"));
    assertEquals(65535, Checks.port(65535, "port"));
    assertThrows(IllegalArgumentException.class, () -> Checks.port(0, "port"));
    assertThrows(IllegalArgumentException.class, () -> Checks.port(65536, "port"));
    Thread t = DaemonThreads.numbered("lodestar-test").newThread(() -> { });
    assertTrue(t.isDaemon());
    assertEquals("lodestar-test-1", t.getName());
  }
}
