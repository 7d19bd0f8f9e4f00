package dev.lodestar.discovery.balance;

import dev.lodestar.discovery.Instance;

/**
 * Picks one endpoint out of an immutable, non-empty set. Built by a {@link LoadBalancingStrategy}
 * for one snapshot and thrown away when the next snapshot arrives.
 *
 * <p>Contract: {@link #pick(String)} and {@link #pickInstance(String)} are lock-free and
 * allocation-free, never return null and never throw; they are called concurrently from any number
 * of threads.
 *
 * <p>Thread safety: implementations must be safe for concurrent use without locks.
 */
@FunctionalInterface
public interface Picker {

  /**
   * Picks an endpoint.
   *
   * @param affinityKey the caller's affinity key for sticky strategies, or {@code null}; other
   *     strategies ignore it
   * @return one of the endpoints the picker was built with
   */
  Endpoint pick(String affinityKey);

  /**
   * Picks as {@link #pick(String)} does and returns the picked endpoint's instance: what {@code
   * pick(affinityKey).instance()} returns, and the call the resolver makes when the caller wants
   * only the instance ({@code pick(id)}, {@code ServiceHandle.pick()}). The built-in round-robin
   * and random pickers override it to read the instance from an array of their own, so such a
   * pick never loads the endpoint object (a cache miss when picks cycle over many endpoints). An
   * override must advance the picker's state exactly as one {@code pick} would.
   *
   * @param affinityKey as for {@link #pick(String)}
   * @return the instance of one of the endpoints the picker was built with
   */
  default Instance pickInstance(String affinityKey) {
    return pick(affinityKey).instance();
  }
}
