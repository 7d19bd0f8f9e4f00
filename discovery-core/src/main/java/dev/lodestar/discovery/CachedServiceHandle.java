package dev.lodestar.discovery;

import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The resolver's {@link ServiceHandle}: it keeps the service's {@link ServiceHolder} and picks
 * from it directly. A holder dropped from the cache is retired (its picks return null), and the
 * handle then takes the resolver's current holder, loading the service again if needed.
 *
 * <p>Thread safety: {@link #holder} is written without coordination; any holder taken from the
 * resolver is a correct one, and a retired one only sends the next pick down the slow path.
 */
final class CachedServiceHandle implements ServiceHandle {
  private final DefaultServiceResolver resolver;
  private final String serviceId;
  private final LongSupplier ticker;
  /** Null until the first pick; then the latest holder the resolver gave out. */
  private volatile ServiceHolder holder;

  CachedServiceHandle(DefaultServiceResolver resolver, String serviceId, LongSupplier ticker) {
    this.resolver = resolver;
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
    this.ticker = ticker;
  }

  @Override
  public String serviceId() {
    return serviceId;
  }

  @Override
  public Instance pick() {
    return pick(null);
  }

  @Override
  public Instance pick(String affinityKey) {
    ServiceHolder h = holder;
    if (h != null) {
      Instance picked = h.pickInstance(affinityKey);
      if (picked != null) {
        return picked;
      }
    }
    return pickAfterLookup(affinityKey);
  }

  /** The slow path: first use, or the holder was dropped from the cache. */
  private Instance pickAfterLookup(String affinityKey) {
    for (int attempt = 0; attempt < 2; attempt++) {
      ServiceHolder h = resolver.holder(serviceId);
      holder = h;
      Instance picked = h.pickInstance(affinityKey);
      if (picked != null) {
        return picked;
      }
    }
    throw resolver.droppedWhilePicking(serviceId);
  }

  @Override
  public Selection select() {
    return select(null);
  }

  @Override
  public Selection select(String affinityKey) {
    ServiceHolder h = holder;
    if (h != null) {
      EndpointView view = h.pickView(affinityKey);
      if (view != null) {
        return new TrackedSelection(h, view, ticker);
      }
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      h = resolver.holder(serviceId);
      holder = h;
      EndpointView view = h.pickView(affinityKey);
      if (view != null) {
        return new TrackedSelection(h, view, ticker);
      }
    }
    throw resolver.droppedWhilePicking(serviceId);
  }

  @Override
  public <T> T call(CheckedFunction<Instance, T> call) throws Exception {
    return resolver.call(serviceId, call);
  }

  @Override
  public List<Instance> instances() {
    return resolver.instances(serviceId);
  }

  @Override
  public String toString() {
    return "ServiceHandle{" + serviceId + "}";
  }
}
