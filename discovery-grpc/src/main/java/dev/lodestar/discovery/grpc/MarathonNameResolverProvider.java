package dev.lodestar.discovery.grpc;

import dev.lodestar.discovery.ServiceResolver;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code marathon} scheme, registered through {@code ServiceLoader}: {@code
 * marathon://m1:8080/shop/checkout} resolves the app {@code /shop/checkout} on the Marathon at
 * {@code http://m1:8080}; {@code marathon:///shop/checkout} takes the Marathon URLs from the system
 * property {@code lodestar.marathon.urls} or the environment variable {@code
 * LODESTAR_MARATHON_URLS} (comma-separated, tried in order). One {@link ServiceResolver} with a
 * default {@code MarathonSource} (event stream on) is made per URL list and shared by all channels
 * of the JVM. Available when discovery-marathon is on the class path.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class MarathonNameResolverProvider extends LodestarNameResolverProvider {
  /** The system property naming the Marathon URLs. */
  public static final String URLS_PROPERTY = "lodestar.marathon.urls";
  /** The environment variable naming the Marathon URLs. */
  public static final String URLS_ENV = "LODESTAR_MARATHON_URLS";

  /** The ServiceLoader constructor. */
  public MarathonNameResolverProvider() {
    super("marathon", 5);
  }

  @Override
  protected boolean isAvailable() {
    try {
      Class.forName("dev.lodestar.discovery.marathon.MarathonSource", false,
          MarathonNameResolverProvider.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  @Override
  protected ServiceResolver resolverFor(URI target) {
    List<String> urls = new ArrayList<>();
    for (String a : SharedResolvers.addresses(target.getAuthority(), URLS_PROPERTY, URLS_ENV, "marathon")) {
      urls.add(a.contains("://") ? a : "http://" + a);
    }
    return SharedResolvers.get("marathon " + urls,
        () -> BackendSources.marathon(urls));
  }
}
