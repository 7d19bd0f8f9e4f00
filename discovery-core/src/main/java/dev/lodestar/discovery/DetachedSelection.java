package dev.lodestar.discovery;

import java.time.Duration;

/**
 * The ticket for a call to an instance of a service the resolver no longer caches: reports are
 * accepted and ignored, as for an instance that left while its call ran.
 */
final class DetachedSelection implements Selection {
  private final Instance instance;

  DetachedSelection(Instance instance) {
    this.instance = instance;
  }

  @Override
  public Instance instance() {
    return instance;
  }

  @Override
  public void success(Duration latency) {}

  @Override
  public void success() {}

  @Override
  public void failure(Throwable error) {}

  @Override
  public void release() {}

  @Override
  public String toString() {
    return "Selection{" + instance.address() + ", detached}";
  }
}
