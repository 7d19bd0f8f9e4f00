package dev.lodestar.discovery;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/** The outcome ticket: counts the call in flight until the first report. */
final class TrackedSelection implements Selection {
  private static final VarHandle DONE;

  static {
    try {
      DONE = MethodHandles.lookup().findVarHandle(TrackedSelection.class, "done", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final ServiceHolder holder;
  private final InstanceStats stats;
  private final Instance instance;
  private final LongSupplier ticker;
  private final long startNanos;
  @SuppressWarnings("unused") // written through DONE
  private volatile int done;

  TrackedSelection(ServiceHolder holder, EndpointView endpoint, LongSupplier ticker) {
    this.holder = holder;
    this.stats = endpoint.stats;
    this.instance = endpoint.instance;
    this.ticker = ticker;
    this.startNanos = ticker.getAsLong();
    stats.callStarted();
  }

  @Override
  public Instance instance() {
    return instance;
  }

  @Override
  public void success(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (finish()) {
      long nanos = Math.max(latency.toNanos(), 0);
      // Stamped at pick time + latency instead of reading the clock again (a clock read costs
      // about as much as the rest of the report).
      stats.observeLatency(nanos, startNanos + nanos);
      holder.onSuccess(stats);
      notifyFinished(latency, null);
    }
  }

  @Override
  public void success() {
    if (finish()) {
      long now = ticker.getAsLong();
      long nanos = Math.max(now - startNanos, 0);
      stats.observeLatency(nanos, now);
      holder.onSuccess(stats);
      notifyFinished(Duration.ofNanos(nanos), null);
    }
  }

  @Override
  public void failure(Throwable error) {
    Objects.requireNonNull(error, "error");
    if (finish()) {
      holder.onFailure(stats, error);
      notifyFinished(Duration.ofNanos(Math.max(ticker.getAsLong() - startNanos, 0)), error);
    }
  }

  @Override
  public void release() {
    finish();
  }

  private void notifyFinished(Duration latency, Throwable error) {
    ResolverListener listener = holder.listener;
    if (listener != Notify.NONE) {
      Notify.run(() -> listener.onCallFinished(instance, latency, error));
    }
  }

  private boolean finish() {
    if (DONE.compareAndSet(this, 0, 1)) {
      stats.callFinished();
      return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return "Selection{" + instance.address() + "}";
  }
}
