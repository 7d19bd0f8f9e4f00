package dev.lodestar.discovery.balance;

import dev.lodestar.discovery.internal.Checks;
import java.time.Duration;
import java.util.Objects;

/**
 * How the resolver combines the source's health verdict with passive health (outlier ejection),
 * panic mode and slow start.
 *
 * <ul>
 *   <li><b>Source health</b>: an instance the source marks {@code UNHEALTHY} is never picked
 *       outside panic mode.
 *   <li><b>Ejection</b>: after {@link #consecutiveFailures()} failed calls in a row, or one
 *       connection-level failure ({@link java.net.ConnectException}, when {@link
 *       #ejectOnConnectionRefused()}), an instance is ejected for {@link #baseEjectionTime()} x
 *       the number of times it was ejected in a row, capped at {@link #maxEjectionTime()}. When the
 *       time is up it returns on trial: its next failure ejects it again (for longer), its next
 *       success clears its record. At most {@link #maxEjectionPercent()} of the service's
 *       instances the source calls routable (not {@code UNHEALTHY}) are ejected at once (at least
 *       one may always be ejected from two or more, unless the share is 0, which turns ejection
 *       off), and never the last of them not ejected:
 *       ejection alone never leaves a service without a routable instance.
 *   <li><b>Panic</b>: when the share of routable instances falls below {@link
 *       #panicThreshold()}, the picker either routes over every instance of the snapshot ({@link
 *       PanicMode#ROUTE_ALL}, as Envoy does) or fails ({@link PanicMode#FAIL}).
 *   <li><b>Slow start</b>: an instance that joins after the first snapshot ramps its weight
 *       linearly from 10% to 100% over {@link #slowStartWindow()} (zero disables it). Weighted
 *       strategies (round-robin, weighted random, least in flight, peak EWMA) honour the ramp.
 * </ul>
 *
 * <p>The resolver keeps one outlier detector per service that applies this policy (the class
 * {@code dev.lodestar.discovery.OutlierDetector}, package-private); the rules above are all of
 * its behaviour.
 *
 * <p>Thread safety: immutable.
 */
public final class HealthPolicy {
  /** Default: 5 consecutive failures eject. */
  public static final int DEFAULT_CONSECUTIVE_FAILURES = 5;
  /** Default base ejection time: 30 s. */
  public static final Duration DEFAULT_BASE_EJECTION_TIME = Duration.ofSeconds(30);
  /** Default maximum ejection time: 5 min. */
  public static final Duration DEFAULT_MAX_EJECTION_TIME = Duration.ofMinutes(5);
  /** Default maximum share of ejected instances: 50%. */
  public static final int DEFAULT_MAX_EJECTION_PERCENT = 50;
  /** Default panic threshold: 0 (panic only when no instance is routable). */
  public static final double DEFAULT_PANIC_THRESHOLD = 0.0;

  /** What a picker does when too few instances are routable. */
  public enum PanicMode {
    /** Route over every instance of the snapshot, ignoring health and ejections. */
    ROUTE_ALL,
    /** Fail with {@link dev.lodestar.discovery.NoInstanceAvailableException}. */
    FAIL
  }

  private static final HealthPolicy DEFAULTS = custom().build();

  private final int consecutiveFailures;
  private final boolean ejectOnConnectionRefused;
  private final Duration baseEjectionTime;
  private final Duration maxEjectionTime;
  private final int maxEjectionPercent;
  private final double panicThreshold;
  private final PanicMode panicMode;
  private final Duration slowStartWindow;

  private HealthPolicy(Builder b) {
    this.consecutiveFailures = b.consecutiveFailures;
    this.ejectOnConnectionRefused = b.ejectOnConnectionRefused;
    this.baseEjectionTime = b.baseEjectionTime;
    this.maxEjectionTime = b.maxEjectionTime;
    this.maxEjectionPercent = b.maxEjectionPercent;
    this.panicThreshold = b.panicThreshold;
    this.panicMode = b.panicMode;
    this.slowStartWindow = b.slowStartWindow;
  }

