package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.ServiceResolver;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * gRPC name resolution through Lodestar: targets {@code <scheme>:///<service id>}, for example
 * {@code lodestar:///shop/checkout}, resolve to the routable instances of that service and follow
 * its changes ({@link LodestarNameResolver}).
 *
 * <p>Programmatic use shares the application's resolver with gRPC:
 *
 * <pre>{@code
 * NameResolverRegistry.getDefaultRegistry()
 *     .register(LodestarNameResolverProvider.of("lodestar", resolver));
 * ManagedChannel channel = Grpc.newChannelBuilder("lodestar:///shop/checkout", creds)
 *     .defaultLoadBalancingPolicy("round_robin")
 *     .build();
 * }</pre>
 *
 * <p>Without code, the {@code marathon} and {@code mesos-dns} schemes come through {@code
 * ServiceLoader} ({@link MarathonNameResolverProvider}, {@link MesosDnsNameResolverProvider}).
 *
 * <p>The channel's authority is the service id read as a Mesos-DNS name ({@code /shop/checkout}
 * gives {@code checkout.shop}) unless the channel overrides it.
 *
 * <p>Thread safety: immutable; safe for concurrent use by any number of channels.
 */
public class LodestarNameResolverProvider extends NameResolverProvider {
  private final String scheme;
  private final ServiceResolver resolver;
  private final int priority;

  /** For subclasses that pick a resolver per target in {@link #resolverFor(URI)}. */
  protected LodestarNameResolverProvider(String scheme, int priority) {
    this.scheme = checkScheme(scheme);
    this.resolver = null;
    this.priority = priority;
  }

  private LodestarNameResolverProvider(String scheme, ServiceResolver resolver) {
    this.scheme = checkScheme(scheme);
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.priority = 5;
  }

  /**
   * A provider for {@code scheme} over an existing resolver, which gRPC then shares with the
   * application (its cache, strategy state and source). Closing the resolver fails the channels'
   * later resolutions with {@code UNAVAILABLE}.
   *
   * @throws IllegalArgumentException if the scheme is not a URI scheme
   */
  public static LodestarNameResolverProvider of(String scheme, ServiceResolver resolver) {
    return new LodestarNameResolverProvider(scheme, resolver);
  }

  /**
   * The resolver for a target of this provider's scheme. The default returns the resolver given
   * to {@link #of}.
   *
   * @throws IllegalArgumentException if the target names no usable backend
   */
  protected ServiceResolver resolverFor(URI target) {
    return resolver;
  }

  @Override
  public NameResolver newNameResolver(URI target, NameResolver.Args args) {
    if (!scheme.equalsIgnoreCase(target.getScheme())) {
      return null;
    }
    String serviceId = target.getPath();
    if (serviceId == null || serviceId.isEmpty() || serviceId.equals("/")) {
      throw new IllegalArgumentException("target " + target + " names no service: use "
          + scheme + ":///<app id>, e.g. " + scheme + ":///shop/checkout");
    }
    String authority = args.getOverrideAuthority() != null
        ? args.getOverrideAuthority()
        : authorityOf(serviceId);
    return new LodestarNameResolver(
        resolverFor(target), serviceId, authority, args.getSynchronizationContext(),
        args.getOffloadExecutor());
  }

  /** {@code /shop/checkout} as a DNS-style name: {@code checkout.shop}. */
  static String authorityOf(String serviceId) {
    StringBuilder sb = new StringBuilder();
    String[] labels = serviceId.split("/");
    for (int i = labels.length - 1; i >= 0; i--) {
      if (!labels[i].isEmpty()) {
        sb.append(sb.length() == 0 ? "" : ".").append(labels[i]);
      }
    }
    return sb.toString();
  }

  @Override
  public String getDefaultScheme() {
    return scheme;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return priority;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  private static String checkScheme(String scheme) {
    Objects.requireNonNull(scheme, "scheme");
    if (!scheme.matches("[a-zA-Z][a-zA-Z0-9+.-]*")) {
      throw new IllegalArgumentException("not a URI scheme: '" + scheme + "'");
    }
    return scheme;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + scheme + "]";
  }
}
