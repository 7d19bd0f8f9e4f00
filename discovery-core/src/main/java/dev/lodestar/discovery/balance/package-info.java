/**
 * Load balancing: {@link dev.lodestar.discovery.balance.LoadBalancingStrategy} builds an immutable
 * {@link dev.lodestar.discovery.balance.Picker} from a set of
 * {@link dev.lodestar.discovery.balance.Endpoint}s whenever the routable set changes;
 * {@link dev.lodestar.discovery.balance.HealthPolicy} configures ejection, panic mode and slow
 * start. Implement {@code LoadBalancingStrategy} to plug in your own strategy.
 */
package dev.lodestar.discovery.balance;
