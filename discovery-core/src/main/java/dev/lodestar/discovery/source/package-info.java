/**
 * Sources that need no backend: {@link dev.lodestar.discovery.source.StaticSource} for tests and
 * fixed topologies, and {@link dev.lodestar.discovery.source.FailoverSource} to chain a primary
 * source with a fallback.
 */
package dev.lodestar.discovery.source;
