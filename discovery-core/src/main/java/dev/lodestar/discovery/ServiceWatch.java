package dev.lodestar.discovery;

/**
 * A registration made by {@link ServiceResolver#watch}. While registered, the service does not
 * leave the resolver's cache for being idle, so its snapshots keep coming.
 *
 * <p>Thread safety: safe for concurrent use; {@link #close()} is idempotent.
 */
public interface ServiceWatch extends AutoCloseable {

  /**
   * Delivers the current snapshot again, loading the service first if it is not cached (for
   * example after a failed first load); failures go to {@link ServiceWatcher#onError}. The
   * snapshot is delivered even if it is the one the watcher got last, but not if the watcher got
   * it (or an equal one) after this call, for example from the load this call triggered, nor if a
   * newer snapshot reached the watcher first. Returns at once; the delivery runs on the resolver's
   * executor.
   */
  void refresh();

  /** Stops the deliveries; the service may then idle-expire as usual. */
  @Override
  void close();
}
