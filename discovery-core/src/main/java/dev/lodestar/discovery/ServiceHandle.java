package dev.lodestar.discovery;

import java.util.List;

/**
 * One service of a {@link ServiceResolver}, looked up once: {@code resolver.service("/my-app")}.
 * Keep the handle (in a field, for the life of the application) and pick through it; a pick
 * skips the service-id lookup that {@link ServiceResolver#pick(String)} does on every call and is
 * otherwise the same: the same strategy, state, health and outcome reporting, the same
 * exceptions.
 *
 * <p>Lifecycle: creating a handle loads nothing; the first pick loads the service as a first
 * {@code pick(id)} would (synchronously, bounded by the load timeout). The handle then follows
 * every snapshot change, ejection and rebuild, since it reads the service's current routing state
 * on each pick. Picks through a handle count as use, so a service in use does not idle-expire.
 * When the service is dropped from the cache anyway (idle expiry after the handle went unused,
 * {@code maxStaleness}, or the source saying it no longer exists), the handle notices on its next
 * pick and looks the service up again: that pick loads it afresh, exactly like a first {@code
 * pick(id)}, and fails the same way ({@link UnknownServiceException} if it is gone, {@link
 * DiscoveryUnavailableException} if the source cannot answer). A handle never goes stale and
 * never needs to be recreated. After {@link ServiceResolver#close()} its picks throw {@link
 * IllegalStateException}.
 *
 * <p>Thread safety: safe for concurrent use by any number of threads. {@link #pick()} and {@link
 * #pick(String)} take no lock and allocate nothing once the service is loaded; {@link #select()}
 * allocates its one ticket.
 */
public interface ServiceHandle {

  /** The service id this handle picks from. */
  String serviceId();

  /**
   * Picks a routable instance with the resolver's strategy.
   *
   * @throws UnknownServiceException if the source does not know the service
   * @throws NoInstanceAvailableException if nothing is routable (the state's shared, stackless
   *     exception)
   * @throws DiscoveryUnavailableException if the source cannot answer and nothing is cached
   * @see ServiceResolver#pick(String)
   */
  Instance pick();

  /**
   * Picks with an affinity key (see {@link ServiceResolver#pick(String, String)}).
   *
   * @param affinityKey a session or user id, for example; {@code null} means no affinity
   */
  Instance pick(String affinityKey);

  /**
   * Picks and returns the ticket on which the caller reports the outcome (see {@link
   * ServiceResolver#select(String)}).
   */
  Selection select();

  /** {@link #select()} with an affinity key. */
  Selection select(String affinityKey);

  /**
   * Picks, calls, reports and retries on another instance after a connection-level failure (see
   * {@link ServiceResolver#call(String, CheckedFunction)}).
   */
  <T> T call(CheckedFunction<Instance, T> call) throws Exception;

  /** Every instance of the current snapshot (see {@link ServiceResolver#instances(String)}). */
  List<Instance> instances();
}
