package dev.lodestar.discovery.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Lodestar's Spring Boot settings, under the prefix {@code lodestar}. Every duration takes Spring's
 * usual forms ({@code 30s}, {@code 5m}, ISO-8601). Unset values keep the library's defaults.
 *
 * <pre>
 * lodestar.marathon.urls=http://m1:8080,http://m2:8080
 * lodestar.strategy=peak-ewma
 * lodestar.services.checkout=/shop/checkout
 * </pre>
 *
 * <p>Thread safety: a mutable bean that Spring binds once at start-up; read it, don't change it,
 * after the context has started.
 */
@ConfigurationProperties(prefix = "lodestar")
public class LodestarProperties {

  /** Whether Lodestar's auto-configuration is on (default true). */
  private boolean enabled = true;

  /**
   * Load-balancing strategy: round-robin (default), random, weighted-random, least-in-flight,
   * peak-ewma or sticky.
   */
  private String strategy = "round-robin";

  /** Background refresh interval of a used service (library default 30 s). */
  private Duration refreshInterval;

  /** Bound on the first, synchronous load of a service (library default 5 s). */
  private Duration loadTimeout;

  /** A service unused for this long leaves the cache (library default 10 min). */
  private Duration idleExpiry;

  /** How long a cached service survives answers that call it unknown (library default 1 min). */
  private Duration unknownServiceGrace;

  /** Attempts in all for ServiceResolver.call (library default 3). */
  private Integer maxAttempts;

  /**
   * Spring service ids mapped to Lodestar service ids, e.g. {@code checkout=/shop/checkout}. An id
   * not listed maps the way Mesos-DNS names map to app ids, read backwards: {@code
   * checkout.shop} is {@code /shop/checkout}.
   */
  private Map<String, String> services = new LinkedHashMap<>();

  private final Marathon marathon = new Marathon();
  private final Dns dns = new Dns();
  private final Health health = new Health();
  private final LoadBalancer loadbalancer = new LoadBalancer();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getStrategy() {
    return strategy;
  }

  public void setStrategy(String strategy) {
    this.strategy = strategy;
  }

  public Duration getRefreshInterval() {
    return refreshInterval;
  }

  public void setRefreshInterval(Duration refreshInterval) {
    this.refreshInterval = refreshInterval;
  }

  public Duration getLoadTimeout() {
    return loadTimeout;
  }

  public void setLoadTimeout(Duration loadTimeout) {
    this.loadTimeout = loadTimeout;
  }

  public Duration getIdleExpiry() {
    return idleExpiry;
  }

  public void setIdleExpiry(Duration idleExpiry) {
    this.idleExpiry = idleExpiry;
  }

  public Duration getUnknownServiceGrace() {
    return unknownServiceGrace;
  }

  public void setUnknownServiceGrace(Duration unknownServiceGrace) {
    this.unknownServiceGrace = unknownServiceGrace;
  }

  public Integer getMaxAttempts() {
    return maxAttempts;
  }

  public void setMaxAttempts(Integer maxAttempts) {
    this.maxAttempts = maxAttempts;
  }

  public Map<String, String> getServices() {
    return services;
  }

  public void setServices(Map<String, String> services) {
    this.services = services;
  }

  public Marathon getMarathon() {
    return marathon;
  }

  public Dns getDns() {
    return dns;
  }

  public Health getHealth() {
    return health;
  }

  public LoadBalancer getLoadbalancer() {
    return loadbalancer;
  }

  /** {@code lodestar.marathon.*}: the Marathon backend (needs discovery-marathon). */
  public static class Marathon {
    /** Marathon base URLs, tried in order (leader failover). Setting one turns the backend on. */
    private List<String> urls = new ArrayList<>();
    /** HTTP basic-auth user. */
    private String username;
    /** HTTP basic-auth password. */
    private String password;
    /** DC/OS ACS token, sent as {@code Authorization: token=...}. */
    private String dcosToken;
    /** Whether to follow {@code /v2/events} (default true). */
    private Boolean eventStream;
    /** Polling interval when the event stream is off or down (library default 30 s). */
    private Duration pollInterval;
    /** Which port of a task to use, by index (default 0). */
    private Integer portIndex;
    /** Which port of a task to use, by port name; wins over port-index. */
    private String portName;
    /** Connect timeout (library default 3 s). */
    private Duration connectTimeout;
    /** Request timeout (library default 30 s). */
    private Duration requestTimeout;

    public List<String> getUrls() {
      return urls;
    }

    public void setUrls(List<String> urls) {
      this.urls = urls;
    }

    public String getUsername() {
      return username;
    }

    public void setUsername(String username) {
      this.username = username;
    }

    public String getPassword() {
      return password;
    }

    public void setPassword(String password) {
      this.password = password;
    }

    public String getDcosToken() {
      return dcosToken;
    }

