package dev.lodestar.discovery;

import static dev.lodestar.discovery.TestInstances.instances;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the resolver does after and during {@code close()}: the class comment's contract. */
@Timeout(60)
class ResolverCloseTest {
  private static final String APP = "/app";
  private final ScriptedSource source = new ScriptedSource().answer(APP, instances(APP, 3));

  @Test
  void everyCallAfterCloseThrowsTheDocumentedException() throws Exception {
    ServiceResolver resolver = ServiceResolver.builder().source(source).build();
    resolver.pick(APP);
    Selection before = resolver.select(APP);
    resolver.close();
    resolver.close(); // idempotent

    for (String id : List.of(APP, "/never-loaded")) {
      assertClosed(() -> resolver.pick(id));
      assertClosed(() -> resolver.pick(id, "key"));
      assertClosed(() -> resolver.select(id));
      assertClosed(() -> resolver.instances(id));
      assertClosed(() -> resolver.call(id, instance -> instance));
      assertClosed(() -> resolver.watch(id, new ServiceWatcher() {
        @Override
        public void onSnapshot(ServiceSnapshot snapshot) {}

        @Override
        public void onError(DiscoveryException error) {}
      }));
      resolver.track(id, before.instance()).success(); // no effect, no exception
      assertTrue(resolver.status(id).isEmpty());
    }
    assertTrue(resolver.cachedServices().isEmpty());
    assertTrue(resolver.statuses().isEmpty());
    before.success(); // a ticket taken before close is accepted and ignored
    assertTrue(source.closed);
  }

  @Test
  void aLoadUnderWayWhenCloseRunsEndsWithTheSameExceptionAndCachesNothing() throws Exception {
    ServiceResolver resolver = ServiceResolver.builder().source(source).build();
    source.holdLoads = true;
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<Instance> pick = caller.submit(() -> resolver.pick(APP));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (source.pending.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      CompletableFuture<ServiceSnapshot> load = source.pending.get(0);
      resolver.close();
      load.complete(ServiceSnapshot.of(APP, instances(APP, 3), "scripted"));
      Exception e = assertThrows(Exception.class, () -> pick.get(30, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, e.getCause());
      assertEquals("resolver is closed", e.getCause().getMessage());
      assertTrue(resolver.cachedServices().isEmpty());
      assertClosed(() -> resolver.pick(APP));
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  void aLoadTheSourceNeverAnswersEndsAtCloseNotAtTheLoadTimeout() throws Exception {
    CountDownLatch loadStarted = new CountDownLatch(2);
    ScriptedSource silent = new ScriptedSource() {
      @Override
      public CompletableFuture<ServiceSnapshot> load(String serviceId) {
        CompletableFuture<ServiceSnapshot> never = new CompletableFuture<>();
        loadStarted.countDown();
        return never; // the answer is still on its way at close, and never comes
      }
    };
    // Far beyond this test's bounded waits: a pick that waits for it fails the test.
    ServiceResolver resolver = ServiceResolver.builder().source(silent)
        .loadTimeout(java.time.Duration.ofMinutes(10)).build();
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try {
      Future<Instance> first = callers.submit(() -> resolver.pick(APP));
      Future<Instance> other = callers.submit(() -> resolver.pick("/other"));
      assertTrue(loadStarted.await(30, TimeUnit.SECONDS), "both loads reached the source");
      resolver.close();
      for (Future<Instance> pick : List.of(first, other)) {
        Exception e = assertThrows(Exception.class, () -> pick.get(20, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, e.getCause(), "a pick waiting for a first"
            + " load at close ends with the closed exception (a TimeoutException here means it"
            + " was still waiting 20 s after close): " + e);
        assertEquals("resolver is closed", e.getCause().getMessage());
      }
      assertTrue(resolver.cachedServices().isEmpty());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void concurrentCloseDuringPicksIsClean() throws Exception {
    for (int round = 0; round < 20; round++) {
      ScriptedSource src = new ScriptedSource();
      for (int s = 0; s < 8; s++) {
        src.answer("/app" + s, instances("/app" + s, 3));
      }
      ServiceResolver resolver = ServiceResolver.builder().source(src).build();
      resolver.pick("/app0");
      int threads = 4;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch started = new CountDownLatch(threads);
      AtomicBoolean closed = new AtomicBoolean();
      AtomicInteger afterClose = new AtomicInteger();
      ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          started.countDown();
          for (int i = 0; i < 20_000 && afterClose.get() < 1_000; i++) {
            boolean wasClosed = closed.get();
            String id = "/app" + (i % 8);
            try {
              Instance instance = (i & 1) == 0 ? resolver.pick(id)
                  : resolver.call(id, x -> x);
              assertNotNull(instance);
              if (wasClosed) {
                unexpected.add(new AssertionError("picked " + instance + " after close"));
              }
            } catch (IllegalStateException e) {
              assertEquals("resolver is closed", e.getMessage());
              afterClose.incrementAndGet();
            } catch (Throwable e) {
              unexpected.add(e);
            }
          }
        }));
      }
      assertTrue(started.await(30, TimeUnit.SECONDS));
      resolver.close();
      closed.set(true);
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
      assertTrue(unexpected.isEmpty(), () -> "unexpected: " + unexpected);
      assertTrue(resolver.cachedServices().isEmpty());
      assertClosed(() -> resolver.pick("/app0"));
    }
  }

  @Test
  void aFailureFromTheSourcesThreadCarriesTheCallersStack() {
    ServiceResolver resolver = ServiceResolver.builder().source(source).build();
    try {
      source.holdLoads = true;
      Thread completer = new Thread(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (source.pending.isEmpty() && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        source.pending.get(0).completeExceptionally(new UnknownServiceException("/gone", "404"));
      }, "source-io");
      completer.start();
      UnknownServiceException e =
          assertThrows(UnknownServiceException.class, () -> resolver.pick("/gone"));
      assertTrue(hasFrame(e, "aFailureFromTheSourcesThreadCarriesTheCallersStack"),
          "the thrown exception shows the caller");
      assertInstanceOf(UnknownServiceException.class, e.getCause());
      assertSame(e.getMessage(), e.getCause().getMessage());
      assertEquals("/gone", e.serviceId());
      assertTrue(!hasFrame((Exception) e.getCause(),
          "aFailureFromTheSourcesThreadCarriesTheCallersStack"),
          "the cause is the source's own exception");
    } finally {
      resolver.close();
    }
  }

  private static boolean hasFrame(Exception e, String method) {
    for (StackTraceElement frame : e.getStackTrace()) {
      if (frame.getMethodName().equals(method)) {
        return true;
      }
    }
    return false;
  }

  private static void assertClosed(org.junit.jupiter.api.function.Executable call) {
    IllegalStateException e = assertThrows(IllegalStateException.class, call);
    assertEquals("resolver is closed", e.getMessage());
  }
}
