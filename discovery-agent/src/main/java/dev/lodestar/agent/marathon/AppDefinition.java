package dev.lodestar.agent.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One Marathon app definition, parsed from the JSON of {@code /v2/apps} (an element of {@code
 * apps[]}), {@code /v2/apps/{id}} (the {@code app} object) or an app definition as posted to
 * Marathon. Tasks are not part of it: they come and go while the definition stays.
 *
 * <p>Every shape Marathon has used is read:
 *
 * <ul>
 *   <li>networking mode: 1.5+ {@code networks[].mode} ({@code host}, {@code container/bridge},
 *       {@code container}; the last entry wins, an entry without mode is a container network);
 *       before 1.5 {@code container.docker.network} ({@code HOST}, {@code BRIDGE}, {@code USER})
 *       and a non-null legacy {@code ipAddress} (IP per task). Same rule as Marathon's {@code
 *       computePortAssignments} and marathon-lb's {@code get_app_networking_mode};
 *   <li>port slots: host mode from {@code portDefinitions[]} or the legacy {@code ports[]}; bridge
 *       and container mode from {@code container.portMappings[]} or, before 1.5, {@code
 *       container.docker.portMappings[]} (the 1.5 location wins when both are present); container
 *       mode falls back to the legacy {@code ipAddress.discovery.ports[]};
 *   <li>health checks of every protocol ({@code HTTP}, {@code HTTPS}, {@code TCP}, {@code
 *       MESOS_HTTP}, {@code MESOS_HTTPS}, {@code MESOS_TCP}, {@code COMMAND}, {@code
 *       MESOS_COMMAND}) with Marathon's defaults for absent fields, and the 0.x {@code
 *       overridePort} as a fixed {@link HealthCheck#port()}.
 * </ul>
 *
 * <p>A relative id ({@code nginx}, as in a definition posted by a deploy script) is made absolute
 * ({@code /nginx}), as Marathon does. {@code null} values count as absent. Unknown fields are
 * ignored.
 *
 * <p>Thread safety: an immutable value; {@link #parse} is stateless and safe for concurrent use.
 *
 * @param id the absolute app id, e.g. {@code /group/app}
 * @param labels the app labels, in document order, unmodifiable
 * @param networkMode how tasks are reached
 * @param servicePorts the port slots in declaration order, unmodifiable
 * @param healthChecks the health checks in declaration order, unmodifiable
 * @param instances the target instance count (Marathon's default 1 when absent)
 * @param version the app version ({@code version}), or {@code null} when absent
 */
public record AppDefinition(String id, Map<String, String> labels, NetworkMode networkMode,
    List<ServicePort> servicePorts, List<HealthCheck> healthChecks, int instances,
    String version) {

  /** One path segment of a Marathon id: lowercase letters, digits, dashes and dots. */
  private static final Pattern SEGMENT =
      Pattern.compile("(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*"
          + "([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])");

  /** Copies the collections into unmodifiable ones. */
  public AppDefinition {
    labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    servicePorts = List.copyOf(servicePorts);
    healthChecks = List.copyOf(healthChecks);
  }

  /** The label {@code key}, or {@code null} when the app has no such label. */
  public String label(String key) {
    return labels.get(key);
  }

  /**
   * The index into a task's {@code ports[]} that holds the host port of slot {@code slot}, or -1
   * when tasks get no host port for it. In host and bridge mode every slot takes one; in container
   * mode only the mappings with a {@code hostPort} do, so the index counts those before it.
   */
  public int hostPortIndex(int slot) {
    if (slot < 0 || slot >= servicePorts.size() || !servicePorts.get(slot).hostPort()) {
      return -1;
    }
    int k = 0;
    for (int j = 0; j < slot; j++) {
      if (servicePorts.get(j).hostPort()) {
        k++;
      }
    }
    return k;
  }

  /**
   * Parses one app object.
   *
   * @throws InvalidAppException when {@code app} is not an object or is not a usable app: no
   *     id, an invalid id, a port outside 0..65535, a field of the wrong JSON type, an unknown
   *     networks mode or health-check protocol, a health check on a port slot the app lacks
   */
  public static AppDefinition parse(JsonNode app) throws InvalidAppException {
    if (app == null || !app.isObject()) {
      throw new InvalidAppException(null, "not a JSON object");
    }
    String id = parseId(app.get("id"));
    Reader r = new Reader(id);
    Map<String, String> labels = r.labels(app.get("labels"));
    NetworkMode mode = r.mode(app);
    List<ServicePort> ports = r.slots(app, mode);
    List<HealthCheck> checks = r.healthChecks(app.get("healthChecks"), ports.size());
    int instances = r.nonNegativeInt(app.get("instances"), "instances", 1);
    JsonNode version = app.get("version");
    return new AppDefinition(id, labels, mode, ports, checks, instances,
        version != null && version.isTextual() ? version.asText() : null);
  }

  private static String parseId(JsonNode node) throws InvalidAppException {
    if (node == null || node.isNull()) {
      throw new InvalidAppException(null, "it has no id");
    }
    if (!node.isTextual() || node.asText().isBlank()) {
      throw new InvalidAppException(null, "its id is not a non-empty string: " + node);
    }
    String raw = node.asText().trim();
    String id = raw.startsWith("/") ? raw : "/" + raw;
    String[] segments = id.substring(1).split("/", -1);
    for (String s : segments) {
      if (!SEGMENT.matcher(s).matches()) {
        throw new InvalidAppException(raw, "id segment '" + s + "' is not lowercase letters,"
            + " digits, dashes and dots");
      }
    }
    return id;
  }

  /** Reads the fields of one app, naming the app in every error. */
  private static final class Reader {
    private final String id;

    Reader(String id) {
      this.id = id;
    }

    private InvalidAppException invalid(String reason) {
      return new InvalidAppException(id, reason);
    }

    Map<String, String> labels(JsonNode node) throws InvalidAppException {
      if (absent(node)) {
        return Map.of();
      }
      if (!node.isObject()) {
        throw invalid("labels is not an object");
      }
      Map<String, String> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        if (v.isNull()) {
          continue;
        }
        if (!v.isValueNode()) {
          throw invalid("label " + e.getKey() + " is not a string");
        }
        out.put(e.getKey(), v.asText());
      }
      return out;
    }

    NetworkMode mode(JsonNode app) throws InvalidAppException {
      NetworkMode mode = absent(app.get("ipAddress")) ? NetworkMode.HOST : NetworkMode.CONTAINER;
      String dockerNetwork = text(path(app, "container", "docker", "network"),
          "container.docker.network");
      if (dockerNetwork != null) {
        switch (dockerNetwork.toUpperCase(Locale.ROOT)) {
          case "USER":
            mode = NetworkMode.CONTAINER;
            break;
          case "BRIDGE":
            mode = NetworkMode.BRIDGE;
            break;
          case "HOST":
          case "NONE":
            break;
          default:
            throw invalid("unknown container.docker.network '" + dockerNetwork + "'");
        }
      }
      JsonNode networks = app.get("networks");
      if (!absent(networks)) {
        if (!networks.isArray()) {
          throw invalid("networks is not an array");
        }
        for (int i = 0; i < networks.size(); i++) {
          JsonNode n = networks.get(i);
          if (!n.isObject()) {
            throw invalid("networks[" + i + "] is not an object");
          }
          String m = text(n.get("mode"), "networks[" + i + "].mode");
          switch (m == null ? "container" : m) {
            case "host":
              mode = NetworkMode.HOST;
              break;
            case "container/bridge":
              mode = NetworkMode.BRIDGE;
              break;
            case "container":
              mode = NetworkMode.CONTAINER;
              break;
            default:
              throw invalid("unknown networks[" + i + "].mode '" + m + "'");
          }
        }
      }
      return mode;
    }

    List<ServicePort> slots(JsonNode app, NetworkMode mode) throws InvalidAppException {
      JsonNode mappings = path(app, "container", "portMappings");
      String where = "container.portMappings";
      if (absent(mappings)) {
        mappings = path(app, "container", "docker", "portMappings");
        where = "container.docker.portMappings";
      }
      switch (mode) {
        case BRIDGE:
          return mappings(mappings, where, true);
        case CONTAINER:
          if (!absent(mappings)) {
            return mappings(mappings, where, false);
          }
          return portObjects(path(app, "ipAddress", "discovery", "ports"),
              "ipAddress.discovery.ports", "number", false);
        default:
          JsonNode definitions = app.get("portDefinitions");
          if (!absent(definitions)) {
            return portObjects(definitions, "portDefinitions", "port", true);
          }
          return legacyPorts(app.get("ports"));
      }
    }

    private List<ServicePort> mappings(JsonNode node, String where, boolean bridge)
        throws InvalidAppException {
      List<ServicePort> out = new ArrayList<>();
      for (JsonNode m : objects(node, where)) {
        String at = where + "[" + out.size() + "]";
        int containerPort = port(m.get("containerPort"), at + ".containerPort");
        port(m.get("hostPort"), at + ".hostPort");
        boolean hostPort = bridge || !absent(m.get("hostPort"));
        out.add(new ServicePort(out.size(), port(m.get("servicePort"), at + ".servicePort"),
            text(m.get("name"), at + ".name"), protocol(m.get("protocol"), at), containerPort,
            hostPort));
      }
      return out;
    }

    private List<ServicePort> portObjects(JsonNode node, String where, String portField,
        boolean hostMode) throws InvalidAppException {
      List<ServicePort> out = new ArrayList<>();
      for (JsonNode d : objects(node, where)) {
        String at = where + "[" + out.size() + "]";
        int number = port(d.get(portField), at + "." + portField);
        String name = text(d.get("name"), at + ".name");
        String protocol = protocol(d.get("protocol"), at);
        // portDefinitions[].port is the service port; discovery ports[].number the container's.
        out.add(hostMode
            ? new ServicePort(out.size(), number, name, protocol, 0, true)
            : new ServicePort(out.size(), 0, name, protocol, number, false));
      }
      return out;
    }

    private List<ServicePort> legacyPorts(JsonNode node) throws InvalidAppException {
      List<ServicePort> out = new ArrayList<>();
      if (absent(node)) {
        return out;
      }
      if (!node.isArray()) {
        throw invalid("ports is not an array");
      }
      for (JsonNode p : node) {
        out.add(new ServicePort(out.size(), port(p, "ports[" + out.size() + "]"), null, "tcp"));
      }
      return out;
    }

    List<HealthCheck> healthChecks(JsonNode node, int slots) throws InvalidAppException {
      List<HealthCheck> out = new ArrayList<>();
      for (JsonNode c : objects(node, "healthChecks")) {
        String at = "healthChecks[" + out.size() + "]";
        String p = text(c.get("protocol"), at + ".protocol");
        HealthCheck.Protocol protocol;
        try {
          protocol = p == null ? HealthCheck.Protocol.HTTP
              : HealthCheck.Protocol.valueOf(p.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw invalid("unknown " + at + ".protocol '" + p + "'");
        }
        // 0.x spelled a fixed port "overridePort".
        int port = absent(c.get("port")) ? port(c.get("overridePort"), at + ".overridePort")
            : port(c.get("port"), at + ".port");
        int portIndex = -1;
        if (protocol.usesPort() && port == 0) {
          portIndex = nonNegativeInt(c.get("portIndex"), at + ".portIndex", 0);
          if (portIndex >= slots) {
            throw invalid(at + ".portIndex is " + portIndex + " but the app has " + slots
                + " port slot(s)");
          }
        }
        String path = null;
        if (protocol.isHttp()) {
          path = text(c.get("path"), at + ".path");
          path = path == null || path.isEmpty() ? "/" : path;
        }
        out.add(new HealthCheck(protocol, path, portIndex, port,
            nonNegativeInt(c.get("intervalSeconds"), at + ".intervalSeconds",
                HealthCheck.DEFAULT_INTERVAL_SECONDS),
            nonNegativeInt(c.get("timeoutSeconds"), at + ".timeoutSeconds",
                HealthCheck.DEFAULT_TIMEOUT_SECONDS),
            nonNegativeInt(c.get("gracePeriodSeconds"), at + ".gracePeriodSeconds",
                HealthCheck.DEFAULT_GRACE_PERIOD_SECONDS),
            nonNegativeInt(c.get("maxConsecutiveFailures"), at + ".maxConsecutiveFailures",
                HealthCheck.DEFAULT_MAX_CONSECUTIVE_FAILURES),
            c.path("ignoreHttp1xx").asBoolean(false)));
      }
      return out;
    }

    private List<JsonNode> objects(JsonNode node, String where) throws InvalidAppException {
      List<JsonNode> out = new ArrayList<>();
      if (absent(node)) {
        return out;
      }
      if (!node.isArray()) {
        throw invalid(where + " is not an array");
      }
      for (JsonNode n : node) {
        if (!n.isObject()) {
          throw invalid(where + "[" + out.size() + "] is not an object");
        }
        out.add(n);
      }
      return out;
    }

    private String protocol(JsonNode node, String at) throws InvalidAppException {
      String p = text(node, at + ".protocol");
      if (p == null) {
        return "tcp";
      }
      String lower = p.toLowerCase(Locale.ROOT);
      for (String part : lower.split(",")) {
        String t = part.trim();
        if (!t.equals("tcp") && !t.equals("udp") && !t.equals("sctp")) {
          throw invalid(at + ".protocol '" + p + "' is not tcp, udp or sctp");
        }
      }
      return lower;
    }

    private int port(JsonNode node, String at) throws InvalidAppException {
      int p = nonNegativeInt(node, at, 0);
      if (p > 65535) {
        throw invalid(at + " is " + p + ", outside 0..65535");
      }
      return p;
    }

    int nonNegativeInt(JsonNode node, String at, int absentValue) throws InvalidAppException {
      if (absent(node)) {
        return absentValue;
      }
      if (!node.isIntegralNumber() || !node.canConvertToInt()) {
        throw invalid(at + " is not an integer: " + node);
      }
      if (node.intValue() < 0) {
        throw invalid(at + " is " + node.intValue() + ", below 0");
      }
      return node.intValue();
    }

    private String text(JsonNode node, String at) throws InvalidAppException {
      if (absent(node)) {
        return null;
      }
      if (!node.isTextual()) {
        throw invalid(at + " is not a string: " + node);
      }
      return node.asText();
    }
  }

  private static boolean absent(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode();
  }

  private static JsonNode path(JsonNode node, String... names) {
    JsonNode n = node;
    for (String name : names) {
      n = n.path(name);
    }
    return n;
  }
}