    public void setDcosToken(String dcosToken) {
      this.dcosToken = dcosToken;
    }

    public Boolean getEventStream() {
      return eventStream;
    }

    public void setEventStream(Boolean eventStream) {
      this.eventStream = eventStream;
    }

    public Duration getPollInterval() {
      return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }

    public Integer getPortIndex() {
      return portIndex;
    }

    public void setPortIndex(Integer portIndex) {
      this.portIndex = portIndex;
    }

    public String getPortName() {
      return portName;
    }

    public void setPortName(String portName) {
      this.portName = portName;
    }

    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public Duration getRequestTimeout() {
      return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
    }

    @Override
    public String toString() {
      // Never the password or the token.
      return "Marathon[urls=" + urls + ", username=" + username + "]";
    }
  }

  /** {@code lodestar.dns.*}: the Mesos-DNS backend (needs discovery-dns). */
  public static class Dns {
    /** Name servers as host:port. Setting one turns the backend on. */
    private List<String> servers = new ArrayList<>();
    /** Mesos-DNS domain (default mesos). */
    private String domain;
    /** Framework name in SRV names (default marathon). */
    private String framework;
    /**
     * Port name to look up ({@code _name._task._tcp.marathon.mesos}, task addresses, where
     * Mesos-DNS publishes named ports); none by default (agent addresses).
     */
    private String portName;
    /** Query timeout per server (library default 2 s). */
    private Duration timeout;

    public List<String> getServers() {
      return servers;
    }

    public void setServers(List<String> servers) {
      this.servers = servers;
    }

    public String getDomain() {
      return domain;
    }

    public void setDomain(String domain) {
      this.domain = domain;
    }

    public String getFramework() {
      return framework;
    }

    public void setFramework(String framework) {
      this.framework = framework;
    }

    public String getPortName() {
      return portName;
    }

    public void setPortName(String portName) {
      this.portName = portName;
    }

    public Duration getTimeout() {
      return timeout;
    }

    public void setTimeout(Duration timeout) {
      this.timeout = timeout;
    }
  }

  /** {@code lodestar.health.*}: passive health (see the library's HealthPolicy). */
  public static class Health {
    /** Consecutive failures that eject an instance (library default 5). */
    private Integer consecutiveFailures;
    /** Whether a refused connection ejects at once (library default true). */
    private Boolean ejectOnConnectionRefused;
    /** First ejection time; it grows with repeated ejections (library default 30 s). */
    private Duration baseEjectionTime;
    /** Longest ejection (library default 5 min). */
    private Duration maxEjectionTime;
    /**
     * Most of a service's routable instances (those its source does not mark unhealthy) ejected
     * at once, in percent (library default 50); the last routable instance is never ejected.
     */
    private Integer maxEjectionPercent;
    /** Slow-start window for new instances; none by default. */
    private Duration slowStartWindow;

    public Integer getConsecutiveFailures() {
      return consecutiveFailures;
    }

    public void setConsecutiveFailures(Integer consecutiveFailures) {
      this.consecutiveFailures = consecutiveFailures;
    }

    public Boolean getEjectOnConnectionRefused() {
      return ejectOnConnectionRefused;
    }

    public void setEjectOnConnectionRefused(Boolean ejectOnConnectionRefused) {
      this.ejectOnConnectionRefused = ejectOnConnectionRefused;
    }

    public Duration getBaseEjectionTime() {
      return baseEjectionTime;
    }

    public void setBaseEjectionTime(Duration baseEjectionTime) {
      this.baseEjectionTime = baseEjectionTime;
    }

    public Duration getMaxEjectionTime() {
      return maxEjectionTime;
    }

    public void setMaxEjectionTime(Duration maxEjectionTime) {
      this.maxEjectionTime = maxEjectionTime;
    }

    public Integer getMaxEjectionPercent() {
      return maxEjectionPercent;
    }

    public void setMaxEjectionPercent(Integer maxEjectionPercent) {
      this.maxEjectionPercent = maxEjectionPercent;
    }

    public Duration getSlowStartWindow() {
      return slowStartWindow;
    }

    public void setSlowStartWindow(Duration slowStartWindow) {
      this.slowStartWindow = slowStartWindow;
    }
  }

  /** {@code lodestar.loadbalancer.*}: the Spring Cloud LoadBalancer integration. */
  public static class LoadBalancer {
    /** Whether Lodestar chooses the instance for {@code @LoadBalanced} clients (default true). */
    private boolean enabled = true;
    /** Whether an HTTP 5xx answer counts as a failure for passive health (default true). */
    private boolean serverErrorIsFailure = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public boolean isServerErrorIsFailure() {
      return serverErrorIsFailure;
    }

    public void setServerErrorIsFailure(boolean serverErrorIsFailure) {
      this.serverErrorIsFailure = serverErrorIsFailure;
    }
  }
}
