/**
 * Marathon backend for Lodestar: {@link dev.lodestar.discovery.marathon.MarathonSource} reads
 * apps and tasks from Marathon's REST API and follows its event stream.
 *
 * <p>Only {@code MarathonSource}, its builder, {@code MarathonHealthPolicy}, {@code
 * MarathonAuthenticationException} and {@code MarathonClient} (the HTTP layer below the source,
 * for programs that keep their own view of Marathon, like the per-host agent) are public; parsing,
 * event-stream framing and HTTP failover are package-private.
 */
package dev.lodestar.discovery.marathon;
