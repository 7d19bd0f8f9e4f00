package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.Selection;
import dev.lodestar.discovery.ServiceResolver;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.cloud.client.ServiceInstance;

/**
 * A Lodestar {@link Instance} as a Spring Cloud {@link ServiceInstance}. Metadata holds the
 * instance's labels plus {@code lodestar.serviceId}, {@code lodestar.health} and, when known,
 * {@code lodestar.zone} and {@code lodestar.region}.
 *
 * <p>An instance chosen by {@link LodestarLoadBalancer} is a new object per choice and knows the
 * resolver that chose it. A choice alone is not counted anywhere: {@link
 * LodestarLoadBalancerLifecycle} starts tracking the call when Spring starts it ({@link
 * ServiceResolver#track}, which counts it in flight) and reports its outcome on that ticket when
 * Spring completes it. One call at a time per choice: a choice that Spring starts again before
 * the previous call completed releases the previous call's ticket with no verdict, so that nothing
 * stays counted in flight. Instances listed by {@link LodestarDiscoveryClient} track nothing.
 *
 * <p>Thread safety: immutable apart from the current call's ticket, which is held in an {@link
 * AtomicReference}: Spring may start a call on one thread and complete or cancel it on another
 * (WebClient does).
 */
public final class LodestarServiceInstance implements ServiceInstance {
  private final String serviceId;
  private final Instance instance;
  /** The resolver that chose it, which tracks its calls; null for a listed instance. */
  private final ServiceResolver tracker;
  private final AtomicReference<Selection> call = new AtomicReference<>();
  private final boolean secure;
  private final Map<String, String> metadata;

  LodestarServiceInstance(
      String serviceId, Instance instance, ServiceResolver tracker, boolean secure) {
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
    this.instance = Objects.requireNonNull(instance, "instance");
    this.tracker = tracker;
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

  /** Starts tracking a call to this chosen instance; nothing for a listed instance. */
  void startCall() {
    if (tracker == null) {
      return;
    }
    Selection previous = call.getAndSet(tracker.track(instance.serviceId(), instance));
    if (previous != null) {
      previous.release(); // restarted before it completed: never leave a call counted in flight
    }
  }

  /** Takes the current call's ticket to report on, or null if no call is being tracked. */
  Selection endCall() {
    return call.getAndSet(null);
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

  /**
   * {@code http://host:port} ({@code https} when secure). An IPv6 host is bracketed, which
   * Spring's {@link ServiceInstance#createUri} does not do (its URI would have no host).
   */
  @Override
  public URI getUri() {
    return URI.create((secure ? "https" : "http") + "://" + instance.address());
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
