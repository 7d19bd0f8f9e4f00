/**
 * Lodestar's API: {@link dev.lodestar.discovery.ServiceResolver} resolves a service id to a live
 * {@link dev.lodestar.discovery.Instance}; {@link dev.lodestar.discovery.Selection} reports how a
 * call went; {@link dev.lodestar.discovery.ServiceStatus} shows what the resolver knows.
 *
 * <p>Nothing public in this package returns null; optional values are {@link java.util.Optional}.
 * Arguments are non-null unless a parameter's Javadoc says otherwise.
 */
package dev.lodestar.discovery;
