package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.ServiceWatch;
import dev.lodestar.discovery.ServiceWatcher;
import dev.lodestar.discovery.internal.DaemonThreads;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A gRPC {@link NameResolver} for one Lodestar service: it {@linkplain ServiceResolver#watch
 * watches} the service and hands the channel one {@link EquivalentAddressGroup} per routable
 * instance (health not {@code UNHEALTHY}) whenever the snapshot changes. It never polls: changes
 * come from the source's pushes (Marathon's event stream) or the resolver's own refreshes.
 *
 * <p>Each address group carries {@link #INSTANCE_ID}, {@link #WEIGHT} and {@link #INSTANCE}
 * attributes. An instance whose host is an IP literal gets that address, with no lookup. A host
 * name (Marathon's host-mode tasks carry their agent's) is resolved here, with {@link
 * InetAddress#getAllByName}, since gRPC's transports do not resolve the addresses they are given;
 * its group holds every address the name resolves to, tried in that order by the subchannel. A
 * name that does not resolve leaves its instance out, with a logged warning; if that leaves
 * nothing, the channel gets the error below. Each snapshot is resolved afresh (the JVM's address
 * cache applies), so a {@link #refresh()} also re-resolves the names.
 *
 * <p>A discovery failure (unknown app, source unreachable with nothing cached, no routable or
 * resolvable instance) reaches the channel as {@link Status#UNAVAILABLE} with Lodestar's message.
 * {@code pick_first} and the {@code lodestar} policy then fail RPCs with it (or hold them, with
 * {@code withWaitForReady()}); gRPC's {@code round_robin} heeds it only while none of its
 * connections is ready, and otherwise keeps sending RPCs to the addresses it was last given.
 * {@link #refresh()} (which the load-balancing policy calls on connection failures) asks the
 * resolver again.
 *
 * <p>Thread safety: gRPC calls it from the channel's synchronization context. The watcher's
 * callbacks, which come from the resolver's threads, only hand each snapshot to gRPC's offload
 * executor (as gRPC's own DNS resolver does its lookups; a shared daemon pool if the channel gave
 * none): the host-name lookups and the delivery run there, never on the resolver's threads nor in
 * the synchronization context. Results are applied in the order of the callbacks: one overtaken
 * by a later snapshot or error while its lookups ran is dropped.
 */
public final class LodestarNameResolver extends NameResolver {
  private static final System.Logger LOG = System.getLogger(LodestarNameResolver.class.getName());

  /** The Lodestar instance id of an address group. */
  public static final Attributes.Key<String> INSTANCE_ID =
      Attributes.Key.create("dev.lodestar.instanceId");
  /**
   * The instance's weight, {@link Instance#weight()}: at least 1; the SRV weight (up to 65535)
   * with the Mesos-DNS source, 1 with Marathon.
   */
  public static final Attributes.Key<Integer> WEIGHT = Attributes.Key.create("dev.lodestar.weight");
  /** The Lodestar {@link Instance} itself, with its labels, zone and health. */
  public static final Attributes.Key<Instance> INSTANCE =
      Attributes.Key.create("dev.lodestar.instance");

  /**
   * Resolution-level attribute: the resolver and service id behind the addresses, for the {@code
   * lodestar} load-balancing policy ({@link LodestarLoadBalancerProvider}).
   */
  static final Attributes.Key<LodestarTarget> TARGET = Attributes.Key.create("dev.lodestar.target");

  private final ServiceResolver resolver;
  private final String serviceId;
  private final Attributes resolutionAttributes;
  private final String authority;
  private final SynchronizationContext syncContext;
  /** Runs lookups and deliveries off Lodestar's threads and the synchronization context. */
  private final Executor offload;
  /** Numbers the watcher's callbacks in the order they came. */
  private final AtomicLong callbacks = new AtomicLong();
  private long applied; // used in syncContext only: number of the last callback applied
  private Listener2 listener; // used in syncContext only
  private ServiceWatch watch; // used in syncContext only
  private boolean shutdown; // used in syncContext only

  LodestarNameResolver(ServiceResolver resolver, String serviceId, String authority,
      SynchronizationContext sync, Executor offload) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
    this.authority = Objects.requireNonNull(authority, "authority");
    this.syncContext = Objects.requireNonNull(sync, "syncContext");
    this.offload = offload != null ? offload : LookupThreads.EXECUTOR;
    this.resolutionAttributes = Attributes.newBuilder()
        .set(TARGET, new LodestarTarget(resolver, resolver.service(serviceId)))
        .build();
  }

  @Override
  public String getServiceAuthority() {
    return authority;
  }

  @Override
  public void start(Listener2 listener) {
    if (this.listener != null) {
      throw new IllegalStateException("already started");
    }
    this.listener = Objects.requireNonNull(listener, "listener");
    try {
      watch = resolver.watch(serviceId, new Watcher());
    } catch (RuntimeException e) { // a closed resolver, an invalid id
      listener.onError(Status.UNAVAILABLE
          .withDescription("Lodestar cannot resolve " + serviceId + ": " + e.getMessage())
          .withCause(e));
    }
  }

  @Override
  public void refresh() {
    if (watch != null) {
      watch.refresh();
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    if (watch != null) {
      watch.close();
    }
  }

  /** Moves the resolver's callbacks off its threads, then onto the synchronization context. */
  private final class Watcher implements ServiceWatcher {
    @Override
    public void onSnapshot(ServiceSnapshot snapshot) {
      long number = callbacks.incrementAndGet();
      offload.execute(() -> {
        Resolved resolved = addressGroups(snapshot); // may look host names up: not on our caller
        syncContext.execute(() -> {
          if (!apply(number)) {
            return;
          }
          if (resolved.groups().isEmpty()) {
            listener.onError(Status.UNAVAILABLE.withDescription(serviceId + ": none of the "
                + snapshot.instances().size() + " instances from " + snapshot.origin()
                + " is routable" + (resolved.unresolved().isEmpty() ? ""
                    : "; host names that do not resolve: " + resolved.unresolved())));
            return;
          }
          listener.onResult2(ResolutionResult.newBuilder()
              .setAddressesOrError(StatusOr.fromValue(resolved.groups()))
              .setAttributes(resolutionAttributes)
              .build());
        });
      });
    }

    @Override
    public void onError(DiscoveryException error) {
      long number = callbacks.incrementAndGet();
      // Offloaded too: draining the synchronization context runs channel work (the load
      // balancer, its pickers), which must not run on the resolver's thread; a picker that asks
      // the resolver would wait for the very load that thread is completing.
      offload.execute(() -> syncContext.execute(() -> {
        if (apply(number)) {
          listener.onError(Status.UNAVAILABLE.withDescription(error.getMessage()).withCause(error));
        }
      }));
    }
  }

  /**
   * Whether callback {@code number} is still to be applied: not after shutdown, nor after a later
   * callback whose lookups finished first. Runs in the synchronization context.
   */
  private boolean apply(long number) {
    if (shutdown || number < applied) {
      return false;
    }
    applied = number;
    return true;
  }

  /** The address groups of a snapshot, and the instances left out because their name failed. */
  record Resolved(List<EquivalentAddressGroup> groups, List<String> unresolved) {}

  /**
   * One group per routable instance, with its attributes. Looks host names up (blocking), so it
   * runs on the offload executor only.
   */
  static Resolved addressGroups(ServiceSnapshot snapshot) {
    List<EquivalentAddressGroup> groups = new ArrayList<>(snapshot.instances().size());
    List<String> unresolved = new ArrayList<>(0);
    for (Instance i : snapshot.instances()) {
      if (!i.health().isRoutable()) {
        continue;
      }
      List<SocketAddress> addresses;
      try {
        addresses = socketAddresses(i);
      } catch (UnknownHostException | SecurityException e) {
        // One agent's name missing from DNS must not take the others away from the channel.
        LOG.log(Level.WARNING, "{0}: instance {1} left out: host {2} does not resolve: {3}",
            snapshot.serviceId(), i.instanceId(), i.host(), e.toString());
        unresolved.add(i.address() + " (" + e.getMessage() + ")");
        continue;
      }
      Attributes attributes = Attributes.newBuilder()
          .set(INSTANCE_ID, i.instanceId())
          .set(WEIGHT, i.weight())
          .set(INSTANCE, i)
          .build();
      groups.add(new EquivalentAddressGroup(addresses, attributes));
    }
    return new Resolved(groups, unresolved);
  }

  /**
   * An IP literal's address, made without a lookup; else every address the host name resolves to
   * (blocking lookup, subject to the JVM's address cache).
   */
  private static List<SocketAddress> socketAddresses(Instance i) throws UnknownHostException {
    String host = i.host();
    InetAddress[] resolved;
    if (IPV4_LITERAL.matcher(host).matches()) {
      String[] parts = host.split("\\.");
      byte[] bytes = new byte[4];
      for (int b = 0; b < 4; b++) {
        bytes[b] = (byte) Integer.parseInt(parts[b]);
      }
      resolved = new InetAddress[] {InetAddress.getByAddress(bytes)};
    } else if (isIpv6Literal(host)) {
      // Starts with a hex digit or ':' and holds a ':': the JDK parses it as a literal and throws
      // if it is not one; it never takes such a string for a name to look up.
      resolved = new InetAddress[] {InetAddress.getByName(host)};
    } else {
      resolved = InetAddress.getAllByName(host);
    }
    List<SocketAddress> addresses = new ArrayList<>(resolved.length);
    for (InetAddress a : resolved) {
      addresses.add(new InetSocketAddress(a, i.port()));
    }
    return addresses;
  }

  private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";

  /** Dotted-quad IPv4, each part 0-255 without leading zeros (which some parsers read as octal). */
  private static final Pattern IPV4_LITERAL = Pattern.compile("(" + OCTET + "\\.){3}" + OCTET);

  /** Hex digits, colons and dots (an embedded IPv4 tail), at least one colon, optional zone. */
  private static final Pattern IPV6_LITERAL =
      Pattern.compile("[0-9a-fA-F:][0-9a-fA-F:.]*(%[0-9A-Za-z_.-]+)?");

  private static boolean isIpv6Literal(String host) {
    int zone = host.indexOf('%');
    return host.substring(0, zone < 0 ? host.length() : zone).indexOf(':') >= 0
        && IPV6_LITERAL.matcher(host).matches();
  }

  /** Whether {@code host} is an IP literal, whose address is made without any lookup. */
  static boolean isIpLiteral(String host) {
    return IPV4_LITERAL.matcher(host).matches() || isIpv6Literal(host);
  }

  /**
   * Lookup threads for channels that give the resolver no offload executor (gRPC's channels
   * always do): daemon threads, created on demand and ended after a minute idle (a cached pool).
   */
  private static final class LookupThreads {
    static final Executor EXECUTOR =
        Executors.newCachedThreadPool(DaemonThreads.named("lodestar-grpc-resolver"));
  }

  @Override
  public String toString() {
    return "LodestarNameResolver[" + serviceId + " via " + resolver + "]";
  }
}
