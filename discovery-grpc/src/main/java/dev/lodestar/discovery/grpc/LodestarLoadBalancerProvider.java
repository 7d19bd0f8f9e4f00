package dev.lodestar.discovery.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.Metadata;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code lodestar} load-balancing policy: a channel on a Lodestar target ({@code
 * marathon:///}, {@code mesos-dns:///} or a {@link LodestarNameResolverProvider} scheme) picks
 * with the strategy of the {@link dev.lodestar.discovery.ServiceResolver} behind the target and
 * feeds call results back into it: calls in flight and latency for the load- and latency-aware
 * strategies, failures for passive health (ejection). Registered through {@code ServiceLoader}.
 *
 * <pre>{@code
 * ManagedChannel channel = Grpc.newChannelBuilder("marathon:///shop/checkout", creds)
 *     .defaultLoadBalancingPolicy("lodestar")
 *     .build();
 * }</pre>
 *
 * <p>How a call counts: a stream that ends with a code in {@code failureCodes} (default {@code
 * UNAVAILABLE}, {@code INTERNAL}, {@code UNKNOWN}, {@code DATA_LOSS}, {@code DEADLINE_EXCEEDED})
 * is a failure of the instance; {@code CANCELLED} says nothing about it; any other code means
 * the instance answered, a success whose latency is the stream's duration (so long-lived
 * streaming calls suit round-robin or least-in-flight better than peak EWMA). A connection
 * attempt that fails (the subchannel enters {@code TRANSIENT_FAILURE}) is a connection-level
 * failure, which ejects the instance at once under the default {@link
 * dev.lodestar.discovery.balance.HealthPolicy}. The outcomes go to the shared resolver, so every
 * user of it (other channels, {@code LoadBalancedHttpClient}) sees the same ejections.
 *
 * <p>Service config ({@code loadBalancingConfig}), all keys optional:
 *
 * <pre>{@code
 * {"lodestar": {"affinityHeader": "x-user-id",
 *               "failureCodes": ["UNAVAILABLE", "INTERNAL"]}}
 * }</pre>
 *
 * <p>{@code affinityHeader} names a request header whose value is the affinity key for the
 * {@code sticky} strategy. On a target that is not Lodestar's the channel fails its calls with
 * {@code UNAVAILABLE} saying so.
 *
 * <p>Thread safety: immutable; gRPC calls each balancer from its channel's synchronization
 * context and its pickers from any thread.
 */
public final class LodestarLoadBalancerProvider extends LoadBalancerProvider {
  /** The policy name, for {@code defaultLoadBalancingPolicy} and service configs. */
  public static final String POLICY_NAME = "lodestar";

  static final Set<Status.Code> DEFAULT_FAILURE_CODES = Collections.unmodifiableSet(EnumSet.of(
      Status.Code.UNAVAILABLE, Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DATA_LOSS,
      Status.Code.DEADLINE_EXCEEDED));

  /** The ServiceLoader constructor; also usable to register the policy by hand. */
  public LodestarLoadBalancerProvider() {}

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return POLICY_NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new LodestarLoadBalancer(helper);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> raw) {
    try {
      return ConfigOrError.fromConfig(parse(raw));
    } catch (IllegalArgumentException e) {
      return ConfigOrError.fromError(Status.INTERNAL
          .withDescription("invalid lodestar load-balancing config " + raw + ": " + e.getMessage())
          .withCause(e));
    }
  }

  static BalancerConfig parse(Map<String, ?> raw) {
    if (raw == null) {
      return BalancerConfig.DEFAULT;
    }
    Metadata.Key<String> affinity = null;
    Object header = raw.get("affinityHeader");
    if (header != null) {
      if (!(header instanceof String)) {
        throw new IllegalArgumentException("affinityHeader must be a string, was " + header);
      }
      affinity = Metadata.Key.of((String) header, Metadata.ASCII_STRING_MARSHALLER);
    }
    Set<Status.Code> codes = DEFAULT_FAILURE_CODES;
    Object list = raw.get("failureCodes");
    if (list != null) {
      if (!(list instanceof List)) {
        throw new IllegalArgumentException("failureCodes must be a list of status codes");
      }
      EnumSet<Status.Code> set = EnumSet.noneOf(Status.Code.class);
      for (Object code : (List<?>) list) {
        set.add(Status.Code.valueOf(String.valueOf(code))); // IllegalArgumentException if unknown
      }
      if (set.contains(Status.Code.OK)) {
        throw new IllegalArgumentException("OK cannot be a failure code");
      }
      codes = Collections.unmodifiableSet(set);
    }
    return new BalancerConfig(affinity, codes);
  }

  /** The parsed config: the affinity header (nullable) and the codes that fail an instance. */
  record BalancerConfig(Metadata.Key<String> affinityHeader, Set<Status.Code> failureCodes) {
    static final BalancerConfig DEFAULT = new BalancerConfig(null, DEFAULT_FAILURE_CODES);
  }
}
