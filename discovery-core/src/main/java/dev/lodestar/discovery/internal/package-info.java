/**
 * Helpers shared by Lodestar's own modules: thread factories, argument checks, the URL failover
 * loop, exception unwrapping, the rule for a list that shrank too much at once. <strong>Not API:</strong> nothing here is covered by compatibility
 * promises; it is public only because Java packages cannot be shared between jars otherwise.
 * Applications must not use it; it may change or disappear in any release.
 */
package dev.lodestar.discovery.internal;
