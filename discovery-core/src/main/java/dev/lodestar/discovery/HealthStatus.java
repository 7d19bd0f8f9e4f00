package dev.lodestar.discovery;

/**
 * The health verdict a {@link dev.lodestar.discovery.spi.ServiceSource source} gives an instance.
 *
 * <p>The resolver never picks an {@link #UNHEALTHY} instance outside panic mode. {@link #UNKNOWN}
 * instances (for example tasks whose health checks have not reported yet) are routable: a source
 * that wants them kept out must leave them out of the snapshot or mark them unhealthy, which lets
 * each source apply its own documented policy.
 *
 * <p>Thread safety: immutable enum.
 */
public enum HealthStatus {
  /**
   * The source reports the instance as healthy: its health checks pass, or (Marathon) it is
   * running and its app defines no checks.
   */
  HEALTHY,
  /** The source reports the instance as failing; it is not picked. */
  UNHEALTHY,
  /**
   * The source cannot tell (DNS has no health data; a Marathon task whose checks have no result
   * right after a leader election); it is picked. Each source's Javadoc says when it uses this.
   */
  UNKNOWN;

  /** Returns whether an instance with this verdict may receive traffic outside panic mode. */
  public boolean isRoutable() {
    return this != UNHEALTHY;
  }
}
