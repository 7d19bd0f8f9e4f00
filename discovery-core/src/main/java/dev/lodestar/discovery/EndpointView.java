package dev.lodestar.discovery;

import dev.lodestar.discovery.balance.Endpoint;
import dev.lodestar.discovery.internal.StampedLatency;

/** An instance plus its live stats and its effective weight for one picker's lifetime. */
final class EndpointView implements Endpoint, StampedLatency {
  final Instance instance;
  final InstanceStats stats;
  private final double weight;

  EndpointView(Instance instance, InstanceStats stats, double weight) {
    this.instance = instance;
    this.stats = stats;
    this.weight = weight;
  }

  @Override
  public Instance instance() {
    return instance;
  }

  @Override
  public double weight() {
    return weight;
  }

  @Override
  public int inFlight() {
    return stats.inFlight();
  }

  @Override
  public double latencyEstimateNanos() {
    return stats.latencyEstimateNanos();
  }

  @Override
  public long latencyStampNanos() {
    return stats.latencyStampNanos();
  }

  @Override
  public double latencyEstimateNanosAtStamp() {
    return stats.latencyEstimateNanosAtStamp();
  }

  @Override
  public String toString() {
    return instance.address() + " w=" + weight + " inFlight=" + inFlight();
  }
}
