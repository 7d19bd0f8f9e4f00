package dev.lodestar.discovery.marathon;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.lodestar.discovery.marathon.MarathonApp.PortSlot;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Streaming reader for every Marathon app and task shape discovery needs.
 *
 * <p>Accepts {@code {"apps":[...]}} ({@code /v2/apps}), {@code {"app":{...}}} ({@code
 * /v2/apps/{id}}), {@code {"tasks":[...]}} ({@code /v2/tasks}, {@code /v2/apps/{id}/tasks}) and a
 * bare app object (an app definition). It reads token by token with Jackson's {@link JsonParser}
 * and keeps only the fields it needs; unknown fields and {@code null} values are skipped. A
 * document that is not well-formed JSON fails as a whole with an {@link IOException}.
 *
 * <p>Thread safety: stateless; safe for concurrent use.
 *
 * <p>Length (~660 lines): one streaming pass reads every shape Marathon versions use for ports
 * and addresses (port definitions, container and Docker port mappings, IP-per-task discovery
 * ports, host ports, IP addresses); the field handlers fill one accumulator ({@code AppFields})
 * and share the document's string table.
 */
final class MarathonParser {
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
      .build();

  private MarathonParser() {}

  /** What one document held: apps (with their tasks) and tasks listed outside any app. */
  record Document(List<MarathonApp> apps, List<MarathonTask> looseTasks) {}

  /**
   * Decides from an app's id and labels whether a list's app is wanted at all. It is asked once
   * both fields are read; an unwanted app's remaining fields, its tasks among them, are skipped
   * unread and the app is left out of the {@link Document}. Marathon writes {@code id} and
   * {@code labels} before {@code tasks}; in a document that does not, the tasks already read
   * are dropped with their app, so the filter always decides, only the saving is smaller.
   */
  @FunctionalInterface
  interface AppFilter {
    AppFilter ALL = (id, labels) -> true;

    boolean wants(String id, Map<String, String> labels);
  }

  static Document parse(byte[] json) throws IOException {
    return parse(json, AppFilter.ALL);
  }

  static Document parse(byte[] json, AppFilter filter) throws IOException {
    try (JsonParser p = JSON.createParser(json)) {
      return parse(p, filter);
    }
  }

  static Document parse(InputStream json) throws IOException {
    return parse(json, AppFilter.ALL);
  }

  static Document parse(InputStream json, AppFilter filter) throws IOException {
    try (JsonParser p = JSON.createParser(json)) {
      return parse(p, filter);
    }
  }

