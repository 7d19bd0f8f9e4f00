package dev.lodestar.discovery;

import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;

/**
 * When a cached service leaves the resolver's cache: {@code idleExpiry} after its last use (a
 * pick, as maintenance records it, or a watcher), or {@code maxStaleness} after the source last
 * confirmed its snapshot, whichever comes first. Refreshes and pushes confirm a snapshot but are
 * not use: with Caffeine's {@code expireAfterAccess}, every {@code cache.put} of a refreshed
 * snapshot restarted the idle clock, so a service looked up once was polled for as long as the
 * resolver ran.
 *
 * <p>Thread safety: immutable; reads the holder's volatile use and confirmation times.
 */
final class ServiceExpiry implements Expiry<String, ServiceHolder> {
  private final long idleNanos;
  /** {@code Long.MAX_VALUE} when snapshots may be served for ever. */
  private final long stalenessNanos;

  ServiceExpiry(Duration idleExpiry, Duration maxStaleness) {
    this.idleNanos = saturatedNanos(idleExpiry);
    this.stalenessNanos = maxStaleness == null ? Long.MAX_VALUE : saturatedNanos(maxStaleness);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  @Override
  public long expireAfterCreate(String id, ServiceHolder holder, long now) {
    return remaining(holder, now);
  }

  @Override
  public long expireAfterUpdate(String id, ServiceHolder holder, long now, long current) {
    return remaining(holder, now);
  }

  @Override
  public long expireAfterRead(String id, ServiceHolder holder, long now, long current) {
    return remaining(holder, now);
  }

  /** Nanoseconds until the first of the two deadlines; never negative, no overflow. */
  private long remaining(ServiceHolder holder, long now) {
    long idleLeft = idleNanos - Math.max(now - holder.lastUsedNanos(), 0);
    long staleLeft = stalenessNanos == Long.MAX_VALUE
        ? Long.MAX_VALUE
        : stalenessNanos - Math.max(now - holder.confirmedNanos(), 0);
    return Math.max(Math.min(idleLeft, staleLeft), 0);
  }
}
