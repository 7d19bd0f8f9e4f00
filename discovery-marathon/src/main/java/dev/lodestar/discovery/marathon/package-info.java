/**
 * Marathon backend for Lodestar: {@link dev.lodestar.discovery.marathon.MarathonSource} reads
 * apps and tasks from Marathon's REST API and follows its event stream.
 *
 * <p>Only {@code MarathonSource}, its builder, {@code MarathonHealthPolicy} and {@code
 * MarathonAuthenticationException} are public; parsing, event-stream framing and HTTP failover are
 * package-private.
 */
package dev.lodestar.discovery.marathon;