  private static Document parse(JsonParser p, AppFilter filter) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new JsonParseException(p, "expected a JSON object at the top level");
    }
    List<MarathonApp> apps = new ArrayList<>();
    SharedStrings strings = new SharedStrings();
    AppFields top = new AppFields(strings, AppFilter.ALL);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      if (t == JsonToken.VALUE_NULL) {
        continue;
      }
      switch (name) {
        case "apps":
          expect(p, t, JsonToken.START_ARRAY, name);
          while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() == JsonToken.START_OBJECT) {
              MarathonApp app = parseApp(p, strings, filter);
              if (app != null) {
                apps.add(app);
              }
            } else {
              p.skipChildren();
            }
          }
          break;
        case "app":
          expect(p, t, JsonToken.START_OBJECT, name);
          apps.add(parseApp(p, strings, AppFilter.ALL));
          break;
        default:
          top.field(p, name, t);
      }
    }
    if (p.currentToken() != JsonToken.END_OBJECT) {
      throw new JsonParseException(p, "truncated document");
    }
    if (p.nextToken() != null) {
      throw new JsonParseException(p, "trailing content after the top-level object");
    }
    if (top.id != null) {
      apps.add(top.build());
      return new Document(apps, List.of());
    }
    return new Document(apps, top.tasks == null ? List.of() : top.tasks);
  }

  /** Reads one app object; {@code null} when {@code filter} did not want it. */
  private static MarathonApp parseApp(JsonParser p, SharedStrings strings, AppFilter filter)
      throws IOException {
    AppFields app = new AppFields(strings, filter);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      if (app.skipped) {
        p.skipChildren(); // an app nobody wants: read nothing more of it
      } else if (t != JsonToken.VALUE_NULL) {
        app.field(p, name, t);
      }
    }
    return app.skipped ? null : app.build();
  }

  /** Accumulates the fields of one app object in whatever order they come. */
  private static final class AppFields {
    final SharedStrings strings;
    final AppFilter filter;
    String id;
    Map<String, String> labels = Map.of();
    boolean labelsSeen;
    boolean skipped;
    boolean legacyIpAddress;
    List<PortSlot> legacyDiscoveryPorts;
    String dockerNetwork;
    String lastNetworksMode;
    List<PortSlot> portDefinitions;
    List<PortSlot> legacyPorts;
    List<PortSlot> mappings;
    int healthChecks;
    int instances;
    String lastScalingAt = "";
    List<MarathonTask> tasks;

    AppFields(SharedStrings strings, AppFilter filter) {
      this.strings = strings;
      this.filter = filter;
    }

    void field(JsonParser p, String name, JsonToken t) throws IOException {
      switch (name) {
        case "id":
          id = text(p, t, name);
          decideWanted();
          break;
        case "labels":
          labels = stringMap(p, t, strings);
          labelsSeen = true;
          decideWanted();
          break;
        case "instances":
          instances = t == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : 0;
          break;
        case "versionInfo":
          // Only lastScalingAt: ZddDrain orders a blue/green pair by it, as marathon-lb does.
          if (t == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String f = p.currentName();
              JsonToken v = p.nextToken();
              if (f.equals("lastScalingAt") && v == JsonToken.VALUE_STRING) {
                lastScalingAt = p.getText();
              } else {
                p.skipChildren();
              }
            }
          } else {
            p.skipChildren();
          }
          break;
        case "ipAddress":
          if (t == JsonToken.START_OBJECT) {
            legacyIpAddress = true;
            parseLegacyIpAddress(p);
          } else {
            p.skipChildren();
          }
          break;
        case "container":
          if (t == JsonToken.START_OBJECT) {
            parseContainer(p);
          } else {
            p.skipChildren();
          }
          break;
        case "networks":
          if (t == JsonToken.START_ARRAY) {
            while (nextObject(p)) {
              String mode = "container";
              while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken v = p.nextToken();
                if (f.equals("mode") && v == JsonToken.VALUE_STRING) {
                  mode = strings.of(p);
                } else {
                  p.skipChildren();
                }
              }
              lastNetworksMode = mode;
            }
          } else {
            p.skipChildren();
          }
          break;
        case "portDefinitions":
          if (t == JsonToken.START_ARRAY) {
            portDefinitions = new ArrayList<>();
            while (nextObject(p)) {
              portDefinitions.add(namedPort(p, "port", true, strings));
            }
          } else {
            p.skipChildren();
          }
          break;
        case "ports":
          // Legacy app-level service ports (one slot each, no names).
          if (t == JsonToken.START_ARRAY) {
            legacyPorts = new ArrayList<>();
            for (int port : intArray(p, t)) {
              legacyPorts.add(new PortSlot(null, port, true, 0));
            }
          } else {
            p.skipChildren();
          }
          break;
        case "healthChecks":
          if (t == JsonToken.START_ARRAY) {
            while (p.nextToken() != JsonToken.END_ARRAY) {
              healthChecks++;
              p.skipChildren();
            }
          } else {
            p.skipChildren();
          }
          break;
        case "tasks":
          if (t == JsonToken.START_ARRAY) {
            tasks = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
              if (p.currentToken() == JsonToken.START_OBJECT) {
                tasks.add(parseTask(p, strings, id));
              } else {
                p.skipChildren();
              }
            }
          } else {
            p.skipChildren();
          }
          break;
        default:
          p.skipChildren();
      }
    }

    /** Once both the id and the labels are known, asks the filter whether to read on. */
    private void decideWanted() {
      if (filter != AppFilter.ALL && id != null && labelsSeen && !filter.wants(id, labels)) {
        skipped = true;
      }
    }

    private void parseContainer(JsonParser p) throws IOException {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken v = p.nextToken();
        if (f.equals("portMappings") && v == JsonToken.START_ARRAY) {
          mappings = parseMappings(p, strings);
        } else if (f.equals("docker") && v == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String d = p.currentName();
            JsonToken dv = p.nextToken();
            if (d.equals("network") && dv == JsonToken.VALUE_STRING) {
              dockerNetwork = strings.of(p);
            } else if (d.equals("portMappings") && dv == JsonToken.START_ARRAY) {
              // Pre-1.5 location; the 1.5+ container.portMappings wins when both are present.
              List<PortSlot> legacy = parseMappings(p, strings);
              if (mappings == null) {
                mappings = legacy;
              }
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    }

    private void parseLegacyIpAddress(JsonParser p) throws IOException {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken v = p.nextToken();
        if (f.equals("discovery") && v == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String d = p.currentName();
            JsonToken dv = p.nextToken();
            if (d.equals("ports") && dv == JsonToken.START_ARRAY) {
              legacyDiscoveryPorts = new ArrayList<>();
              while (nextObject(p)) {
                legacyDiscoveryPorts.add(namedPort(p, "number", false, strings));
              }
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    }

    MarathonApp build() {
      NetworkMode mode = NetworkMode.of(legacyIpAddress, dockerNetwork, lastNetworksMode);
      List<PortSlot> slots;
      switch (mode) {
        case BRIDGE:
          slots = mappings != null ? bridgeSlots(mappings) : List.of();
          break;
        case CONTAINER:
          if (mappings != null) {
            slots = mappings;
          } else if (legacyDiscoveryPorts != null) {
            slots = legacyDiscoveryPorts;
          } else {
            slots = List.of();
          }
          break;
        default:
          if (portDefinitions != null) {
            slots = portDefinitions;
          } else if (legacyPorts != null) {
            slots = legacyPorts;
          } else {
            slots = List.of();
          }
      }
      return new MarathonApp(id == null ? "" : id, labels, mode, List.copyOf(slots), healthChecks,
          tasks, instances, lastScalingAt);
    }
  }

  /** On a bridge network a mapping without {@code hostPort} gets a dynamic one (0). */
  private static List<PortSlot> bridgeSlots(List<PortSlot> mappings) {
    List<PortSlot> out = new ArrayList<>(mappings.size());
    for (PortSlot s : mappings) {
      out.add(new PortSlot(s.name(), s.servicePort(), true, s.containerPort()));
    }
    return out;
  }

  private static List<PortSlot> parseMappings(JsonParser p, SharedStrings strings)
      throws IOException {
    List<PortSlot> out = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      String name = null;
      int servicePort = 0;
      int containerPort = 0;
      boolean hasHostPort = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken v = p.nextToken();
        switch (f) {
          case "name":
            name = v == JsonToken.VALUE_STRING ? strings.of(p) : null;
            break;
          case "servicePort":
            servicePort = v == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : 0;
            break;
          case "containerPort":
            containerPort = v == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : 0;
            break;
          case "hostPort":
            hasHostPort = v == JsonToken.VALUE_NUMBER_INT;
            break;
          default:
            p.skipChildren();
        }
      }
      out.add(new PortSlot(name, servicePort, hasHostPort, containerPort));
    }
    return out;
  }

  /**
   * Reads one task object. Values that repeat across tasks (agent host, state, zone, region) are
   * shared through {@code strings}, one table per document, so a large task list holds one copy
   * of each and allocates nothing for a value it has seen.
   *
   * @param enclosingAppId the id of the app whose {@code tasks} array holds this task, or
   *     {@code null} for a task listed on its own ({@code /v2/tasks}); an embedded task belongs
   *     to its app, so its {@code appId} value is skipped undecoded and the app's id is used
   */
  static MarathonTask parseTask(JsonParser p, SharedStrings strings, String enclosingAppId)
      throws IOException {
    String id = null;
    String appId = enclosingAppId;
    String host = null;
    String state = null;
    int[] ports = EMPTY;
    int[] servicePorts = EMPTY;
    List<String> ipAddresses = List.of();
    int results = 0;
    int alive = 0;
    String zone = null;
    String region = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken v = p.nextToken();
      if (v == JsonToken.VALUE_NULL) {
        continue;
      }
      switch (f) {
        case "id":
          id = text(p, v, f);
          break;
        case "appId":
          if (enclosingAppId == null) {
            appId = shared(strings, p, v);
          } else {
            p.skipChildren(); // a no-op on a scalar: the value stays undecoded
          }
          break;
        case "host":
          host = shared(strings, p, v);
          break;
        case "state":
          state = shared(strings, p, v);
          break;
        case "zone":
          zone = shared(strings, p, v);
          break;
        case "region":
          region = shared(strings, p, v);
          break;
        case "ports":
          ports = intArray(p, v);
          break;
        case "servicePorts":
          servicePorts = intArray(p, v);
          break;
        case "ipAddresses":
          ipAddresses = ipAddresses(p, v);
          break;
        case "healthCheckResults":
          if (v == JsonToken.START_ARRAY) {
            while (nextObject(p)) {
              results++;
              while (p.nextToken() == JsonToken.FIELD_NAME) {
                String rf = p.currentName();
                JsonToken rv = p.nextToken();
                if (rf.equals("alive") && rv == JsonToken.VALUE_TRUE) {
                  alive++;
                } else {
                  p.skipChildren();
                }
              }
            }
          } else {
            p.skipChildren();
          }
          break;
        default:
          p.skipChildren();
      }
    }
    return new MarathonTask(id, appId, host, state, ports, servicePorts, ipAddresses, results,
        alive, zone, region);
  }

  private static final int[] EMPTY = new int[0];

  private static String shared(SharedStrings strings, JsonParser p, JsonToken t)
      throws IOException {
    if (t.isScalarValue()) {
      return strings.of(p);
    }
    p.skipChildren();
    return null;
  }

  /**
   * Reads one {@code {"name": ..., <numberField>: ...}} port object: a {@code portDefinitions}
   * entry (a host port) or a legacy {@code ipAddress.discovery.ports} entry (a container port).
   */
  private static PortSlot namedPort(JsonParser p, String numberField, boolean hostPort,
      SharedStrings strings) throws IOException {
    String slotName = null;
    int number = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken v = p.nextToken();
      if (f.equals("name") && v == JsonToken.VALUE_STRING) {
        slotName = strings.of(p);
      } else if (f.equals(numberField) && v == JsonToken.VALUE_NUMBER_INT) {
        number = p.getIntValue();
      } else {
        p.skipChildren();
      }
    }
    return hostPort ? new PortSlot(slotName, number, true, 0)
        : new PortSlot(slotName, 0, false, number);
  }

  /**
   * Advances to the next object element of the current array, skipping non-object elements;
   * returns false at the end of the array.
   */
  private static boolean nextObject(JsonParser p) throws IOException {
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t == JsonToken.START_OBJECT) {
        return true;
      }
      p.skipChildren();
    }
    return false;
  }

  private static List<String> ipAddresses(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_ARRAY) {
      p.skipChildren();
      return List.of();
    }
    // Almost every task has one address: keep it in a List.of, without an ArrayList.
    String first = null;
    List<String> more = null;
    while (nextObject(p)) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken v = p.nextToken();
        if (f.equals("ipAddress") && v == JsonToken.VALUE_STRING) {
          if (first == null) {
            first = p.getText();
          } else {
            if (more == null) {
              more = new ArrayList<>(4);
              more.add(first);
            }
            more.add(p.getText());
          }
        } else {
          p.skipChildren();
        }
      }
    }
    return more != null ? more : first != null ? List.of(first) : List.of();
  }

  /** Reads an array of ports; a non-port element is kept as -1 so slot positions hold. */
  private static int[] intArray(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_ARRAY) {
      p.skipChildren();
      return EMPTY;
    }
    JsonToken v = p.nextToken();
    if (v == JsonToken.END_ARRAY) {
      return EMPTY;
    }
    int first = portValue(p, v);
    if ((v = p.nextToken()) == JsonToken.END_ARRAY) {
      return new int[] {first}; // the common case: one port, no growing buffer
    }
    int[] buf = new int[4];
    buf[0] = first;
    int n = 1;
    for (; v != JsonToken.END_ARRAY; v = p.nextToken()) {
      int value = portValue(p, v);
      if (n == buf.length) {
        int[] bigger = new int[n * 2];
        System.arraycopy(buf, 0, bigger, 0, n);
        buf = bigger;
      }
      buf[n++] = value;
    }
    int[] out = new int[n];
    System.arraycopy(buf, 0, out, 0, n);
    return out;
  }

  /** A port number, or -1 for anything that is not one (the slot position still holds). */
  private static int portValue(JsonParser p, JsonToken v) throws IOException {
    if (v == null) {
      throw new JsonParseException(p, "truncated array");
    }
    if (v == JsonToken.VALUE_NUMBER_INT) {
      long l = p.getLongValue();
      return l < 0 || l > 65535 ? -1 : (int) l;
    }
    p.skipChildren();
    return -1;
  }

  private static Map<String, String> stringMap(JsonParser p, JsonToken t, SharedStrings strings)
      throws IOException {
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return Map.of();
    }
    Map<String, String> out = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String k = p.currentName();
      JsonToken v = p.nextToken();
      if (v.isScalarValue() && v != JsonToken.VALUE_NULL) {
        if (out == null) {
          out = new HashMap<>();
        }
        out.put(k, strings.of(p));
      } else {
        p.skipChildren();
      }
    }
    // Immutable (Map.copyOf), so every Instance of the app shares it instead of copying it.
    return out == null ? Map.of() : Map.copyOf(out);
  }

  private static String text(JsonParser p, JsonToken t, String field) throws IOException {
    if (t == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (t.isScalarValue()) {
      return p.getText();
    }
    p.skipChildren();
    return null;
  }

  private static void expect(JsonParser p, JsonToken actual, JsonToken expected, String field)
      throws IOException {
    if (actual != expected) {
      throw new JsonParseException(p, "field '" + field + "' should be " + expected + " but is "
          + actual);
    }
  }
}
