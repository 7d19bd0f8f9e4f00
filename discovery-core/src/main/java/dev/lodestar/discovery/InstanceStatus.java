package dev.lodestar.discovery;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the resolver knows about one instance at one moment: its source health, whether passive
 * health has ejected it, and the live feedback (calls in flight, latency estimate, failures in a
 * row). Part of {@link ServiceStatus}; meant for people and health endpoints, not for routing.
 *
 * <p>Thread safety: immutable value.
 */
public final class InstanceStatus {
  private final Instance instance;
  private final boolean routable;
  private final Duration ejectedFor;
  private final boolean onTrial;
  private final int inFlight;
  private final Duration latencyEstimate;
  private final int consecutiveFailures;

  InstanceStatus(Instance instance, boolean routable, Duration ejectedFor, boolean onTrial,
      int inFlight, Duration latencyEstimate, int consecutiveFailures) {
    this.instance = Objects.requireNonNull(instance, "instance");
    this.routable = routable;
    this.ejectedFor = ejectedFor;
    this.onTrial = onTrial;
    this.inFlight = inFlight;
    this.latencyEstimate = latencyEstimate;
    this.consecutiveFailures = consecutiveFailures;
  }

  /** The instance as the source listed it, with the source's health verdict. */
  public Instance instance() {
    return instance;
  }

  /** Whether the current picker may choose it (healthy or in panic mode, and not ejected). */
  public boolean routable() {
    return routable;
  }

  /** Whether passive health has ejected it. */
  public boolean ejected() {
    return ejectedFor != null;
  }

  /** How much longer the ejection lasts, if ejected. */
  public Optional<Duration> ejectedFor() {
    return Optional.ofNullable(ejectedFor);
  }

  /** Whether it returned from an ejection and has not succeeded since. */
  public boolean onTrial() {
    return onTrial;
  }

  /** Calls started through {@code select}/{@code call} and not finished. */
  public int inFlight() {
    return inFlight;
  }

  /** The peak-EWMA latency estimate; zero before the first reported success. */
  public Duration latencyEstimate() {
    return latencyEstimate;
  }

  /** Failed calls in a row. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  @Override
  public String toString() {
    return instance.address() + " " + instance.instanceId() + " " + instance.health()
        + (routable ? " routable" : " not-routable")
        + (ejectedFor != null ? " ejected(" + ejectedFor + " left)" : "")
        + (onTrial ? " on-trial" : "")
        + " inFlight=" + inFlight + " latency=" + latencyEstimate
        + (consecutiveFailures > 0 ? " failuresInARow=" + consecutiveFailures : "");
  }
}
