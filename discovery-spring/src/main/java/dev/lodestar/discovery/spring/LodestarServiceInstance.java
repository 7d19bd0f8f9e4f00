package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.Selection;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.springframework.cloud.client.ServiceInstance;

/**
 * A Lodestar {@link Instance} as a Spring Cloud {@link ServiceInstance}. Metadata holds the
 * instance's labels plus {@code lodestar.serviceId}, {@code lodestar.health} and, when known,
 * {@code lodestar.zone} and {@code lodestar.region}.
 *
 * <p>An instance chosen by {@link LodestarLoadBalancer} also carries the {@link Selection} on
 * which {@link LodestarLoadBalancerLifecycle} reports the call's outcome.
 *
 * <p>Thread safety: immutable.
 */
public final class LodestarServiceInstance implements ServiceInstance {
  private final String serviceId;
  private final Instance instance;
  private final Selection selection;
  private final boolean secure;
  private final Map<String, String> metadata;

  LodestarServiceInstance(String serviceId, Instance instance, Selection selection, boolean secure) {
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
    this.instance = Objects.requireNonNull(instance, "instance");
    this.selection = selection;
    this.secure = secure;
    Map<String, String> m = new LinkedHashMap<>(instance.labels());
    m.put("lodestar.serviceId", instance.serviceId());
    m.put("lodestar.health", instance.health().name());
    instance.zone().ifPresent(z -> m.put("lodestar.zone", z));
    instance.region().ifPresent(r -> m.put("lodestar.region", r));
    this.metadata = Map.copyOf(m);
  }

  /** The Lodestar instance. */
  public Instance instance() {
    return instance;
  }

  /** The outcome ticket, or null for an instance listed by a discovery client. */
  Selection selection() {
    return selection;
  }

  @Override
  public String getInstanceId() {
    return instance.instanceId();
  }

  @Override
  public String getServiceId() {
    return serviceId;
  }

  @Override
  public String getHost() {
    return instance.host();
  }

  @Override
  public int getPort() {
    return instance.port();
  }

  @Override
  public boolean isSecure() {
    return secure;
  }

  @Override
  public URI getUri() {
    return ServiceInstance.createUri(this);
  }

  @Override
  public Map<String, String> getMetadata() {
    return metadata;
  }

  @Override
  public String toString() {
    return serviceId + "@" + instance.address();
  }
}
