package dev.lodestar.discovery.micrometer;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ResolverListener;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.ServiceStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Publishes a {@link ServiceResolver}'s behaviour to a Micrometer {@link MeterRegistry}.
 *
 * <pre>{@code
 * LodestarMetrics metrics = LodestarMetrics.create(registry);
 * ServiceResolver resolver = ServiceResolver.builder()
 *     .source(source)
 *     .listener(metrics)
 *     .recordPicks(true)          // optional: lodestar.picks
 *     .build();
 * metrics.bindTo(resolver);       // per-service gauges
 * }</pre>
 *
 * <p>Meters, all tagged {@code service}:
 *
 * <ul>
 *   <li>{@code lodestar.calls} (counter, tag {@code outcome} = success|failure): calls reported
 *       through {@code select}/{@code call};
 *   <li>{@code lodestar.call.latency} (timer): latency of successful reported calls;
 *   <li>{@code lodestar.ejections} (counter): passive-health ejections;
 *   <li>{@code lodestar.refresh} (timer, tag {@code outcome} = success|failure): loads and
 *       background refreshes from the source;
 *   <li>{@code lodestar.snapshot.age} (gauge, seconds): staleness of the snapshot in use;
 *   <li>{@code lodestar.instances} (gauge, tag {@code state} = total|routable|ejected);
 *   <li>{@code lodestar.picks} (function counter): every pick, when the resolver was built with
 *       {@code recordPicks(true)}.
 * </ul>
 *
 * <p>Gauges of a service that left the resolver's cache read NaN until it returns.
 *
 * <p>Thread safety: safe for concurrent use, as {@link ResolverListener} requires; the callbacks
 * only look up cached meters and never block.
 */
public final class LodestarMetrics implements ResolverListener {
  private final MeterRegistry registry;
  private final Set<String> gaugedServices = ConcurrentHashMap.newKeySet();
  private volatile ServiceResolver resolver;

  private LodestarMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Creates the listener; pass it to {@link ServiceResolver.Builder#listener}. */
  public static LodestarMetrics create(MeterRegistry registry) {
    return new LodestarMetrics(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * Adds the per-service gauges, read from {@code resolver}'s status. Call once, after building
   * the resolver this listener was given to.
   */
  public LodestarMetrics bindTo(ServiceResolver resolver) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    resolver.cachedServices().forEach(this::gauges);
    return this;
  }

  @Override
  public void onLoad(String serviceId, Duration latency, Throwable error) {
    Timer.builder("lodestar.refresh")
        .description("Loads and background refreshes of a service from its source")
        .tags(Tags.of("service", serviceId, "outcome", error == null ? "success" : "failure"))
        .register(registry)
        .record(latency);
  }

  @Override
  public void onSnapshot(ServiceSnapshot snapshot) {
    gauges(snapshot.serviceId());
  }

  @Override
  public void onEjection(Instance instance, Duration duration, Throwable cause) {
    Counter.builder("lodestar.ejections")
        .description("Instances ejected by passive health")
        .tag("service", instance.serviceId())
        .register(registry)
        .increment();
  }

  @Override
  public void onCallFinished(Instance instance, Duration latency, Throwable error) {
    Counter.builder("lodestar.calls")
        .description("Calls reported through select() or call()")
        .tags(Tags.of("service", instance.serviceId(),
            "outcome", error == null ? "success" : "failure"))
        .register(registry)
        .increment();
    if (error == null && latency != null) {
      Timer.builder("lodestar.call.latency")
          .description("Latency of successful reported calls")
          .tag("service", instance.serviceId())
          .register(registry)
          .record(latency);
    }
  }

  private void gauges(String serviceId) {
    if (resolver == null || !gaugedServices.add(serviceId)) {
      return;
    }
    gauge(serviceId, "lodestar.snapshot.age", Tags.empty(),
        s -> s.age().toNanos() / 1e9, "Seconds since the snapshot was confirmed by its source");
    gauge(serviceId, "lodestar.instances", Tags.of("state", "total"),
        s -> s.snapshot().instances().size(), "Instances in the snapshot");
    gauge(serviceId, "lodestar.instances", Tags.of("state", "routable"),
        ServiceStatus::routableInstances, "Instances in the snapshot");
    gauge(serviceId, "lodestar.instances", Tags.of("state", "ejected"),
        ServiceStatus::ejectedInstances, "Instances in the snapshot");
    FunctionCounter.builder("lodestar.picks", this, m -> m.status(serviceId)
            .map(s -> s.picks() < 0 ? Double.NaN : (double) s.picks()).orElse(Double.NaN))
        .description("Picks, when the resolver records them")
        .tag("service", serviceId)
        .register(registry);
  }

  private void gauge(String serviceId, String name, Tags tags,
      ToDoubleFunction<ServiceStatus> value, String description) {
    Gauge.builder(name, this, m -> m.status(serviceId).map(value::applyAsDouble)
            .orElse(Double.NaN))
        .description(description)
        .tags(tags.and("service", serviceId))
        .register(registry);
  }

  private Optional<ServiceStatus> status(String serviceId) {
    ServiceResolver r = resolver;
    return r == null ? Optional.empty() : r.status(serviceId);
  }
}
