package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.ServiceWatch;
import dev.lodestar.discovery.ServiceWatcher;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * A gRPC {@link NameResolver} for one Lodestar service: it {@linkplain ServiceResolver#watch
 * watches} the service and hands the channel one {@link EquivalentAddressGroup} per routable
 * instance (health not {@code UNHEALTHY}) whenever the snapshot changes. It never polls: changes
 * come from the source's pushes (Marathon's event stream) or the resolver's own refreshes.
 *
 * <p>Each address group carries {@link #INSTANCE_ID}, {@link #WEIGHT} and {@link #INSTANCE}
 * attributes. A discovery failure (unknown app, source unreachable with nothing cached, no
 * routable instance) reaches the channel as {@link Status#UNAVAILABLE} with Lodestar's message,
 * so RPCs fail with it (or wait, with {@code withWaitForReady()}); {@link #refresh()} (which gRPC
 * calls on connection failures) asks the resolver again.
 *
 * <p>Thread safety: gRPC calls it from the channel's synchronization context; the watcher's
 * callbacks are queued on that context, in order, and run on gRPC's offload executor, never on
 * the resolver's threads.
 */
public final class LodestarNameResolver extends NameResolver {
  /** The Lodestar instance id of an address group. */
  public static final Attributes.Key<String> INSTANCE_ID =
      Attributes.Key.create("dev.lodestar.instanceId");
  /** The instance's weight (1-100, from the source). */
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
  /** Drains the synchronization context off Lodestar's threads; null: drain in place. */
  private final Executor offload;
  private Listener2 listener; // used in syncContext only
  private ServiceWatch watch; // used in syncContext only
  private boolean shutdown; // used in syncContext only

  LodestarNameResolver(ServiceResolver resolver, String serviceId, String authority,
      SynchronizationContext sync, Executor offload) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
    this.authority = Objects.requireNonNull(authority, "authority");
    this.syncContext = Objects.requireNonNull(sync, "syncContext");
    this.offload = offload;
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

  /** Moves the resolver's callbacks onto the channel's synchronization context. */
  private final class Watcher implements ServiceWatcher {
    @Override
    public void onSnapshot(ServiceSnapshot snapshot) {
      List<EquivalentAddressGroup> groups = addressGroups(snapshot);
      deliver(() -> {
        if (shutdown) {
          return;
        }
        if (groups.isEmpty()) {
          listener.onError(Status.UNAVAILABLE.withDescription(serviceId + ": none of the "
              + snapshot.instances().size() + " instances from " + snapshot.origin()
              + " is routable"));
          return;
        }
        listener.onResult2(ResolutionResult.newBuilder()
            .setAddressesOrError(StatusOr.fromValue(groups))
            .setAttributes(resolutionAttributes)
            .build());
      });
    }

    @Override
    public void onError(DiscoveryException error) {
      deliver(() -> {
        if (!shutdown) {
          listener.onError(Status.UNAVAILABLE.withDescription(error.getMessage()).withCause(error));
        }
      });
    }
  }

  /**
   * Queues a callback on the synchronization context in order and drains it on gRPC's offload
   * executor: draining runs channel work (the load balancer, its pickers), which must not run on
   * the resolver's thread that delivers a first snapshot, since a picker that asks the resolver
   * would then wait for the very load that thread is completing.
   */
  private void deliver(Runnable task) {
    syncContext.executeLater(task);
    if (offload != null) {
      offload.execute(syncContext::drain);
    } else {
      syncContext.drain();
    }
  }

  static List<EquivalentAddressGroup> addressGroups(ServiceSnapshot snapshot) {
    List<EquivalentAddressGroup> groups = new ArrayList<>(snapshot.instances().size());
    for (Instance i : snapshot.instances()) {
      if (!i.health().isRoutable()) {
        continue;
      }
      Attributes attributes = Attributes.newBuilder()
          .set(INSTANCE_ID, i.instanceId())
          .set(WEIGHT, i.weight())
          .set(INSTANCE, i)
          .build();
      groups.add(new EquivalentAddressGroup(socketAddress(i), attributes));
    }
    return groups;
  }

  /**
   * An IP literal becomes a resolved address (no lookup is made for a literal); a host name stays
   * unresolved, for the transport to resolve when it connects, never on the caller's thread.
   */
  private static InetSocketAddress socketAddress(Instance i) {
    String host = i.host();
    if (IP_LITERAL.matcher(host).matches()) {
      try {
        return new InetSocketAddress(InetAddress.getByName(host), i.port());
      } catch (UnknownHostException e) {
        // not a literal after all: fall through
      }
    }
    return InetSocketAddress.createUnresolved(host, i.port());
  }

  private static final Pattern IP_LITERAL =
      Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  @Override
  public String toString() {
    return "LodestarNameResolver[" + serviceId + " via " + resolver + "]";
  }
}
