package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.Selection;
import dev.lodestar.discovery.ServiceHandle;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.grpc.LodestarLoadBalancerProvider.BalancerConfig;
import io.grpc.ClientStreamTracer;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks with the resolver's strategy among the connected subchannels. The resolver's picker
 * chooses (strategy, ejections, slow start); if its choice is not connected (still connecting,
 * or failed), it is asked again a few times, and then the call goes to the next connected
 * subchannel in turn, so a call never waits while a connection is ready. Each started stream is
 * tracked with {@link ServiceResolver#track} and its end reported: in-flight counts and latency
 * for the strategies, failures for passive health.
 *
 * <p>The pick allocates nothing: the resolver's pick is allocation-free and each connected
 * instance's {@link PickResult} is built once per picker. A stream costs one tracer and one
 * tracking ticket, made only when gRPC starts the stream on a ready transport, so a pick that
 * gRPC drops (the connection went away meanwhile) leaves no call counted in flight.
 *
 * <p>Thread safety: immutable; called concurrently from any thread.
 */
final class LodestarPicker extends SubchannelPicker {
  /** Resolver picks tried before falling back to the connected subchannels in turn. */
  private static final int PICKS_BEFORE_FALLBACK = 3;

  /** A connected instance. */
  record Ready(Subchannel subchannel, Instance instance) {}

  private final ServiceHandle service;
  private final String serviceId;
  private final Metadata.Key<String> affinityHeader;
  private final Map<String, PickResult> byInstanceId;
  private final PickResult[] inTurn;
  private final AtomicInteger turn = new AtomicInteger();

  LodestarPicker(LodestarTarget target, BalancerConfig config, List<Ready> ready) {
    this.service = target.service();
    this.serviceId = target.serviceId();
    this.affinityHeader = config.affinityHeader();
    this.byInstanceId = new HashMap<>();
    this.inTurn = new PickResult[ready.size()];
    for (int i = 0; i < inTurn.length; i++) {
      Ready r = ready.get(i);
      inTurn[i] = PickResult.withSubchannel(r.subchannel(),
          new TrackingFactory(target.resolver(), serviceId, r.instance(), config));
      byInstanceId.put(r.instance().instanceId(), inTurn[i]);
    }
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    String affinityKey = affinityHeader == null ? null : args.getHeaders().get(affinityHeader);
    try {
      for (int i = 0; i < PICKS_BEFORE_FALLBACK; i++) {
        PickResult result = byInstanceId.get(service.pick(affinityKey).instanceId());
        if (result != null) {
          return result;
        }
      }
    } catch (DiscoveryException | IllegalStateException e) { // IllegalState: resolver closed
      return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e));
    }
    return inTurn[(turn.getAndIncrement() & Integer.MAX_VALUE) % inTurn.length];
  }

  @Override
  public String toString() {
    return "LodestarPicker[" + serviceId + ", connected " + byInstanceId.keySet() + "]";
  }

  /** Starts tracking when gRPC starts a stream on the picked subchannel. */
  private static final class TrackingFactory extends ClientStreamTracer.Factory {
    private final ServiceResolver resolver;
    private final String serviceId;
    private final Instance instance;
    private final BalancerConfig config;

    TrackingFactory(
        ServiceResolver resolver, String serviceId, Instance instance, BalancerConfig config) {
      this.resolver = resolver;
      this.serviceId = serviceId;
      this.instance = instance;
      this.config = config;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(
        ClientStreamTracer.StreamInfo info, Metadata headers) {
      return new OutcomeTracer(resolver.track(serviceId, instance), config);
    }
  }

  /** Reports the stream's end on its ticket; gRPC calls {@code streamClosed} once per stream. */
  private static final class OutcomeTracer extends ClientStreamTracer {
    private final Selection selection;
    private final BalancerConfig config;

    OutcomeTracer(Selection selection, BalancerConfig config) {
      this.selection = selection;
      this.config = config;
    }

    @Override
    public void streamClosed(Status status) {
      if (config.failureCodes().contains(status.getCode())) {
        selection.failure(status.asRuntimeException());
      } else if (status.getCode() == Status.Code.CANCELLED) {
        selection.release();
      } else {
        selection.success();
      }
    }
  }
}
