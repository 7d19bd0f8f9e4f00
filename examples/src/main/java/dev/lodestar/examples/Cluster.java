package dev.lodestar.examples;

import dev.lodestar.discovery.spi.ServiceSource;

/**
 * An embedded stand-in for the cluster's discovery service (Marathon or Mesos-DNS) that the demo
 * drives: it advertises the {@link AppInstance}s as tasks of one app and changes what it
 * advertises the way the real service would.
 */
interface Cluster extends AutoCloseable {

  /** {@code marathon} or {@code dns}. */
  String backend();

  /** Where the embedded server listens, for the output. */
  String address();

  /** A new source that reads this server; the resolver that receives it closes it. */
  ServiceSource newSource();

  /** A running task, advertised at once, with a passing health check. */
  void addHealthyTask(AppInstance app);

  /**
   * A task just launched: advertised as running, with no health result yet. Marathon's policy
   * keeps it out of rotation until {@link #healthCheckPassed}; Mesos-DNS ignores health.
   */
  void launchTask(AppInstance app);

  /** The task's first health check passed. */
  void healthCheckPassed(AppInstance app);

  /** The task's health check fails. Returns how the discovery service tells its clients. */
  String healthCheckFailed(AppInstance app);

  /** The task has ended ({@code TASK_FAILED} or {@code TASK_KILLED}) and is no longer listed. */
  void taskEnded(AppInstance app, String state);

  @Override
  void close();
}
