package dev.lodestar.discovery.balance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.Instance;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class StrategyTest {
  /** Chi-square critical value for 9 degrees of freedom at p = 1e-6: a false alarm is negligible. */
  private static final double CHI2_DF9_P1E6 = 42.0;

  static Stream<LoadBalancingStrategy> strategies() {
    return Stream.of(LoadBalancingStrategy.roundRobin(), LoadBalancingStrategy.random(),
        LoadBalancingStrategy.weightedRandom(), LoadBalancingStrategy.leastInFlight(),
        LoadBalancingStrategy.peakEwma(), LoadBalancingStrategy.sticky());
  }

  @ParameterizedTest
  @MethodSource("strategies")
  void contractEveryPickComesFromTheSetAndIsNeverNull(LoadBalancingStrategy strategy) {
    for (int n : new int[] {1, 2, 7}) {
      List<Endpoint> endpoints = FakeEndpoint.many(n);
      Picker picker = strategy.newPicker(endpoints, null);
      Picker rebuilt = strategy.newPicker(endpoints.subList(0, Math.max(1, n - 1)), picker);
      for (int i = 0; i < 1000; i++) {
        Endpoint e = picker.pick(i % 3 == 0 ? null : "key-" + i);
        assertNotNull(e);
        assertTrue(endpoints.contains(e));
        assertTrue(endpoints.contains(rebuilt.pick("key-" + i)));
        Instance instance = picker.pickInstance(i % 3 == 0 ? null : "key-" + i);
        assertTrue(endpoints.stream().anyMatch(x -> x.instance() == instance), "pickInstance");
      }
    }
    assertThrows(IllegalArgumentException.class, () -> strategy.newPicker(List.of(), null));
    assertNotNull(strategy.name());
  }

  @Test
  void roundRobinIsExact() {
    List<Endpoint> endpoints = FakeEndpoint.many(3);
    Picker picker = LoadBalancingStrategy.roundRobin().newPicker(endpoints, null);
    for (int cycle = 0; cycle < 1000; cycle++) {
      for (int i = 0; i < 3; i++) {
        // pick and pickInstance advance the same cycle
        Endpoint expected = endpoints.get(i);
        if ((cycle + i) % 2 == 0) {
          assertSame(expected, picker.pick(null), "cycle " + cycle + " position " + i);
        } else {
          assertSame(expected.instance(), picker.pickInstance(null), "cycle " + cycle + " " + i);
        }
      }
    }
  }

  @Test
  void roundRobinCarriesItsPositionAcrossRebuilds() {
    List<Endpoint> endpoints = FakeEndpoint.many(4);
    Picker first = LoadBalancingStrategy.roundRobin().newPicker(endpoints, null);
    first.pick(null);
    Picker second = LoadBalancingStrategy.roundRobin().newPicker(endpoints, first);
    assertSame(endpoints.get(1), second.pick(null));
  }

  @Test
  void roundRobinWithUnequalWeightsIsProportionalAndSpread() {
    List<Endpoint> endpoints = FakeEndpoint.many(3);
    ((FakeEndpoint) endpoints.get(0)).weight = 0.1; // a slow-starting instance
    Picker picker = LoadBalancingStrategy.roundRobin().newPicker(endpoints, null);
    Map<Endpoint, Integer> counts = count(picker, endpoints, 21_000);
    // Expected shares 0.1/2.1, 1/2.1, 1/2.1: the golden-ratio sequence is within 1% of them.
    assertEquals(1000, counts.get(endpoints.get(0)), 210);
    assertEquals(10_000, counts.get(endpoints.get(1)), 210);
    assertEquals(10_000, counts.get(endpoints.get(2)), 210);
  }

  @Test
  void randomPassesChiSquare() {
    List<Endpoint> endpoints = FakeEndpoint.many(10);
    Picker picker = LoadBalancingStrategy.random().newPicker(endpoints, null);
    int picks = 100_000;
    Map<Endpoint, Integer> counts = count(picker, endpoints, picks);
    double expected = picks / 10.0;
    double chi2 = 0;
    for (Endpoint e : endpoints) {
      double d = counts.getOrDefault(e, 0) - expected;
      chi2 += d * d / expected;
    }
    assertTrue(chi2 < CHI2_DF9_P1E6, "chi-square " + chi2);
  }

  @Test
  void weightedRandomFollowsWeights() {
    List<Endpoint> endpoints = FakeEndpoint.many(10);
    double total = 0;
    for (int i = 0; i < 10; i++) {
      ((FakeEndpoint) endpoints.get(i)).weight = i + 1;
      total += i + 1;
    }
    Picker picker = LoadBalancingStrategy.weightedRandom().newPicker(endpoints, null);
    int picks = 200_000;
    Map<Endpoint, Integer> counts = count(picker, endpoints, picks);
    double chi2 = 0;
    for (int i = 0; i < 10; i++) {
      double expected = picks * (i + 1) / total;
      double d = counts.getOrDefault(endpoints.get(i), 0) - expected;
      chi2 += d * d / expected;
    }
    assertTrue(chi2 < CHI2_DF9_P1E6, "chi-square " + chi2);
  }

  @Test
  void leastInFlightPrefersTheLessLoaded() {
    List<Endpoint> endpoints = FakeEndpoint.many(4);
    ((FakeEndpoint) endpoints.get(0)).inFlight = 10;
    ((FakeEndpoint) endpoints.get(1)).inFlight = 5;
    Picker picker = LoadBalancingStrategy.leastInFlight().newPicker(endpoints, null);
    Map<Endpoint, Integer> counts = count(picker, endpoints, 10_000);
    // Two distinct choices: the most loaded always loses, the second loses to both idle ones.
    assertEquals(0, counts.getOrDefault(endpoints.get(0), 0));
    assertTrue(counts.getOrDefault(endpoints.get(1), 0) < 2500, counts.toString());
    assertTrue(counts.get(endpoints.get(2)) > 3500, counts.toString());
    assertTrue(counts.get(endpoints.get(3)) > 3500, counts.toString());
  }

  @Test
  void peakEwmaAvoidsTheSlowInstance() {
    List<Endpoint> endpoints = FakeEndpoint.many(4);
    for (Endpoint e : endpoints) {
      ((FakeEndpoint) e).latency = 1_000_000; // 1 ms
    }
    ((FakeEndpoint) endpoints.get(0)).latency = 10_000_000; // 10x slower
    Picker picker = LoadBalancingStrategy.peakEwma().newPicker(endpoints, null);
    Map<Endpoint, Integer> counts = count(picker, endpoints, 10_000);
    assertEquals(0, counts.getOrDefault(endpoints.get(0), 0));
    // ... unless the fast ones are loaded enough that the slow one is cheaper.
    for (int i = 1; i < 4; i++) {
      ((FakeEndpoint) endpoints.get(i)).inFlight = 20;
    }
    assertTrue(count(picker, endpoints, 10_000).getOrDefault(endpoints.get(0), 0) > 4000);
  }

  @Test
  void stickyKeepsKeysAndMovesOnlyTheLeaversShare() {
    int n = 10;
    List<Endpoint> endpoints = FakeEndpoint.many(n);
    Picker picker = LoadBalancingStrategy.sticky().newPicker(endpoints, null);
    int keys = 20_000;
    Map<String, Endpoint> owner = new HashMap<>();
    for (int k = 0; k < keys; k++) {
      String key = "user-" + k;
      Endpoint e = picker.pick(key);
      owner.put(key, e);
      assertSame(e, picker.pick(key), "same key, same instance");
    }
    Map<Endpoint, Integer> load = new IdentityHashMap<>();
    owner.values().forEach(e -> load.merge(e, 1, Integer::sum));
    for (Endpoint e : endpoints) {
      // Balanced within +-35% with 100 virtual nodes each.
      assertEquals(keys / n, load.get(e), keys / n * 0.35, "keys on " + e);
    }

    Endpoint leaver = endpoints.get(3);
    List<Endpoint> remaining = new java.util.ArrayList<>(endpoints);
    remaining.remove(leaver);
    Picker after = LoadBalancingStrategy.sticky().newPicker(remaining, picker);
    int moved = 0;
    for (Map.Entry<String, Endpoint> entry : owner.entrySet()) {
      Endpoint now = after.pick(entry.getKey());
      if (entry.getValue() == leaver) {
        assertNotEquals(leaver, now);
        moved++;
      } else {
        assertSame(entry.getValue(), now, "a key not on the leaver must not move");
      }
    }
    double share = (double) moved / keys;
    assertEquals(1.0 / n, share, 0.035, "moved share");
  }

  /** Counts picks per endpoint; every other pick goes through {@link Picker#pickInstance}. */
  private static Map<Endpoint, Integer> count(Picker picker, List<Endpoint> endpoints, int picks) {
    Map<Instance, Endpoint> byInstance = new IdentityHashMap<>();
    endpoints.forEach(e -> byInstance.put(e.instance(), e));
    Map<Endpoint, Integer> counts = new IdentityHashMap<>();
    for (int i = 0; i < picks; i++) {
      Endpoint picked = i % 2 == 0 ? picker.pick(null) : byInstance.get(picker.pickInstance(null));
      counts.merge(picked, 1, Integer::sum);
    }
    return counts;
  }
}
