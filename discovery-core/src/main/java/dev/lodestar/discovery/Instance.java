package dev.lodestar.discovery;

import dev.lodestar.discovery.internal.Checks;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One addressable instance of a service: a host and port plus what the source knows about it.
 *
 * <p>Instances are immutable values. {@link #equals(Object)} and {@link #hashCode()} use the
 * identity fields only (service id, instance id, host and port), so a health change does not make
 * an instance a different instance; per-instance state such as in-flight counts and latency
 * estimates is keyed by {@link #instanceId()} and survives snapshot rebuilds.
 *
 * <p>Thread safety: immutable and safe to share between threads.
 */
public final class Instance {
  private final String serviceId;
  private final String instanceId;
  private final String host;
  private final int port;
  /**
   * {@code host:port}, made on the first {@link #address()} call: most instances a large
   * snapshot holds are never addressed, and a Marathon resync builds 100,000 of them. Written
   * without synchronization, as {@link String#hashCode()} caches its hash: every thread computes
   * an equal string, and a string is safe to publish through a race.
   */
  private String address;
  private final Map<String, Integer> namedPorts;
  private final Map<String, String> labels;
  private final String zone;
  private final String region;
  private final HealthStatus health;
  private final int weight;

  private Instance(Builder b) {
    this.serviceId = b.serviceId;
    this.instanceId = b.instanceId;
    this.host = b.host;
    this.port = b.port;
    // Map.copyOf returns an already-immutable map as it is, so instances built from one shared
    // label map (a Marathon app's labels, for every task) share it instead of copying it.
    this.namedPorts = Map.copyOf(b.namedPorts);
    this.labels = Map.copyOf(b.labels);
    this.zone = b.zone;
    this.region = b.region;
    this.health = b.health;
    this.weight = b.weight;
  }

  /**
   * Starts a builder for an instance.
   *
   * @param serviceId the service this instance belongs to, e.g. {@code /my-app}
   * @param instanceId an id unique within the service and stable across refreshes (a Marathon
   *     task id, a DNS target and port)
   * @param host a host name or IP literal (IPv6 without brackets)
   * @param port a port in 1..65535
   * @throws IllegalArgumentException if an id or the host is blank, the host has a character no
   *     host name or IP literal has (whitespace, control, brackets, {@code / @ ? # \}), or the
   *     port is out of range
   */
  public static Builder builder(String serviceId, String instanceId, String host, int port) {
    return new Builder(serviceId, instanceId, host, port);
  }

  /** Shortcut for {@code builder(serviceId, host + ":" + port, host, port).build()}. */
  public static Instance of(String serviceId, String host, int port) {
    return builder(serviceId, host + ":" + port, host, port).build();
  }

  /** The service id this instance belongs to. */
  public String serviceId() {
    return serviceId;
  }

  /** An id unique within the service and stable for the instance's lifetime. */
  public String instanceId() {
    return instanceId;
  }

  /** Host name or IP literal (IPv6 literals have no brackets). */
  public String host() {
    return host;
  }

  /** The port selected by the source, in 1..65535. */
  public int port() {
    return port;
  }

  /**
   * {@code host:port}, with brackets around an IPv6 literal. Made on the first call and kept;
   * once kept, calls return it without allocating (threads racing on the very first call may
   * each make an equal string, and any of them may be the one kept).
   */
  public String address() {
    String a = address;
    if (a == null) {
      a = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
      address = a;
    }
    return a;
  }

  /** Ports by name (e.g. Marathon port names or SRV port names); immutable, possibly empty. */
  public Map<String, Integer> namedPorts() {
    return namedPorts;
  }

  /** The port with the given name, if the source knew one. */
  public Optional<Integer> namedPort(String name) {
    return Optional.ofNullable(namedPorts.get(name));
  }

  /** Labels from the source (Marathon app labels, for example); immutable, never null. */
  public Map<String, String> labels() {
    return labels;
  }

  /** Availability zone, when the source knows it. */
  public Optional<String> zone() {
    return Optional.ofNullable(zone);
  }

  /** Region, when the source knows it. */
  public Optional<String> region() {
    return Optional.ofNullable(region);
  }

  /** The source's health verdict. */
  public HealthStatus health() {
    return health;
  }

  /** Relative weight for weighted strategies, at least 1 (default 1; SRV weight for DNS). */
  public int weight() {
    return weight;
  }

  /** Returns a copy of this instance with another health verdict. */
  public Instance withHealth(HealthStatus health) {
    return toBuilder().health(health).build();
  }

  /** Returns a builder pre-filled with this instance's fields. */
  public Builder toBuilder() {
    Builder b = new Builder(serviceId, instanceId, host, port);
    b.namedPorts = namedPorts;
    b.labels = labels;
    b.zone = zone;
    b.region = region;
    b.health = health;
    b.weight = weight;
    return b;
  }

  /**
   * Returns whether every field, not just the identity fields, is equal. Used to drop refreshes
   * that changed nothing.
   */
  public boolean sameAs(Instance other) {
    return equals(other)
        && health == other.health
        && weight == other.weight
        && namedPorts.equals(other.namedPorts)
        && labels.equals(other.labels)
        && Objects.equals(zone, other.zone)
        && Objects.equals(region, other.region);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Instance)) {
      return false;
    }
    Instance that = (Instance) o;
    return port == that.port
        && serviceId.equals(that.serviceId)
        && instanceId.equals(that.instanceId)
        && host.equals(that.host);
  }

  @Override
  public int hashCode() {
    return Objects.hash(serviceId, instanceId, host, port);
  }

  @Override
  public String toString() {
    return "Instance{" + serviceId + " " + instanceId + " " + address() + " " + health
        + (weight != 1 ? " weight=" + weight : "") + "}";
  }

  /**
   * Builds an {@link Instance}. Setters validate at once.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final String serviceId;
    private final String instanceId;
    private final String host;
    private final int port;
    private Map<String, Integer> namedPorts = Map.of();
    private Map<String, String> labels = Map.of();
    /** Whether the maps above are this builder's own mutable copies (else shared immutables). */
    private boolean ownsNamedPorts;
    private boolean ownsLabels;
    private String zone;
    private String region;
    private HealthStatus health = HealthStatus.UNKNOWN;
    private int weight = 1;

    private Builder(String serviceId, String instanceId, String host, int port) {
      this.serviceId = requireNonBlank(serviceId, "serviceId");
      this.instanceId = requireNonBlank(instanceId, "instanceId");
      this.host = requireNonBlank(host, "host");
      if (!isHost(host)) {
        throw new IllegalArgumentException("invalid host '" + host + "'");
      }
      this.port = Checks.port(port, "port");
    }

    /**
     * Whether {@code host} can stand as the host of a URL or socket address: no whitespace or
     * control character, no brackets, and none of {@code / @ ? # \}, which would turn {@code
     * http://host:port/} into a URL for another host ({@code evil.example/x@} or {@code a@b}).
     * Letters, digits, {@code . - _ :} and an IPv6 zone's {@code %} pass; what a name server or
     * a URL parser makes of the rest is theirs to say.
     */
    private static boolean isHost(String host) {
      for (int i = 0; i < host.length(); i++) {
        char c = host.charAt(i);
        if (c <= ' ' || c == 0x7f || c == '/' || c == '@' || c == '?' || c == '#' || c == '['
            || c == ']' || c == '\\') {
          return false;
        }
      }
      return true;
    }

    /** Adds a named port. @throws IllegalArgumentException if the port is out of 1..65535 */
    public Builder namedPort(String name, int port) {
      requireNonBlank(name, "name");
      if (!Checks.isPort(port)) { // checked first: the message is built only on failure
        Checks.port(port, "port " + name);
      }
      if (namedPorts.isEmpty()) {
        // Most instances have one named port: an immutable one-entry map, which build() keeps
        // as it is, instead of a LinkedHashMap it would copy.
        namedPorts = Map.of(name, port);
        return this;
      }
      if (!ownsNamedPorts) {
        namedPorts = new LinkedHashMap<>(namedPorts);
        ownsNamedPorts = true;
      }
      namedPorts.put(name, port);
      return this;
    }

    /**
     * Adds labels. When these are the first labels and {@code labels} is an immutable map ({@link
     * Map#copyOf}, {@link Map#of}), the instance shares it instead of copying it: build one such
     * map per app and pass it to every instance of the app.
     *
     * @throws NullPointerException if a key or value is null
     */
    public Builder labels(Map<String, String> labels) {
      if (this.labels.isEmpty()) {
        this.labels = Map.copyOf(labels); // the same object when labels is already immutable
        ownsLabels = false;
      } else {
        for (Map.Entry<String, String> e : labels.entrySet()) {
          label(e.getKey(), e.getValue());
        }
      }
      return this;
    }

    /** Adds one label. */
    public Builder label(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (!ownsLabels) {
        labels = new LinkedHashMap<>(labels);
        ownsLabels = true;
      }
      labels.put(key, value);
      return this;
    }

    /** Sets the zone; {@code null} means unknown. */
    public Builder zone(String zone) {
      this.zone = zone;
      return this;
    }

    /** Sets the region; {@code null} means unknown. */
    public Builder region(String region) {
      this.region = region;
      return this;
    }

    /** Sets the source's health verdict (default {@link HealthStatus#UNKNOWN}). */
    public Builder health(HealthStatus health) {
      this.health = Objects.requireNonNull(health, "health");
      return this;
    }

    /** Sets the relative weight. @throws IllegalArgumentException if below 1 */
    public Builder weight(int weight) {
      this.weight = Checks.atLeast(weight, 1, "weight");
      return this;
    }

    /** Builds the immutable instance. */
    public Instance build() {
      return new Instance(this);
    }
  }

  static String requireNonBlank(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return value;
  }
}
