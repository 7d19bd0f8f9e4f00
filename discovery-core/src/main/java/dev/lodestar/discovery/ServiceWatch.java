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
   * example after a failed first load); failures go to {@link ServiceWatcher#onError}. Returns at
   * once; the delivery runs on the resolver's executor.
   */
  void refresh();

  /** Stops the deliveries; the service may then idle-expire as usual. */
  @Override
  void close();
}
