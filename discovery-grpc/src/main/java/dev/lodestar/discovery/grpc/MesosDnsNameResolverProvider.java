package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.ServiceResolver;
import java.net.URI;
import java.util.List;

/**
 * The {@code mesos-dns} scheme, registered through {@code ServiceLoader}: {@code
 * mesos-dns://10.0.0.5:53/shop/checkout} resolves the app {@code /shop/checkout} through the SRV
 * records of the Mesos-DNS at {@code 10.0.0.5:53} (domain {@code mesos}, framework {@code
 * marathon}); {@code mesos-dns:///shop/checkout} takes the servers from the system property {@code
 * lodestar.dns.servers} or the environment variable {@code LODESTAR_DNS_SERVERS}. One {@link
 * ServiceResolver} per server list, shared by all channels. Changes arrive as the records' TTLs
 * let the resolver refresh them (DNS pushes nothing). Available when discovery-dns is on the class
 * path.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class MesosDnsNameResolverProvider extends LodestarNameResolverProvider {
  /** The system property naming the DNS servers. */
  public static final String SERVERS_PROPERTY = "lodestar.dns.servers";
  /** The environment variable naming the DNS servers. */
  public static final String SERVERS_ENV = "LODESTAR_DNS_SERVERS";

  /** The ServiceLoader constructor. */
  public MesosDnsNameResolverProvider() {
    super("mesos-dns", 5);
  }

  @Override
  protected boolean isAvailable() {
    try {
      Class.forName("dev.lodestar.discovery.dns.MesosDnsSource", false,
          MesosDnsNameResolverProvider.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  @Override
  protected ServiceResolver resolverFor(URI target) {
    List<String> servers = SharedResolvers.addresses(
        target.getAuthority(), SERVERS_PROPERTY, SERVERS_ENV, "mesos-dns");
    return SharedResolvers.get("mesos-dns " + servers,
        () -> BackendSources.mesosDns(servers));
  }
}
