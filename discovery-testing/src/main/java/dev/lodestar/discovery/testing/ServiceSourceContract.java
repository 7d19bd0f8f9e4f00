package dev.lodestar.discovery.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link ServiceSource} as tests: every implementation's test class extends this
 * class, says how to build a source against a real (loopback) backend, and inherits the tests.
 *
 * <p>What it checks, per the interface's failure contract: a known service loads with exactly the
 * id the caller spelled and at least one instance of that service; an unknown service completes
 * with {@link UnknownServiceException}; an unreachable backend completes with another exception;
 * {@code load} never throws, not even for odd ids or after {@code close}; concurrent loads of one
 * service agree; {@code forget} then {@code load} works; {@code close} is idempotent; {@code
 * name()} is set. Like the resolver, the contract calls {@link ServiceSource#start} once before any
 * {@code load}.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * class MySourceContractTest extends ServiceSourceContract {
 *   protected ServiceSource newSource() { return MySource.builder().url(backend.url()).build(); }
 *   protected String knownServiceId() { return "/prod/web"; }
 * }
 * }</pre>
 *
 * <p>Thread safety: one instance per test method, as JUnit creates it; not for concurrent use.
 */
public abstract class ServiceSourceContract {
  private final List<ServiceSource> opened = new ArrayList<>();
  private ServiceSource source;

  /**
   * A new source against a backend that knows {@link #knownServiceId()} and does not know {@link
   * #unknownServiceId()}. Called once per test; the contract starts and closes it.
   */
  protected abstract ServiceSource newSource() throws Exception;

  /** A service the backend knows, with at least one usable instance. */
  protected abstract String knownServiceId();

  /** A well-formed service id the backend does not know. */
  protected String unknownServiceId() {
    return "/lodestar-contract/no-such-service";
  }

  /**
   * The error an unknown service completes with: {@link UnknownServiceException} as the interface
   * asks, unless the backend cannot tell an unknown service from one without instances (DNS
   * answers both with an empty NOERROR), in which case the subclass says which error it uses.
   */
  protected Class<? extends Throwable> unknownServiceError() {
    return UnknownServiceException.class;
  }

  /**
   * A new source whose backend cannot be reached (e.g. a closed loopback port), or null when the
   * source has no backend to lose; then the corresponding test is skipped.
   */
  protected ServiceSource newUnreachableSource() throws Exception {
    return null;
  }

  /** How long one load may take before the contract calls it hung. */
  protected Duration timeout() {
    return Duration.ofSeconds(20);
  }

  /**
   * The source under test, made and started at first use, so that the subclass's own {@code
   * BeforeEach} methods (which JUnit runs after this class's) have started its backend.
   */
  private ServiceSource source() throws Exception {
    if (source == null) {
      source = started(newSource());
    }
    return source;
  }

  @AfterEach
  final void closeSources() {
    for (ServiceSource s : opened) {
      s.close();
    }
  }

  private ServiceSource started(ServiceSource s) {
    assertNotNull(s, "newSource() returned null");
    opened.add(s);
    s.start(new SnapshotListener() {});
    return s;
  }

  private ServiceSnapshot await(CompletableFuture<ServiceSnapshot> future) throws Exception {
    assertNotNull(future, "load returned null instead of a future");
    try {
      return future.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("load did not complete within " + timeout(), e);
    }
  }

  private Throwable failure(CompletableFuture<ServiceSnapshot> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(future));
    return e.getCause();
  }

  @Test
  void aKnownServiceLoadsWithTheIdAsSpelledAndItsInstances() throws Exception {
    ServiceSnapshot snapshot = await(source().load(knownServiceId()));
    assertEquals(knownServiceId(), snapshot.serviceId());
    assertFalse(snapshot.instances().isEmpty(), "no instances for " + knownServiceId());
    for (Instance instance : snapshot.instances()) {
      assertEquals(knownServiceId(), instance.serviceId(), "instance of another service");
      assertTrue(instance.port() >= 1 && instance.port() <= 65535, "port " + instance.port());
      assertFalse(instance.host().isBlank(), "blank host");
    }
  }

  @Test
  void anUnknownServiceFailsWithUnknownServiceException() throws Exception {
    assertInstanceOf(unknownServiceError(), failure(source().load(unknownServiceId())));
  }

  @Test
  void anUnreachableBackendFailsTheLoadWithAnotherException() throws Exception {
    ServiceSource unreachable = newUnreachableSource();
    assumeTrue(unreachable != null, "this source has no backend to lose");
    Throwable error = failure(started(unreachable).load(knownServiceId()));
    assertFalse(error instanceof UnknownServiceException,
        "an unreachable backend is not proof that the service is unknown: " + error);
  }

  @Test
  void loadNeverThrowsWhateverTheId() throws Exception {
    for (String id : new String[] {"", " ", "/a b", "/../etc/passwd", "/x%2Fy", "/" + "x".repeat(300),
        "/ünïcode", "\u0000"}) {
      CompletableFuture<ServiceSnapshot> future = source().load(id);
      assertNotNull(future, "load(\"" + id + "\") returned null");
      try {
        future.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        // A failed load is fine; a thrown one or a hung one is not.
      } catch (Exception e) {
        throw new AssertionError("load(\"" + id + "\") did not complete: " + e, e);
      }
    }
  }

  @Test
  void concurrentLoadsOfOneServiceAgree() throws Exception {
    ServiceSource shared = source();
    List<CompletableFuture<ServiceSnapshot>> loads = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      loads.add(CompletableFuture.supplyAsync(() -> shared.load(knownServiceId()))
          .thenCompose(f -> f));
    }
    Set<String> first = addresses(await(loads.get(0)));
    for (CompletableFuture<ServiceSnapshot> load : loads) {
      assertEquals(first, addresses(await(load)));
    }
  }

  @Test
  void forgetThenLoadTracksTheServiceAgain() throws Exception {
    Set<String> before = addresses(await(source().load(knownServiceId())));
    source().forget(knownServiceId());
    source().forget(unknownServiceId());
    assertEquals(before, addresses(await(source().load(knownServiceId()))));
  }

  @Test
  void closeIsIdempotentAndALoadAfterCloseDoesNotThrow() throws Exception {
    source().close();
    source().close();
    CompletableFuture<ServiceSnapshot> future = source().load(knownServiceId());
    assertNotNull(future);
    try {
      future.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      // Failing is the expected answer of a closed source.
    } catch (Exception e) {
      throw new AssertionError("a load after close did not complete: " + e, e);
    }
  }

  @Test
  void nameIsSet() throws Exception {
    assertNotNull(source().name());
    assertFalse(source().name().isBlank(), "blank name");
  }

  private static Set<String> addresses(ServiceSnapshot snapshot) {
    Set<String> out = new TreeSet<>();
    for (Instance instance : snapshot.instances()) {
      out.add(instance.instanceId() + "@" + instance.address());
    }
    return out;
  }
}
