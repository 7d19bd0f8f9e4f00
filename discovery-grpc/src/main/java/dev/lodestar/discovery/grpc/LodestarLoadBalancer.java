package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.grpc.LodestarLoadBalancerProvider.BalancerConfig;
import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code lodestar} policy's balancer: one subchannel per instance, kept in step with the name
 * resolver's address groups (keyed by instance id), and a {@link LodestarPicker} over the
 * connected ones, rebuilt whenever a subchannel's state or the address list changes.
 *
 * <p>The channel's state follows round_robin's rules: {@code READY} while any subchannel is,
 * else {@code CONNECTING} while any is trying for the first time since it last failed, else
 * {@code TRANSIENT_FAILURE} (a failed subchannel counts as failed until it is ready again, so
 * reconnection attempts do not flip the channel back to connecting). Idle subchannels reconnect
 * at once. Each failed connection attempt is reported to the resolver as a connection-level
 * failure of that instance, and a subchannel that fails or drops to idle makes the policy call
 * {@link Helper#refreshNameResolution()}, so the name resolver delivers (and re-resolves) the
 * service's instances again.
 *
 * <p>Thread safety: confined to the channel's synchronization context, as gRPC guarantees for
 * every {@link LoadBalancer} method and subchannel state callback.
 */
final class LodestarLoadBalancer extends LoadBalancer {
  private final Helper helper;
  private final Map<String, Child> children = new HashMap<>();
  private LodestarTarget target;
  private BalancerConfig config = BalancerConfig.DEFAULT;
  private Status lastFailure = Status.UNAVAILABLE.withDescription("no address resolved yet");
  private ConnectivityState state;
  private boolean shutdown;

  LodestarLoadBalancer(Helper helper) {
    this.helper = helper;
  }

  /** One instance's subchannel and what the balancer knows about it. */
  private final class Child {
    final Subchannel subchannel;
    Instance instance;
    ConnectivityState state = ConnectivityState.IDLE;
    /** True from a failed connection until the subchannel is ready again (sticky failure). */
    boolean failing;

    Child(EquivalentAddressGroup group, Instance instance) {
      this.instance = instance;
      this.subchannel = helper.createSubchannel(CreateSubchannelArgs.newBuilder()
          .setAddresses(group)
          .setAttributes(group.getAttributes())
          .build());
      subchannel.start(this::onState);
    }

    private void onState(ConnectivityStateInfo info) {
      if (shutdown || children.get(instance.instanceId()) != this) {
        return; // removed meanwhile
      }
      ConnectivityState next = info.getState();
      if (next == ConnectivityState.SHUTDOWN) {
        return;
      }
      if (next == ConnectivityState.TRANSIENT_FAILURE || next == ConnectivityState.IDLE) {
        // The address may be stale (a moved task, a host name that now resolves elsewhere): ask
        // the name resolver again, as round_robin and pick_first do; the channel does not.
        helper.refreshNameResolution();
      }
      if (next == ConnectivityState.TRANSIENT_FAILURE) {
        failing = true;
        lastFailure = info.getStatus();
        // Passive health: a refused connection is what a direct call would have met.
        target.resolver().track(target.serviceId(), instance)
            .failure(info.getStatus().asRuntimeException());
      } else if (next == ConnectivityState.READY) {
        failing = false;
      } else if (next == ConnectivityState.IDLE) {
        subchannel.requestConnection();
      }
      state = next;
      updateState();
    }
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    LodestarTarget resolvedTarget = resolved.getAttributes().get(LodestarNameResolver.TARGET);
    if (resolvedTarget == null) {
      Status error = Status.UNAVAILABLE.withDescription("the " + LodestarLoadBalancerProvider
          .POLICY_NAME + " load-balancing policy needs a Lodestar target (marathon:///<app>, "
          + "mesos-dns:///<app> or a LodestarNameResolverProvider scheme), not "
          + helper.getChannelTarget());
      handleNameResolutionError(error);
      return error;
    }
    target = resolvedTarget;
    Object parsed = resolved.getLoadBalancingPolicyConfig();
    config = parsed instanceof BalancerConfig ? (BalancerConfig) parsed : BalancerConfig.DEFAULT;
    Set<String> listed = new HashSet<>();
    List<Child> added = new ArrayList<>();
    for (EquivalentAddressGroup group : resolved.getAddresses()) {
      Attributes attributes = group.getAttributes();
      Instance instance = attributes.get(LodestarNameResolver.INSTANCE);
      if (instance == null || !listed.add(instance.instanceId())) {
        continue; // not from Lodestar's resolver, or a duplicate id: nothing to track it by
      }
      Child child = children.get(instance.instanceId());
      if (child == null) {
        child = new Child(group, instance);
        children.put(instance.instanceId(), child);
        added.add(child);
      } else {
        if (!child.subchannel.getAddresses().equals(group)) {
          child.subchannel.updateAddresses(List.of(group));
        }
        child.instance = instance;
      }
    }
    children.entrySet().removeIf(e -> {
      if (listed.contains(e.getKey())) {
        return false;
      }
      e.getValue().subchannel.shutdown();
      return true;
    });
    for (Child child : added) {
      child.subchannel.requestConnection();
    }
    updateState();
    return Status.OK;
  }

  /**
   * Unlike round_robin, fails calls even while subchannels are ready: Lodestar's resolver reports
   * an error only when it has nothing to pick from (unknown service, nothing routable), and a
   * picker asking it anyway would only fail the same way, later.
   */
  @Override
  public void handleNameResolutionError(Status error) {
    lastFailure = error;
    state = ConnectivityState.TRANSIENT_FAILURE;
    helper.updateBalancingState(state, new FixedResultPicker(PickResult.withError(error)));
  }

  @Override
  public void requestConnection() {
    for (Child child : children.values()) {
      if (child.state == ConnectivityState.IDLE) {
        child.subchannel.requestConnection();
      }
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    for (Child child : children.values()) {
      child.subchannel.shutdown();
    }
    children.clear();
  }

  private void updateState() {
    List<LodestarPicker.Ready> ready = new ArrayList<>();
    boolean connecting = false;
    for (Child child : children.values()) {
      if (child.state == ConnectivityState.READY) {
        ready.add(new LodestarPicker.Ready(child.subchannel, child.instance));
      } else if (!child.failing) {
        connecting = true;
      }
    }
    if (!ready.isEmpty()) {
      state = ConnectivityState.READY;
      helper.updateBalancingState(state, new LodestarPicker(target, config, ready));
    } else if (connecting) {
      state = ConnectivityState.CONNECTING;
      helper.updateBalancingState(state, new FixedResultPicker(PickResult.withNoResult()));
    } else {
      state = ConnectivityState.TRANSIENT_FAILURE;
      helper.updateBalancingState(state, new FixedResultPicker(PickResult.withError(
          Status.UNAVAILABLE.withDescription(target.serviceId() + ": no instance reachable; last: "
              + lastFailure.getCode() + " " + lastFailure.getDescription())
              .withCause(lastFailure.getCause()))));
    }
  }
}
