package dev.lodestar.agent.haproxy;

import dev.lodestar.agent.marathon.AppDefinition;
import dev.lodestar.agent.marathon.ServicePort;
import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.marathon.MarathonSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Routable tasks from Lodestar's resolver over a {@link MarathonSource}: health results, the
 * source's {@code MarathonHealthPolicy} and marathon-lb's blue/green drain are applied there, not
 * here. A port slot is looked up by its service port ({@link MarathonSource#servicePortId}), which
 * also gathers the other colour of a blue/green deployment group, as marathon-lb merges them; slot
 * 0 of an app without a service port is looked up by app id (the source's default port index 0).
 *
 * <p>Thread safety: as thread-safe as the resolver (it is).
 */
final class ResolverServerLookup implements ServerLookup {
  private final ServiceResolver resolver;

  ResolverServerLookup(ServiceResolver resolver) {
    this.resolver = resolver;
  }

  /** The resolver service id of slot {@code slot} of {@code app}, or {@code null} if none. */
  static String serviceId(AppDefinition app, int slot) {
    ServicePort sp = app.servicePorts().get(slot);
    if (sp.port() > 0) {
      return MarathonSource.servicePortId(sp.port());
    }
    return slot == 0 ? app.id() : null;
  }

  @Override
  public List<Target> routable(AppDefinition app, int slot) throws LookupException {
    String id = serviceId(app, slot);
    if (id == null) {
      throw new LookupException("the slot has no service port to look its tasks up by", null);
    }
    List<Instance> instances;
    try {
      instances = resolver.instances(id);
    } catch (DiscoveryException e) {
      throw new LookupException(e.getMessage(), e);
    }
    List<Target> out = new ArrayList<>(instances.size());
    for (Instance i : instances) {
      if (i.health().isRoutable()) {
        out.add(new Target(i.instanceId(), i.host(), i.port()));
      }
    }
    return out;
  }
}