  /** The defaults described by the {@code DEFAULT_*} constants; panic mode {@code FAIL}. */
  public static HealthPolicy ofDefaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** A builder starting from this policy. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.consecutiveFailures = consecutiveFailures;
    b.ejectOnConnectionRefused = ejectOnConnectionRefused;
    b.baseEjectionTime = baseEjectionTime;
    b.maxEjectionTime = maxEjectionTime;
    b.maxEjectionPercent = maxEjectionPercent;
    b.panicThreshold = panicThreshold;
    b.panicMode = panicMode;
    b.slowStartWindow = slowStartWindow;
    return b;
  }

  /** Failed calls in a row that eject an instance; 0 disables failure counting. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** Whether one connection-level failure ejects at once. */
  public boolean ejectOnConnectionRefused() {
    return ejectOnConnectionRefused;
  }

  /** The first ejection's length; later ones in a row are multiples of it. */
  public Duration baseEjectionTime() {
    return baseEjectionTime;
  }

  /** The cap on one ejection's length. */
  public Duration maxEjectionTime() {
    return maxEjectionTime;
  }

  /**
   * The largest share, in percent (0..100), of a service's routable instances ejected at once.
   * Routable means not marked {@code UNHEALTHY} by the source; instances it marks unhealthy are
   * never routed outside panic mode, so they count neither in the total nor as ejected. The
   * share is rounded down, except that one of two or more may always be ejected when the share
   * is above 0 (0 ejects none); the last
   * routable instance not ejected is never ejected, whatever the share (so 100 allows all but
   * one).
   */
  public int maxEjectionPercent() {
    return maxEjectionPercent;
  }

  /** The routable share (0..1) below which panic mode starts. */
  public double panicThreshold() {
    return panicThreshold;
  }

  /** What happens in panic mode. */
  public PanicMode panicMode() {
    return panicMode;
  }

  /** How long a newly joined instance ramps up; zero when slow start is off. */
  public Duration slowStartWindow() {
    return slowStartWindow;
  }

  @Override
  public String toString() {
    return "HealthPolicy{consecutiveFailures=" + consecutiveFailures
        + ", ejectOnConnectionRefused=" + ejectOnConnectionRefused
        + ", baseEjectionTime=" + baseEjectionTime + ", maxEjectionTime=" + maxEjectionTime
        + ", maxEjectionPercent=" + maxEjectionPercent + ", panicThreshold=" + panicThreshold
        + ", panicMode=" + panicMode + ", slowStartWindow=" + slowStartWindow + "}";
  }

  /**
   * Builds a {@link HealthPolicy}; setters validate at once.
   *
   * <p>Thread safety: not thread-safe.
   */
  public static final class Builder {
    private int consecutiveFailures = DEFAULT_CONSECUTIVE_FAILURES;
    private boolean ejectOnConnectionRefused = true;
    private Duration baseEjectionTime = DEFAULT_BASE_EJECTION_TIME;
    private Duration maxEjectionTime = DEFAULT_MAX_EJECTION_TIME;
    private int maxEjectionPercent = DEFAULT_MAX_EJECTION_PERCENT;
    private double panicThreshold = DEFAULT_PANIC_THRESHOLD;
    private PanicMode panicMode = PanicMode.FAIL;
    private Duration slowStartWindow = Duration.ZERO;

    private Builder() {}

    /** @throws IllegalArgumentException if negative */
    public Builder consecutiveFailures(int n) {
      this.consecutiveFailures = Checks.atLeast(n, 0, "consecutiveFailures");
      return this;
    }

    /** Whether one connection-level failure ejects at once (default true). */
    public Builder ejectOnConnectionRefused(boolean eject) {
      this.ejectOnConnectionRefused = eject;
      return this;
    }

    /** @throws IllegalArgumentException if not positive */
    public Builder baseEjectionTime(Duration d) {
      this.baseEjectionTime = Checks.positive(d, "baseEjectionTime");
      return this;
    }

    /** @throws IllegalArgumentException if not positive */
    public Builder maxEjectionTime(Duration d) {
      this.maxEjectionTime = Checks.positive(d, "maxEjectionTime");
      return this;
    }

    /** @throws IllegalArgumentException if outside 0..100 */
    public Builder maxEjectionPercent(int percent) {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException("maxEjectionPercent must be in 0..100, was " + percent);
      }
      this.maxEjectionPercent = percent;
      return this;
    }

    /**
     * Sets the panic threshold and mode.
     *
     * @param threshold routable share in 0..1 below which panic starts
     * @throws IllegalArgumentException if the threshold is outside 0..1
     */
    public Builder panic(double threshold, PanicMode mode) {
      if (!(threshold >= 0.0 && threshold <= 1.0)) {
        throw new IllegalArgumentException("panic threshold must be in 0..1, was " + threshold);
      }
      this.panicThreshold = threshold;
      this.panicMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** @throws IllegalArgumentException if negative */
    public Builder slowStartWindow(Duration d) {
      this.slowStartWindow = Checks.notNegative(d, "slowStartWindow");
      return this;
    }

    /** @throws IllegalStateException if the maximum ejection time is below the base */
    public HealthPolicy build() {
      if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
        throw new IllegalStateException("maxEjectionTime " + maxEjectionTime
            + " is below baseEjectionTime " + baseEjectionTime);
      }
      return new HealthPolicy(this);
    }
  }
}
