package dev.lodestar.agent.haproxy;

import dev.lodestar.agent.marathon.AppDefinition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One render: the app definitions from Marathon, the routable tasks from the {@link
 * ServerLookup}, the {@link ConfigBuilder} and the {@link Templates}.
 *
 * <p>Thread safety: not thread-safe; one render at a time (the one-shot command, or the watcher's
 * thread).
 */
final class ConfigRenderer {
  private final MarathonApps marathon;
  private final ServerLookup lookup;
  private final BridgeOptions options;
  private final Templates templates;

  /**
   * A rendered config.
   *
   * @param text the HAProxy config
   * @param problems why apps or ports were left out, one line each
   * @param serviceIds the resolver service ids the render read (the watcher follows them)
   */
  record Rendered(String text, List<String> problems, Set<String> serviceIds) {}

  ConfigRenderer(MarathonApps marathon, ServerLookup lookup, BridgeOptions options,
      Templates templates) {
    this.marathon = marathon;
    this.lookup = lookup;
    this.options = options;
    this.templates = templates;
  }

  /**
   * Renders the current cluster state.
   *
   * @throws IOException when Marathon's app list cannot be read
   */
  Rendered render() throws IOException, InterruptedException {
    MarathonApps.Listing listing = list();
    return render(listing.apps(), listing.problems());
  }

  /**
   * Reads Marathon's app list, for {@link #render(List, List)}.
   *
   * @throws IOException when Marathon's app list cannot be read
   */
  MarathonApps.Listing list() throws IOException, InterruptedException {
    return marathon.list();
  }

  Rendered render(List<AppDefinition> apps, List<String> listingProblems) {
    Set<String> ids = new LinkedHashSet<>();
    ServerLookup recording = (app, slot) -> {
      String id = ResolverServerLookup.serviceId(app, slot);
      if (id != null) {
        ids.add(id);
      }
      return lookup.routable(app, slot);
    };
    ConfigBuilder.Result result = new ConfigBuilder(options, recording).build(apps);
    List<String> problems = new ArrayList<>(listingProblems);
    problems.addAll(result.problems());
    return new Rendered(templates.render(result.model()), problems, ids);
  }
}
