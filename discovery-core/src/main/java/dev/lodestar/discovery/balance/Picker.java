package dev.lodestar.discovery.balance;

/**
 * Picks one endpoint out of an immutable, non-empty set. Built by a {@link LoadBalancingStrategy}
 * for one snapshot and thrown away when the next snapshot arrives.
 *
 * <p>Contract: {@link #pick(String)} is lock-free and allocation-free, never returns null and never
 * throws; it is called concurrently from any number of threads.
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
}
