package dev.lodestar.discovery.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The even-spread bound of round-robin without one shared counter: over any run of picks, each
 * instance's count differs from the mean (picks / n) by at most the number of counters in use,
 * which is at most {@code min(threads, Cursors.STRIPES)}. Each counter cycles through the
 * instances on its own, so it gives every instance the floor or the ceiling of its picks / n.
 * A correctness test: counts are exact, whatever the scheduling; nothing is timed.
 */
class RoundRobinSpreadTest {
  private static final int PICKS = 1_000_000;

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 8})
  void everyInstanceIsWithinTheBoundOfTheMean(int threads) throws Exception {
    for (int n : new int[] {3, 7, 1000}) {
      List<Endpoint> endpoints = FakeEndpoint.many(n);
      Picker picker = LoadBalancingStrategy.roundRobin().newPicker(endpoints, null);
      int[] counts = run(picker, endpoints, threads, PICKS);
      int bound = Math.min(threads, Strategies.Cursors.STRIPES);
      assertWithin(counts, PICKS, bound, threads + " threads, " + n + " instances");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 8})
  void aRebuildAddsAtMostOnePartialCyclePerCounter(int threads) throws Exception {
    // Same endpoints, picker rebuilt (an ejection or a slow-start step elsewhere) between runs:
    // the counters carry over and each continues its own cycle, so a rebuild costs nothing.
    List<Endpoint> endpoints = FakeEndpoint.many(7);
    Picker picker = LoadBalancingStrategy.roundRobin().newPicker(endpoints, null);
    int[] total = new int[7];
    int rebuilds = 4;
    for (int r = 0; r < rebuilds; r++) {
      int[] counts = run(picker, endpoints, threads, PICKS / rebuilds);
      for (int i = 0; i < 7; i++) {
        total[i] += counts[i];
      }
      picker = LoadBalancingStrategy.roundRobin().newPicker(endpoints, picker);
    }
    // Each run starts new threads, which may land on other counters: the counters in use are
    // those of every thread that picked, at most STRIPES.
    int bound = Math.min(threads * rebuilds, Strategies.Cursors.STRIPES);
    assertWithin(total, PICKS, bound, "across " + rebuilds + " rebuilds");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 8})
  void anInstanceThatLeavesHandsItsShareToTheOthersEvenly(int threads) throws Exception {
    List<Endpoint> endpoints = FakeEndpoint.many(8);
    Picker picker = LoadBalancingStrategy.roundRobin().newPicker(endpoints, null);
    run(picker, endpoints, threads, 12_345);
    List<Endpoint> remaining = new ArrayList<>(endpoints.subList(1, 8));
    Picker rebuilt = LoadBalancingStrategy.roundRobin().newPicker(remaining, picker);
    int[] counts = run(rebuilt, remaining, threads, PICKS);
    // Positions carried over land anywhere in the new, shorter cycle: still one partial cycle
    // per counter at most.
    assertWithin(counts, PICKS, Math.min(threads, Strategies.Cursors.STRIPES),
        "after a snapshot change");
  }

  private static void assertWithin(int[] counts, int picks, int bound, String what) {
    double mean = (double) picks / counts.length;
    long sum = 0;
    double worst = 0;
    for (int c : counts) {
      sum += c;
      worst = Math.max(worst, Math.abs(c - mean));
    }
    assertEquals(picks, sum, what + ": every pick is counted");
    // Printed for the record (benchmarks/README quotes it); the bound is what is asserted.
    System.out.printf("round-robin spread, %s: %,d picks, worst deviation %.2f from the mean"
        + " %.2f (bound %d)%n", what, picks, worst, mean, bound);
    assertTrue(worst <= bound,
        what + ": worst deviation " + worst + " from the mean " + mean + " exceeds " + bound);
  }

  /** Runs {@code picks} picks split over {@code threads} threads; counts per endpoint index. */
  private static int[] run(Picker picker, List<Endpoint> endpoints, int threads, int picks)
      throws InterruptedException {
    Map<Endpoint, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < endpoints.size(); i++) {
      index.put(endpoints.get(i), i);
    }
    AtomicIntegerArray counts = new AtomicIntegerArray(endpoints.size());
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int share = picks / threads + (t < picks % threads ? 1 : 0);
      Thread worker = new Thread(() -> {
        int[] local = new int[endpoints.size()];
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int p = 0; p < share; p++) {
          local[index.get(picker.pick(null))]++;
        }
        for (int i = 0; i < local.length; i++) {
          counts.addAndGet(i, local[i]);
        }
      });
      worker.start();
      workers.add(worker);
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join(TimeUnit.MINUTES.toMillis(2));
      assertTrue(!worker.isAlive(), "worker finished");
    }
    int[] result = new int[endpoints.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = counts.get(i);
    }
    return result;
  }
}
