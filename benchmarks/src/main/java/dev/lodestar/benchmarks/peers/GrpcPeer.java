package dev.lodestar.benchmarks.peers;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * gRPC-Java's {@code round_robin}, from the default {@link LoadBalancerRegistry}, driven through
 * the public {@link LoadBalancer.Helper} API: one address group per instance, each subchannel
 * reported READY as soon as it is asked to connect (nothing connects anywhere). The benchmark
 * calls the READY picker the balancer last published.
 */
@State(Scope.Benchmark)
public class GrpcPeer {
  LoadBalancer.SubchannelPicker picker;
  LoadBalancer.PickSubchannelArgs args;
  private LoadBalancer balancer;
  private ScheduledExecutorService timers;

  @Setup(Level.Trial)
  public void setUp(PeerPickBenchmark.Size size) throws Exception {
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry()
        .getProvider("round_robin");
    if (provider == null) {
      throw new IllegalStateException("round_robin is not registered");
    }
    timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "grpc-bench-timers");
      t.setDaemon(true);
      return t;
    });
    SynchronizationContext sync = new SynchronizationContext((thread, error) -> {
      throw new IllegalStateException("load balancer failed", error);
    });
    Helper helper = new Helper(sync, timers);
    balancer = provider.newLoadBalancer(helper);
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (int i = 0; i < size.instances; i++) {
      groups.add(new EquivalentAddressGroup(new InetSocketAddress(address(i), 31000 + i)));
    }
    sync.execute(() -> {
      Status status = balancer.acceptResolvedAddresses(
          LoadBalancer.ResolvedAddresses.newBuilder().setAddresses(groups).build());
      if (!status.isOk()) {
        throw new IllegalStateException("addresses refused: " + status);
      }
    });
    if (helper.state != ConnectivityState.READY || helper.picker == null) {
      throw new IllegalStateException("round_robin is not READY: " + helper.state);
    }
    picker = helper.picker;
    args = new Args();
    Set<LoadBalancer.Subchannel> seen = new HashSet<>();
    for (int i = 0; i < size.instances; i++) {
      seen.add(picker.pickSubchannel(args).getSubchannel());
    }
    if (seen.size() != size.instances) {
      throw new IllegalStateException("round_robin cycled over " + seen.size() + " subchannels");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    balancer.shutdown();
    timers.shutdownNow();
  }

  private static InetAddress address(int i) throws UnknownHostException {
    return InetAddress.getByAddress(new byte[] {10, 0, (byte) (i / 250), (byte) (i % 250 + 1)});
  }

  private static final class Helper extends LoadBalancer.Helper {
    private final SynchronizationContext sync;
    private final ScheduledExecutorService timers;
    ConnectivityState state;
    LoadBalancer.SubchannelPicker picker;

    Helper(SynchronizationContext sync, ScheduledExecutorService timers) {
      this.sync = sync;
      this.timers = timers;
    }

    @Override
    public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      return new ReadySubchannel(args, sync);
    }

    @Override
    public void updateBalancingState(
        ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
      state = newState;
      picker = newPicker;
    }

    @Override
    public io.grpc.ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
      throw new UnsupportedOperationException("round_robin opens no out-of-band channel");
    }

    @Override
    public String getAuthority() {
      return "bench";
    }

    @Override
    public SynchronizationContext getSynchronizationContext() {
      return sync;
    }

    @Override
    public ScheduledExecutorService getScheduledExecutorService() {
      return timers;
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return QuietLogger.INSTANCE;
    }
  }

  /** A subchannel that is READY as soon as it is asked to connect. */
  private static final class ReadySubchannel extends LoadBalancer.Subchannel {
    private final LoadBalancer.CreateSubchannelArgs args;
    private final SynchronizationContext sync;
    private LoadBalancer.SubchannelStateListener listener;

    ReadySubchannel(LoadBalancer.CreateSubchannelArgs args, SynchronizationContext sync) {
      this.args = args;
      this.sync = sync;
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener listener) {
      this.listener = listener;
    }

    @Override
    public void requestConnection() {
      sync.execute(() -> listener.onSubchannelState(
          ConnectivityStateInfo.forNonError(ConnectivityState.READY)));
    }

    @Override
    public void shutdown() {}

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return args.getAddresses();
    }

    @Override
    public Attributes getAttributes() {
      return args.getAttributes();
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return QuietLogger.INSTANCE;
    }
  }

  private static final class QuietLogger extends ChannelLogger {
    static final QuietLogger INSTANCE = new QuietLogger();

    @Override
    public void log(ChannelLogLevel level, String message) {}

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
  }

  /** The arguments of one unary call; round_robin reads none of them. */
  private static final class Args extends LoadBalancer.PickSubchannelArgs {
    private static final MethodDescriptor.Marshaller<byte[]> BYTES =
        new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(InputStream stream) {
            return new byte[0];
          }
        };
    private static final MethodDescriptor<byte[], byte[]> METHOD =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("bench.Bench/Pick")
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
    private final Metadata headers = new Metadata();

    @Override
    public CallOptions getCallOptions() {
      return CallOptions.DEFAULT;
    }

    @Override
    public Metadata getHeaders() {
      return headers;
    }

    @Override
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return METHOD;
    }
  }
}
