package dev.lodestar.discovery.dns;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.HealthStatus;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.NoInstanceAvailableException;
import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.internal.Futures;
import dev.lodestar.discovery.spi.ServiceSource;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A {@link ServiceSource} that finds instances through DNS SRV records, named the way <a
 * href="https://github.com/mesosphere/mesos-dns">Mesos-DNS</a> names Marathon tasks.
 *
 * <p><b>Service ids.</b> Callers use the same ids as with Marathon: {@code
 * /production/backend-services/worker} is asked as {@code
 * _worker-backend-services-production._tcp.marathon.slave.mesos.}, built exactly as Mesos-DNS
 * builds it (path reversed and joined by dots, then mangled to one RFC 1123 label, or an RFC 952
 * one with {@link Naming#RFC952}; the framework name is mangled part by part). An id that starts
 * with {@code _} is taken as a raw SRV name and asked as it is (a trailing dot is optional), so
 * Consul ({@code _web._tcp.service.consul}) or Kubernetes SRV names work too.
 *
 * <p><b>Agent or task addresses.</b> Mesos-DNS publishes two SRV names per task. {@link
 * Addressing#AGENT} (the default) asks {@code _task._tcp.marathon.slave.mesos}: agent IPs and host
 * ports, right for host and Docker-bridge networking. {@link Addressing#TASK} asks {@code
 * _task._tcp.marathon.mesos}: for tasks with a DiscoveryInfo (every Marathon task since 1.1) the
 * DiscoveryInfo ports on the task IP, right for IP-per-task networking, but wrong for Docker
 * bridge, where the task IP is the unroutable bridge address. AGENT is the default because a wrong
 * choice then fails loudly (an IP-per-task app has no host ports, so no records) instead of handing
 * out bridge IPs. Named ports ({@code _http._task._tcp...}) exist only in the task form, so {@link
 * Builder#portName(String)} needs {@link Addressing#TASK}.
 *
 * <p><b>Lookup.</b> The SRV answer is read in full: a UDP reply with the TC bit set is asked again
 * over TCP (Mesos-DNS cuts UDP replies at 512 bytes, about 8 records, and ignores EDNS0). Only the
 * records of the lowest priority whose targets resolve are used; each record becomes one instance
 * with id {@code target:port} (target without its trailing dot), the target's IPv4 address (its
 * IPv6 address when it has none) as host, the SRV weight as weight (0 counts as 1) and health
 * {@link HealthStatus#UNKNOWN}. Target addresses come from the additional section; targets it
 * lacks are asked with A, then AAAA queries. Nothing goes through {@link InetAddress}'s resolver or
 * its cache: name servers must be IP literals and every name is resolved with dnsjava.
 *
 * <p><b>TTL.</b> The snapshot's {@link ServiceSnapshot#ttl() ttl} is the smallest TTL of the
 * records used, clamped to {@link Builder#minTtl(Duration)} and {@link Builder#maxTtl(Duration)};
 * the resolver refreshes the service before it runs out.
 *
 * <p><b>Failures.</b> {@link #load(String)} never throws; its future completes exceptionally with
 *
 * <ul>
 *   <li>{@link UnknownServiceException} on NXDOMAIN, on NOERROR without SRV records, or for an id
 *       that mangles to an empty label. NOERROR without records is what Mesos-DNS answers for a
 *       name it does not know, and also for an app that was removed or scaled to zero (it never
 *       answers NXDOMAIN for those), so DNS cannot tell "gone" from "no task right now". Both are
 *       reported as unknown so that a resolver treats them as a vanished service: it keeps
 *       serving its last good snapshot for {@code unknownServiceGrace} (so a Mesos-DNS that
 *       briefly answers from an empty state, or a rolling restart that stops every task at once,
 *       empties nothing), then drops the service, after which picks fail with {@code
 *       UnknownServiceException} until the name has records again. Reporting it as "no instance"
 *       instead would keep the dead instances forever, since a resolver keeps its snapshot through
 *       failed refreshes;
 *   <li>{@link NoInstanceAvailableException} when SRV records exist but no target has an address
 *       (a broken answer: a resolver keeps a good snapshot it has);
 *   <li>{@link DiscoveryUnavailableException} when every name server failed (SERVFAIL, REFUSED,
 *       timeout, I/O error) for the SRV question or for a target's address, with the attempts in
 *       the message. Each server gets {@link Builder#retries(int) retries} + 1 attempts, then the
 *       next one is tried; the one that answered last is asked first next time.
 * </ul>
 *
 * <p>Records that cannot become an instance (target {@code .}, port 0) are skipped and logged
 * through {@link System.Logger} at WARNING.
 *
 * <p>Thread safety: immutable after {@link Builder#build()}; {@code load} may be called from any
 * number of threads at once. Replies are processed on the configured {@link
 * Builder#executor(Executor) executor}.
 *
 * <p>Length (~650 lines): 180 of them are documentation of the naming and failure rules above and
 * of the builder's options (the builder is 235 lines); the lookup itself is about 250.
 */
public final class MesosDnsSource implements ServiceSource {
  private static final System.Logger LOG = System.getLogger(MesosDnsSource.class.getName());

  /** Default Mesos-DNS domain: {@value}. */
  public static final String DEFAULT_DOMAIN = "mesos";
  /** Default framework name: {@value}. */
  public static final String DEFAULT_FRAMEWORK = "marathon";
  /** Default time to wait for one reply: 2 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  /** Default extra attempts per name server: {@value}. */
  public static final int DEFAULT_RETRIES = 1;
  /** Default cap on the TTL hint: 60 seconds (Mesos-DNS's own default TTL). */
  public static final Duration DEFAULT_MAX_TTL = Duration.ofSeconds(60);
  /** Default floor of the TTL hint: 1 second, so a TTL of 0 does not cause a refresh storm. */
  public static final Duration DEFAULT_MIN_TTL = Duration.ofSeconds(1);

  /**
   * How Mesos-DNS turns names into labels: its {@code enforceRFC952} setting.
   *
   * <p>Thread safety: immutable enum.
   */
  public enum Naming {
    /** Mesos-DNS's default: labels up to 63 characters, leading digits kept. */
    RFC1123,
    /** {@code enforceRFC952: true}: labels up to 24 characters, leading digits removed. */
    RFC952
  }

  /**
   * The protocol label of the SRV name ({@code _tcp} or {@code _udp}). It does not choose the
   * transport of the DNS queries.
   *
   * <p>Thread safety: immutable enum.
   */
  public enum Protocol {
    /** {@code _tcp}. */
    TCP,
    /** {@code _udp}. */
    UDP
  }

  /**
   * Which of Mesos-DNS's two SRV names a Marathon id is turned into; see the class documentation.
   *
   * <p>Thread safety: immutable enum.
   */
  public enum Addressing {
    /** {@code _task._tcp.framework.slave.domain}: agent IPs and host ports (host, bridge). */
    AGENT,
    /** {@code _task._tcp.framework.domain}: task IPs and DiscoveryInfo ports (IP-per-task). */
    TASK
  }

  private final NameServers nameServers;
  private final SrvNaming naming;
  private final Duration minTtl;
  private final Duration maxTtl;
  private final String name;
  private volatile boolean closed;

  private MesosDnsSource(Builder b, List<InetSocketAddress> servers) {
    this.nameServers = new NameServers(servers, b.timeout, b.retries, b.tcp, b.executor);
    this.naming = new SrvNaming(
        b.domain, b.framework, b.protocol, b.naming, b.addressing, b.portName);
    this.minTtl = b.minTtl;
    this.maxTtl = b.maxTtl;
    this.name = "mesos-dns" + nameServers.addresses();
  }

  /** Starts a builder with the defaults listed on its methods. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * Looks the service up; see the class documentation for the names asked and the failure
   * mapping. Never throws and never blocks: the queries run on dnsjava's asynchronous transport.
   */
  @Override
  public CompletableFuture<ServiceSnapshot> load(String serviceId) {
    CompletableFuture<ServiceSnapshot> result = new CompletableFuture<>();
    try {
      ServiceIds.check(serviceId); // before any query: /../x must not become /x
      if (closed) {
        throw new DiscoveryUnavailableException(serviceId, name + " is closed", null);
      }
      Name qname = naming.queryName(serviceId);
      nameServers.query(qname, Type.SRV)
          .thenCompose(reply -> fromSrvReply(serviceId, qname, reply))
          .whenComplete((snapshot, error) -> {
            if (error == null) {
              result.complete(snapshot);
            } else {
              result.completeExceptionally(mapFailure(serviceId, qname, error));
            }
          });
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
    return result;
  }

  /**
   * Marks the source closed; later loads fail. dnsjava's shared transport threads are left
   * running.
   */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return name;
  }

  /** The SRV name asked for a service id; see {@link SrvNaming#srvName(String)}. */
  String srvName(String serviceId) {
    return naming.srvName(serviceId);
  }

  private CompletableFuture<ServiceSnapshot> fromSrvReply(
      String serviceId, Name qname, Message reply) {
    if (reply.getRcode() == Rcode.NXDOMAIN) {
      return CompletableFuture.failedFuture(
          new UnknownServiceException(serviceId, "NXDOMAIN for SRV " + qname));
    }
    List<SRVRecord> srvs = new ArrayList<>();
    for (Record record : reply.getSection(Section.ANSWER)) {
      if (record instanceof SRVRecord && record.getName().equals(qname)) {
        srvs.add((SRVRecord) record);
      }
    }
    if (srvs.isEmpty()) {
      // Mesos-DNS's answer for a removed or scaled-to-zero app as well as an unknown one.
      return CompletableFuture.failedFuture(new UnknownServiceException(serviceId,
          "no SRV records for " + qname + " (Mesos-DNS answers so for an app it does not know, "
              + "and for one that was removed or has no running task)"));
    }
    Map<Name, Resolved> addresses = new LinkedHashMap<>();
    for (Record record : reply.getSection(Section.ADDITIONAL)) {
      addAddress(addresses, record);
    }
    TreeMap<Integer, List<SRVRecord>> byPriority = new TreeMap<>();
    for (SRVRecord srv : srvs) {
      byPriority.computeIfAbsent(srv.getPriority(), p -> new ArrayList<>()).add(srv);
    }
    return fromPriorityGroups(serviceId, qname, new ArrayList<>(byPriority.values()), 0, addresses);
  }

  // Uses the lowest priority group that yields at least one instance.
  private CompletableFuture<ServiceSnapshot> fromPriorityGroups(
      String serviceId,
      Name qname,
      List<List<SRVRecord>> groups,
      int index,
      Map<Name, Resolved> addresses) {
    if (index >= groups.size()) {
      return CompletableFuture.failedFuture(new NoInstanceAvailableException(
          serviceId, "no SRV target of " + qname + " has an address"));
    }
    List<SRVRecord> group = groups.get(index);
    Set<Name> missing = new LinkedHashSet<>();
    for (SRVRecord srv : group) {
      Name target = srv.getTarget();
      if (!target.equals(Name.root) && !addresses.containsKey(target)) {
        missing.add(target);
      }
    }
    List<CompletableFuture<Void>> lookups = new ArrayList<>();
    Map<Name, Resolved> found = new ConcurrentHashMap<>(addresses);
    for (Name target : missing) {
      lookups.add(resolveTarget(target).thenAccept(r -> {
        if (r != null) {
          found.put(target, r);
        }
      }));
    }
    return CompletableFuture.allOf(lookups.toArray(new CompletableFuture<?>[0]))
        .thenCompose(done -> {
          ServiceSnapshot snapshot = snapshot(serviceId, qname, group, found);
          if (snapshot.instances().isEmpty()) {
            return fromPriorityGroups(serviceId, qname, groups, index + 1, found);
          }
          return CompletableFuture.completedFuture(snapshot);
        });
  }

  private ServiceSnapshot snapshot(
      String serviceId, Name qname, List<SRVRecord> group, Map<Name, Resolved> addresses) {
    Map<String, Instance> instances = new LinkedHashMap<>();
    long ttl = Long.MAX_VALUE;
    for (SRVRecord srv : group) {
      Name target = srv.getTarget();
      if (target.equals(Name.root)) {
        LOG.log(Level.WARNING, "{0}: skipping {1}: target \".\" means no service", serviceId, srv);
        continue;
      }
      Resolved resolved = addresses.get(target);
      if (resolved == null) {
        LOG.log(Level.WARNING, "{0}: skipping {1}: the target has no A or AAAA record",
            serviceId, srv);
        continue;
      }
      String targetName = target.toString(true);
      String id = targetName + ":" + srv.getPort();
      if (instances.containsKey(id)) {
        continue;
      }
      try {
        Instance.Builder builder = Instance.builder(
                serviceId, id, resolved.address.getHostAddress(), srv.getPort())
            .weight(Math.max(1, srv.getWeight()))
            .health(HealthStatus.UNKNOWN);
        String portName = naming.portNameFor(serviceId);
        if (portName != null) {
          builder.namedPort(portName, srv.getPort());
        }
        instances.put(id, builder.build());
        ttl = Math.min(ttl, Math.min(srv.getTTL(), resolved.ttl));
      } catch (IllegalArgumentException e) {
        LOG.log(Level.WARNING, "{0}: skipping {1}: {2}", serviceId, srv, e.getMessage());
      }
    }
    Duration hint = Duration.ofSeconds(ttl == Long.MAX_VALUE ? 0 : ttl);
    if (hint.compareTo(minTtl) < 0) {
      hint = minTtl;
    }
    if (hint.compareTo(maxTtl) > 0) {
      hint = maxTtl;
    }
    return ServiceSnapshot.of(serviceId, instances.values(), "dns " + qname, hint);
  }

  // Completes with null when the target has no address (NXDOMAIN or empty for A and AAAA), and
  // exceptionally when the name servers failed, so a transient failure never shrinks a snapshot.
  private CompletableFuture<Resolved> resolveTarget(Name target) {
    return nameServers.query(target, Type.A).thenCompose(reply -> {
      Resolved a = firstAddress(reply, target);
      if (a != null) {
        return CompletableFuture.completedFuture(a);
      }
      return nameServers.query(target, Type.AAAA).thenApply(aaaa -> firstAddress(aaaa, target));
    });
  }

  private static Resolved firstAddress(Message reply, Name target) {
    Map<Name, Resolved> map = new LinkedHashMap<>();
    for (Record record : reply.getSection(Section.ANSWER)) {
      if (record.getName().equals(target)) {
        addAddress(map, record);
      }
    }
    return map.get(target);
  }

  // Keeps the first A of a name, or its first AAAA when it has no A.
  private static void addAddress(Map<Name, Resolved> addresses, Record record) {
    if (record instanceof ARecord) {
      Resolved current = addresses.get(record.getName());
      if (current == null || !current.ipv4) {
        addresses.put(record.getName(),
            new Resolved(((ARecord) record).getAddress(), record.getTTL(), true));
      }
    } else if (record instanceof AAAARecord) {
      addresses.putIfAbsent(record.getName(),
          new Resolved(((AAAARecord) record).getAddress(), record.getTTL(), false));
    }
  }

  private Throwable mapFailure(String serviceId, Name qname, Throwable error) {
    Throwable cause = Futures.unwrap(error);
    if (cause instanceof dev.lodestar.discovery.DiscoveryException) {
      return cause;
    }
    return new DiscoveryUnavailableException(serviceId,
        "DNS lookup of " + qname + " failed: " + cause.getMessage(), cause);
  }

  private static final class Resolved {
    final InetAddress address;
    final long ttl;
    final boolean ipv4;

    Resolved(InetAddress address, long ttl, boolean ipv4) {
      this.address = address;
      this.ttl = ttl;
      this.ipv4 = ipv4;
    }
  }

  /**
   * Configures a {@link MesosDnsSource}. Setters check their input at once.
   *
   * <p>Thread safety: not thread-safe; configure from one thread, then {@link #build()}.
   */
  public static final class Builder {
    private final List<InetSocketAddress> servers = new ArrayList<>();
    private String domain = DEFAULT_DOMAIN;
    private String framework = DEFAULT_FRAMEWORK;
    private Protocol protocol = Protocol.TCP;
    private Naming naming = Naming.RFC1123;
    private Addressing addressing = Addressing.AGENT;
    private String portName;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int retries = DEFAULT_RETRIES;
    private boolean tcp;
    private Duration minTtl = DEFAULT_MIN_TTL;
    private Duration maxTtl = DEFAULT_MAX_TTL;
    private Executor executor = ForkJoinPool.commonPool();

    private Builder() {}

    /**
     * Adds a name server, asked in the order added. Default: the system's resolvers as dnsjava's
     * {@link ResolverConfig} finds them.
     *
     * @param hostPort an IP literal with an optional port: {@code 10.0.0.5:8053}, {@code
     *     10.0.0.5} (port 53), {@code [fd00::1]:8053}; host names are refused so that no lookup
     *     goes through the JVM's resolver
     * @throws IllegalArgumentException if it is not an IP literal or the port is out of range
     */
    public Builder nameServer(String hostPort) {
      servers.add(parseServer(Objects.requireNonNull(hostPort, "hostPort")));
      return this;
    }

    /** Adds several name servers; see {@link #nameServer(String)}. */
    public Builder nameServers(List<String> hostPorts) {
      Objects.requireNonNull(hostPorts, "hostPorts").forEach(this::nameServer);
      return this;
    }

    /**
     * Sets the Mesos-DNS domain (default {@value #DEFAULT_DOMAIN}); a trailing dot is ignored.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder domain(String domain) {
      String d = requireText(domain, "domain");
      this.domain = d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
      return this;
    }

    /**
     * Sets the framework name as Mesos knows it (default {@value #DEFAULT_FRAMEWORK}; Marathon's
     * {@code --framework_name}); it is mangled the way Mesos-DNS mangles it.
     *
     * @throws IllegalArgumentException if blank or if it mangles to nothing
     */
    public Builder framework(String framework) {
      String f = requireText(framework, "framework");
      if (Labels.domainFragment(f, Naming.RFC952).isEmpty()
          || Labels.domainFragment(f, Naming.RFC1123).isEmpty()) {
        throw new IllegalArgumentException("framework '" + f + "' has no DNS name");
      }
      this.framework = f;
      return this;
    }

    /** Sets the SRV protocol label (default {@link Protocol#TCP}). */
    public Builder protocol(Protocol protocol) {
      this.protocol = Objects.requireNonNull(protocol, "protocol");
      return this;
    }

    /** Sets the label rules Mesos-DNS runs with (default {@link Naming#RFC1123}). */
    public Builder naming(Naming naming) {
      this.naming = Objects.requireNonNull(naming, "naming");
      return this;
    }

    /** Chooses agent or task addresses (default {@link Addressing#AGENT}); see the class docs. */
    public Builder addressing(Addressing addressing) {
      this.addressing = Objects.requireNonNull(addressing, "addressing");
      return this;
    }

    /**
     * Asks the named DiscoveryInfo port ({@code _http._task._tcp.marathon.mesos}) instead of all
     * ports; the port also appears under this name in {@link Instance#namedPorts()}. Needs {@link
     * Addressing#TASK}. Default: none. Raw SRV ids are asked as given.
     *
     * @throws IllegalArgumentException if blank or if it mangles to nothing
     */
    public Builder portName(String portName) {
      String p = requireText(portName, "portName");
      if (Labels.label(p, Naming.RFC952).isEmpty() || Labels.label(p, Naming.RFC1123).isEmpty()) {
        throw new IllegalArgumentException("port name '" + p + "' has no DNS label");
      }
      this.portName = p;
      return this;
    }

    /**
     * Sets how long to wait for one reply (default 2 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Checks.positive(timeout, "timeout");
      return this;
    }

    /**
     * Sets how many times a name server is asked again before the next one is tried (default
     * {@value #DEFAULT_RETRIES}).
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder retries(int retries) {
      this.retries = Checks.atLeast(retries, 0, "retries");
      return this;
    }

    /**
     * Asks every question over TCP (default false: UDP, and TCP only when a reply is truncated).
     * Saves a round trip for services with more than about 8 instances.
     */
    public Builder useTcp(boolean tcp) {
      this.tcp = tcp;
      return this;
    }

    /**
     * Caps the TTL hint handed to the resolver (default 60 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxTtl(Duration maxTtl) {
      this.maxTtl = Checks.positive(maxTtl, "maxTtl");
      return this;
    }

    /**
     * Sets the smallest TTL hint handed to the resolver (default 1 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder minTtl(Duration minTtl) {
      this.minTtl = Checks.positive(minTtl, "minTtl");
      return this;
    }

    /**
     * Sets the executor that processes replies and completes the futures (default {@link
     * ForkJoinPool#commonPool()}); I/O itself runs on dnsjava's selector thread.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Builds the source.
     *
     * @throws IllegalStateException if {@link #portName(String)} is set without {@link
     *     Addressing#TASK}, if {@code minTtl} exceeds {@code maxTtl}, or if no name server is
     *     configured and the system has none
     */
    public MesosDnsSource build() {
      if (portName != null && addressing != Addressing.TASK) {
        throw new IllegalStateException(
            "portName needs addressing(TASK): Mesos-DNS publishes named ports only there");
      }
      if (minTtl.compareTo(maxTtl) > 0) {
        throw new IllegalStateException("minTtl " + minTtl + " exceeds maxTtl " + maxTtl);
      }
      List<InetSocketAddress> list = new ArrayList<>(servers);
      if (list.isEmpty()) {
        list.addAll(ResolverConfig.getCurrentConfig().servers());
      }
      if (list.isEmpty()) {
        throw new IllegalStateException("no name server configured and none found on the system");
      }
      return new MesosDnsSource(this, list);
    }

    static InetSocketAddress parseServer(String hostPort) {
      String s = hostPort.trim();
      String host;
      int port = 53;
      if (s.startsWith("[")) {
        int end = s.indexOf(']');
        if (end < 0) {
          throw new IllegalArgumentException("invalid name server '" + hostPort + "'");
        }
        host = s.substring(1, end);
        String rest = s.substring(end + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw new IllegalArgumentException("invalid name server '" + hostPort + "'");
          }
          port = parsePort(rest.substring(1), hostPort);
        }
      } else if (s.indexOf(':') != s.lastIndexOf(':')) {
        host = s; // a bare IPv6 literal
      } else if (s.indexOf(':') >= 0) {
        host = s.substring(0, s.indexOf(':'));
        port = parsePort(s.substring(s.indexOf(':') + 1), hostPort);
      } else {
        host = s;
      }
      try {
        return new InetSocketAddress(Address.getByAddress(host), port);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "name server '" + hostPort + "' must be an IP literal with an optional port", e);
      }
    }

    private static int parsePort(String port, String hostPort) {
      try {
        int p = Integer.parseInt(port);
        if (p >= 1 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException("invalid port in name server '" + hostPort + "'");
    }

    static String requireText(String value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
      return value.trim();
    }
  }
}
