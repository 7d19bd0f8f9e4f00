package dev.lodestar.discovery.balance;

import java.util.List;

/**
 * Turns an immutable set of endpoints into an immutable {@link Picker} (the gRPC-Java
 * LoadBalancer/SubchannelPicker split). The resolver calls {@link #newPicker} whenever the
 * routable set changes: a new snapshot, an ejection, a return from ejection, a slow-start step.
 *
 * <p>Built-in strategies come from the static factories; all of them honour {@link
 * Endpoint#weight()} where the description says so, take no lock and allocate nothing per pick.
 *
 * <p>Thread safety: implementations must be stateless or thread-safe; {@code newPicker} may be
 * called from any thread (never twice at once for the same service).
 */
public interface LoadBalancingStrategy {

  /**
   * Builds a picker.
   *
   * @param endpoints the routable endpoints, non-empty, in a stable order (sorted by instance id)
   * @param previous the picker this one replaces for the same service, or {@code null}; lets a
   *     strategy carry state such as a round-robin position across rebuilds
   * @return a picker over exactly these endpoints. Should this method throw or return null, the
   *     resolver logs it (at WARNING when it starts) and picks round-robin over the same endpoints
   *     until a later rebuild succeeds; the exception reaches no caller
   */
  Picker newPicker(List<Endpoint> endpoints, Picker previous);

  /** A short name for logs and status output, e.g. {@code round-robin}. */
  String name();

  /**
   * Round-robin. With equal weights the sequence is exact: every instance once per cycle, in
   * instance-id order. With unequal weights (slow start) it spreads picks in proportion to weight
   * with a low-discrepancy sequence. The position carries over across rebuilds.
   */
  static LoadBalancingStrategy roundRobin() {
    return Strategies.ROUND_ROBIN;
  }

  /** Uniform random choice, ignoring weights. */
  static LoadBalancingStrategy random() {
    return Strategies.RANDOM;
  }

  /**
   * Random choice in proportion to {@link Endpoint#weight()} (instance weight, e.g. the SRV
   * weight, times the slow-start ramp).
   */
  static LoadBalancingStrategy weightedRandom() {
    return Strategies.WEIGHTED_RANDOM;
  }

  /**
   * Power of two choices by calls in flight: picks two distinct endpoints at random (weighted)
   * and takes the one with fewer calls in flight relative to its weight. Learns only from the
   * outcome-reporting API ({@code select}/{@code call}).
   */
  static LoadBalancingStrategy leastInFlight() {
    return Strategies.LEAST_IN_FLIGHT;
  }

  /**
   * Latency-aware power of two choices with a peak-EWMA cost, as in Finagle: cost = latency
   * estimate x (in-flight + 1) / weight. A slow instance's estimate jumps to each slow sample and
   * decays over about ten seconds. Learns only from the outcome-reporting API. Over the
   * resolver's endpoints a pick reads no clock: the two candidates' estimates are compared as of
   * the later of their last samples, which orders them as comparing them now would (decay scales
   * both alike). Samples less than 1 ms apart are compared undecayed: the decay between them is
   * within 10^-4 of 1, so only two costs that close can come out in the other order.
   */
  static LoadBalancingStrategy peakEwma() {
    return Strategies.PEAK_EWMA;
  }

  /**
   * Sticky by affinity key with consistent hashing (a ring of virtual nodes per instance): a key
   * keeps its instance while that instance stays; when one of N instances leaves, only its own
   * share (about 1/N) of the keys moves. A null key falls back to round-robin. Weights and slow
   * start are ignored so that keys do not move while an instance ramps up.
   */
  static LoadBalancingStrategy sticky() {
    return Strategies.STICKY;
  }

  /**
   * A built-in strategy by its name, as configuration files spell it: {@code round-robin}, {@code
   * random}, {@code weighted-random}, {@code least-in-flight}, {@code peak-ewma}, {@code sticky}
   * (case and {@code _} for {@code -} do not matter).
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  static LoadBalancingStrategy named(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    switch (n) {
      case "round-robin":
        return roundRobin();
      case "random":
        return random();
      case "weighted-random":
        return weightedRandom();
      case "least-in-flight":
        return leastInFlight();
      case "peak-ewma":
        return peakEwma();
      case "sticky":
        return sticky();
      default:
        throw new IllegalArgumentException("unknown strategy '" + name
            + "' (known: round-robin, random, weighted-random, least-in-flight, peak-ewma, sticky)");
    }
  }
}
