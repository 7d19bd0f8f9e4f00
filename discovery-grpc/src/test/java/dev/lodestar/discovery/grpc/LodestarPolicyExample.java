package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.balance.LoadBalancingStrategy;
import dev.lodestar.discovery.marathon.MarathonSource;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;

/**
 * The README's "gRPC: Lodestar's strategies and passive health" example, verbatim between the
 * markers; {@code LodestarPolicyExampleTest} runs it against a real server.
 */
final class LodestarPolicyExample {
  private LodestarPolicyExample() {}

  /** What the example builds; the caller closes both. */
  record Built(ServiceResolver resolver, ManagedChannel channel) {}

  static Built build(String marathonUrl) {
    // README example start
    ServiceResolver resolver = ServiceResolver.builder()
        .source(MarathonSource.builder().url(marathonUrl).build())
        .strategy(LoadBalancingStrategy.peakEwma())
        .build();
    NameResolverRegistry.getDefaultRegistry()
        .register(LodestarNameResolverProvider.of("lodestar", resolver));
    ManagedChannel channel = Grpc.newChannelBuilder("lodestar:///shop/checkout",
            InsecureChannelCredentials.create())
        .defaultLoadBalancingPolicy("lodestar") // pick with the resolver's strategy
        .build();
    // README example end
    return new Built(resolver, channel);
  }
}
