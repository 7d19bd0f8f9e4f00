/**
 * HTTP integration: {@link dev.lodestar.discovery.http.LoadBalancedHttpClient} sends the JDK's
 * {@link java.net.http.HttpRequest}s to {@code http://my-app/path}, resolving {@code my-app}
 * through a {@link dev.lodestar.discovery.ServiceResolver}, reporting each outcome back and
 * retrying idempotent requests once on another instance after connection-level failures. No
 * dependency beyond the JDK.
 */
package dev.lodestar.discovery.http;
