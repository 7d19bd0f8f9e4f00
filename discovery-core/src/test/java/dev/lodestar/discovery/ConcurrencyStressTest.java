package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.source.StaticSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many threads pick (by id, through a handle, and by select) while a writer replaces the
 * snapshot continuously. Every instance carries the generation of the snapshot it came from; a
 * pick must return the generation that was current when it started or a later one, minus at most
 * one (the snapshot being replaced as it reads).
 */
@Timeout(60)
class ConcurrencyStressTest {
  private static final String APP = "/stress";

  static List<LoadBalancingStrategy> strategies() {
    return List.of(LoadBalancingStrategy.roundRobin(), LoadBalancingStrategy.random(),
        LoadBalancingStrategy.weightedRandom(), LoadBalancingStrategy.leastInFlight(),
        LoadBalancingStrategy.peakEwma(), LoadBalancingStrategy.sticky());
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void picksAlwaysComeFromTheCurrentOrPreviousSnapshot(LoadBalancingStrategy strategy)
      throws Exception {
    StaticSource source = StaticSource.create();
    AtomicLong published = new AtomicLong();
    source.set(APP, generation(0, 5));
    int pickers = 4;
    Duration runFor = Duration.ofMillis(700);
    Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicLong picks = new AtomicLong();
    LongAdder livePicks = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).strategy(strategy)
        .build()) {
      resolver.pick(APP);
      ServiceHandle handle = resolver.service(APP);
      CountDownLatch done = new CountDownLatch(pickers);
      for (int t = 0; t < pickers; t++) {
        int thread = t;
        new Thread(() -> {
          try {
            long n = 0;
            while (!stop.get()) {
              long before = published.get();
              Instance instance;
              if (n % 3 == 0) {
                Selection s = resolver.select(APP, "key-" + (n % 50));
                instance = s.instance();
                if (n % 2 == 0) {
                  s.success(Duration.ofNanos(1000 + n % 7));
                } else {
                  s.release();
                }
              } else if (n % 3 == 1) {
                // The handle reads the holder's picker field as pick(id) does, without the
                // lookup: it must follow the same swaps.
                instance = thread % 2 == 0 ? handle.pick() : handle.pick("key-" + (n % 50));
              } else {
                instance = resolver.pick(APP, thread % 2 == 0 ? null : "key-" + (n % 50));
              }
              assertNotNull(instance);
              long gen = Long.parseLong(instance.labels().get("generation"));
              long after = published.get();
              if (gen < before - 1 || gen > after) {
                throw new AssertionError("generation " + gen + " outside [" + (before - 1)
                    + ", " + after + "]");
              }
              n++;
              livePicks.increment();
            }
            picks.addAndGet(n);
          } catch (Throwable e) {
            errors.add(e);
          } finally {
            done.countDown();
          }
        }, "picker-" + t).start();
      }
      // At least runFor, and until enough snapshots and picks happened: on a loaded machine the
      // time alone may not be enough (a count, not a timing, is what the test needs). Bounded.
      long start = System.nanoTime();
      long deadline = start + runFor.toNanos();
      long hardDeadline = start + TimeUnit.SECONDS.toNanos(30);
      long gen = 0;
      while (System.nanoTime() < hardDeadline
          && (System.nanoTime() < deadline || gen <= 100 || livePicks.sum() <= 1000)) {
        gen++;
        // Announced before it is pushed, so a picker that sees it has seen the announcement.
        published.set(gen);
        // Sizes vary so pickers see arrays of different lengths swap under them.
        source.set(APP, generation(gen, 1 + (int) (gen % 9)));
      }
      stop.set(true);
      assertTrue(done.await(10, TimeUnit.SECONDS));
      assertEquals(List.of(), new ArrayList<>(errors));
      assertTrue(gen > 100, "only " + gen + " snapshots published");
      assertTrue(picks.get() > 1000, "only " + picks.get() + " picks");
    }
  }

  private static List<Instance> generation(long gen, int size) {
    List<Instance> list = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      // Ids repeat across generations, so per-instance state is carried over while it churns.
      list.add(Instance.builder(APP, "task-" + (i + gen % 3), "10.2.0." + (i + 1), 8000 + i)
          .label("generation", Long.toString(gen)).build());
    }
    return list;
  }
}
