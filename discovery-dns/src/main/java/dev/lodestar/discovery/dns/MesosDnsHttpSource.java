package dev.lodestar.discovery.dns;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.NoInstanceAvailableException;
import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.Failover;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.spi.ServiceSource;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link ServiceSource} that reads Mesos-DNS's HTTP API ({@code GET
 * /v1/services/{srv-name}}, port 8123 by default) instead of asking DNS: for networks where UDP/TCP
 * 53 is not reachable but HTTP is, or as a second source behind {@link MesosDnsSource}.
 *
 * <p>Service ids are turned into SRV names exactly as {@link MesosDnsSource} does (same options,
 * same defaults), and instances look the same: id {@code target:port}, the target's IPv4 address
 * (IPv6 when it has none), weight 1 (the API has no weight), health {@link HealthStatus#UNKNOWN}.
 * So switching between the two sources keeps instance ids, and with them per-instance statistics.
 *
 * <p>Mesos-DNS answers a miss with <b>200</b> and one all-empty row ({@code
 * [{"service":"","host":"","ip":"","port":""}]}), an unknown name and an app without running
 * tasks alike (and for an app that was removed). Such an answer completes the load with {@link
 * UnknownServiceException}, as {@link MesosDnsSource} does for NOERROR without SRV records and for
 * the same reason: a resolver then serves its last good snapshot for {@code unknownServiceGrace}
 * and drops the service after it, instead of keeping dead instances forever. Rows that are not
 * empty but of which none can be used complete it with {@link NoInstanceAvailableException}, so a
 * resolver keeps a good snapshot it has. The API has no TTL;
 * snapshots carry {@link Builder#ttl(Duration)} as their hint.
 *
 * <p>Failures: an HTTP status other than 200, an I/O error, a timeout or a document that is not
 * the expected JSON array moves on to the next URL; when every URL failed the load completes with
 * {@link DiscoveryUnavailableException}. The URL that answered last is tried first next time. Rows
 * with an empty address or a bad port are skipped and logged at WARNING. {@link #load(String)}
 * never throws and never blocks: requests go through {@link HttpClient#sendAsync}.
 *
 * <p>Thread safety: immutable after {@link Builder#build()}; safe for concurrent use.
 */
public final class MesosDnsHttpSource implements ServiceSource {
  private static final System.Logger LOG = System.getLogger(MesosDnsHttpSource.class.getName());
  private static final JsonFactory JSON = new JsonFactory();

  /** Default time-to-live hint of a snapshot: 60 seconds (Mesos-DNS's default TTL). */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);

  private final List<URI> urls;
  private final HttpClient client;
  private final Duration timeout;
  private final Duration ttl;
  private final SrvNaming naming;
  private final String name;
  private final Failover failover;
  private volatile boolean closed;

  private MesosDnsHttpSource(Builder b) {
    this.urls = List.copyOf(b.urls);
    this.timeout = b.timeout;
    this.ttl = b.ttl;
    this.client = b.client != null
        ? b.client
        : HttpClient.newBuilder().connectTimeout(b.timeout).build();
    this.naming = new SrvNaming(b.domain, b.framework, b.protocol, b.naming, b.addressing,
        b.portName);
    this.name = "mesos-dns-http" + urls;
    this.failover = new Failover(urls.size(), 1);
  }

  /** Starts a builder; at least one {@link Builder#url(String) url} is required. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletableFuture<ServiceSnapshot> load(String serviceId) {
    try {
      ServiceIds.check(serviceId); // before any query: /../x must not become /x
      if (closed) {
        throw new DiscoveryUnavailableException(serviceId, name + " is closed", null);
      }
      String srvName = naming.pathName(serviceId);
      return failover.run(index -> ask(serviceId, srvName, index), (failures, lastCause) ->
          new DiscoveryUnavailableException(serviceId,
              "Mesos-DNS HTTP API failed for " + srvName + ": " + failures, lastCause));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<Failover.Step<ServiceSnapshot>> ask(
      String serviceId, String srvName, int index) {
    URI base = urls.get(index);
    String prefix = base.toString().endsWith("/")
        ? base.toString().substring(0, base.toString().length() - 1)
        : base.toString();
    HttpRequest request = HttpRequest.newBuilder(URI.create(prefix + "/v1/services/" + srvName))
        .timeout(timeout)
        .header("Accept", "application/json")
        .GET()
        .build();
    return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .handle((response, error) -> {
          Throwable failure = error;
          if (failure == null) {
            try {
              if (response.statusCode() == 200) {
                return Failover.Step.done(parse(serviceId, srvName, response.body()));
              }
              failure = new IOException("HTTP " + response.statusCode());
            } catch (DiscoveryException e) {
              return Failover.Step.answeredWith(e);
            } catch (IOException | RuntimeException e) {
              failure = e;
            }
          }
          Throwable cause = Futures.unwrap(failure);
          LOG.log(Level.DEBUG, () -> srvName + " from " + base + " failed: " + cause);
          return Failover.Step.next(base + " " + cause, cause);
        });
  }

  private ServiceSnapshot parse(String serviceId, String srvName, byte[] body)
      throws IOException {
    Map<String, Instance> instances = new LinkedHashMap<>();
    int rows = 0;
    int misses = 0;
    try (JsonParser parser = JSON.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException("expected a JSON array");
      }
      while (parser.nextToken() == JsonToken.START_OBJECT) {
        Map<String, String> row = new HashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if (value == JsonToken.VALUE_NULL) {
            continue; // a null field reads as a missing one, as an empty string would
          }
          if (value.isScalarValue()) {
            row.put(field, parser.getValueAsString());
          } else {
            parser.skipChildren();
          }
        }
        rows++;
        if (!addRow(serviceId, row, instances)) {
          misses++;
        }
      }
      if (parser.currentToken() != JsonToken.END_ARRAY) {
        throw new IOException("expected the end of the JSON array");
      }
    }
    if (instances.isEmpty() && misses == rows) {
      throw new UnknownServiceException(serviceId, "Mesos-DNS lists nothing for " + srvName
          + " (its answer for an app it does not know, and for one that was removed or has no "
          + "running task)");
    }
    if (instances.isEmpty()) {
      throw new NoInstanceAvailableException(serviceId,
          "no usable row for " + srvName + " among " + rows + " (skipped rows are logged)");
    }
    return ServiceSnapshot.of(serviceId, instances.values(), "mesos-dns-http " + srvName, ttl);
  }

  /** Adds the row's instance, if it makes one; false for Mesos-DNS's all-empty miss marker. */
  private boolean addRow(String serviceId, Map<String, String> row, Map<String, Instance> out) {
    String host = row.getOrDefault("host", "");
    String ip = row.getOrDefault("ip", "");
    String port = row.getOrDefault("port", "");
    if (host.isEmpty() && ip.isEmpty() && port.isEmpty()) {
      return false;
    }
    String target = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    String id = target + ":" + port;
    Instance existing = out.get(id);
    if (existing != null && existing.host().indexOf(':') < 0) {
      return true; // one row per SRV x first A / first AAAA: keep the IPv4 one
    }
    try {
      int portNumber = Integer.parseInt(port);
      Instance.Builder builder = Instance.builder(serviceId, id, ip, portNumber)
          .health(HealthStatus.UNKNOWN);
      String portName = naming.portNameFor(serviceId);
      if (portName != null) {
        builder.namedPort(portName, portNumber);
      }
      Instance instance = builder.build();
      if (existing == null || instance.host().indexOf(':') < 0) {
        out.put(id, instance);
      }
    } catch (IllegalArgumentException e) { // includes NumberFormatException
      LOG.log(Level.WARNING, "{0}: skipping row {1}: {2}", serviceId, row, e.getMessage());
    }
    return true;
  }

  /** Marks the source closed; later loads fail. A client passed to the builder is not closed. */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return name;
  }

  /**
   * Configures a {@link MesosDnsHttpSource}. The naming options mean what they mean on {@link
   * MesosDnsSource.Builder}, with the same defaults. Setters check their input at once.
   *
   * <p>Thread safety: not thread-safe; configure from one thread, then {@link #build()}.
   */
  public static final class Builder {
    private final List<URI> urls = new ArrayList<>();
    private String domain = MesosDnsSource.DEFAULT_DOMAIN;
    private String framework = MesosDnsSource.DEFAULT_FRAMEWORK;
    private MesosDnsSource.Protocol protocol = MesosDnsSource.Protocol.TCP;
    private MesosDnsSource.Naming naming = MesosDnsSource.Naming.RFC1123;
    private MesosDnsSource.Addressing addressing = MesosDnsSource.Addressing.AGENT;
    private String portName;
    private Duration timeout = MesosDnsSource.DEFAULT_TIMEOUT;
    private Duration ttl = DEFAULT_TTL;
    private HttpClient client;

    private Builder() {}

    /**
     * Adds a Mesos-DNS HTTP endpoint, tried in the order added, e.g. {@code http://10.0.0.5:8123}.
     *
     * @throws IllegalArgumentException if it is not an absolute http or https URL
     */
    public Builder url(String url) {
      URI uri = URI.create(MesosDnsSource.Builder.requireText(url, "url"));
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw new IllegalArgumentException("url must be an absolute http(s) URL: " + url);
      }
      urls.add(uri);
      return this;
    }

    /** See {@link MesosDnsSource.Builder#domain(String)}. */
    public Builder domain(String domain) {
      String d = MesosDnsSource.Builder.requireText(domain, "domain");
      this.domain = d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
      return this;
    }

    /** See {@link MesosDnsSource.Builder#framework(String)}. */
    public Builder framework(String framework) {
      MesosDnsSource.builder().framework(framework); // same checks
      this.framework = framework.trim();
      return this;
    }

    /** See {@link MesosDnsSource.Builder#protocol(MesosDnsSource.Protocol)}. */
    public Builder protocol(MesosDnsSource.Protocol protocol) {
      this.protocol = Objects.requireNonNull(protocol, "protocol");
      return this;
    }

    /** See {@link MesosDnsSource.Builder#naming(MesosDnsSource.Naming)}. */
    public Builder naming(MesosDnsSource.Naming naming) {
      this.naming = Objects.requireNonNull(naming, "naming");
      return this;
    }

    /** See {@link MesosDnsSource.Builder#addressing(MesosDnsSource.Addressing)}. */
    public Builder addressing(MesosDnsSource.Addressing addressing) {
      this.addressing = Objects.requireNonNull(addressing, "addressing");
      return this;
    }

    /** See {@link MesosDnsSource.Builder#portName(String)}. */
    public Builder portName(String portName) {
      MesosDnsSource.builder().portName(portName); // same checks
      this.portName = portName.trim();
      return this;
    }

    /**
     * Sets the connect and request timeout per URL (default 2 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Checks.positive(timeout, "timeout");
      return this;
    }

    /**
     * Sets the time-to-live hint of every snapshot (default 60 s), since the API gives none.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder ttl(Duration ttl) {
      this.ttl = Checks.positive(ttl, "ttl");
      return this;
    }

    /**
     * Uses this client (for TLS or proxy settings) instead of a new one; the {@link
     * #timeout(Duration) timeout} still applies to each request.
     */
    public Builder httpClient(HttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Builds the source.
     *
     * @throws IllegalStateException if no URL is set, or {@code portName} is set without {@link
     *     MesosDnsSource.Addressing#TASK}
     */
    public MesosDnsHttpSource build() {
      if (urls.isEmpty()) {
        throw new IllegalStateException("at least one url is required");
      }
      if (portName != null && addressing != MesosDnsSource.Addressing.TASK) {
        throw new IllegalStateException(
            "portName needs addressing(TASK): Mesos-DNS publishes named ports only there");
      }
      return new MesosDnsHttpSource(this);
    }
  }
}
