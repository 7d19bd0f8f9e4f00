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
 */
final class MarathonParser {
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
      .build();

  private MarathonParser() {}

  /** What one document held: apps (with their tasks) and tasks listed outside any app. */
  record Document(List<MarathonApp> apps, List<MarathonTask> looseTasks) {}

  static Document parse(byte[] json) throws IOException {
    try (JsonParser p = JSON.createParser(json)) {
      return parse(p);
    }
  }

  static Document parse(InputStream json) throws IOException {
    try (JsonParser p = JSON.createParser(json)) {
      return parse(p);
    }
  }

  private static Document parse(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new JsonParseException(p, "expected a JSON object at the top level");
    }
    List<MarathonApp> apps = new ArrayList<>();
    Map<String, String> strings = new HashMap<>();
    AppFields top = new AppFields(strings);
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
              apps.add(parseApp(p, strings));
            } else {
              p.skipChildren();
            }
          }
          break;
        case "app":
          expect(p, t, JsonToken.START_OBJECT, name);
          apps.add(parseApp(p, strings));
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

  private static MarathonApp parseApp(JsonParser p, Map<String, String> strings)
      throws IOException {
    AppFields app = new AppFields(strings);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken t = p.nextToken();
      if (t != JsonToken.VALUE_NULL) {
        app.field(p, name, t);
      }
    }
    return app.build();
  }

  /** Accumulates the fields of one app object in whatever order they come. */
  private static final class AppFields {
    final Map<String, String> strings;
    String id;
    Map<String, String> labels = Map.of();
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

    AppFields(Map<String, String> strings) {
      this.strings = strings;
    }

    void field(JsonParser p, String name, JsonToken t) throws IOException {
      switch (name) {
        case "id":
          id = text(p, t, name);
          break;
        case "labels":
          labels = stringMap(p, t);
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
                  mode = p.getText();
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
              portDefinitions.add(namedPort(p, "port", true));
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
                tasks.add(parseTask(p, strings));
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

    private void parseContainer(JsonParser p) throws IOException {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken v = p.nextToken();
        if (f.equals("portMappings") && v == JsonToken.START_ARRAY) {
          mappings = parseMappings(p);
        } else if (f.equals("docker") && v == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String d = p.currentName();
            JsonToken dv = p.nextToken();
            if (d.equals("network") && dv == JsonToken.VALUE_STRING) {
              dockerNetwork = p.getText();
            } else if (d.equals("portMappings") && dv == JsonToken.START_ARRAY) {
              // Pre-1.5 location; the 1.5+ container.portMappings wins when both are present.
              List<PortSlot> legacy = parseMappings(p);
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
                legacyDiscoveryPorts.add(namedPort(p, "number", false));
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

  private static List<PortSlot> parseMappings(JsonParser p) throws IOException {
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
            name = v == JsonToken.VALUE_STRING ? p.getText() : null;
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
   * Reads one task object. Values that repeat across tasks (app id, agent host, state, zone,
   * region) are shared through {@code strings}, one map per document, so a large task list holds
   * one copy of each.
   */
  static MarathonTask parseTask(JsonParser p, Map<String, String> strings) throws IOException {
    String id = null;
    String appId = null;
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
          appId = shared(strings, text(p, v, f));
          break;
        case "host":
          host = shared(strings, text(p, v, f));
          break;
        case "state":
          state = shared(strings, text(p, v, f));
          break;
        case "zone":
          zone = shared(strings, text(p, v, f));
          break;
        case "region":
          region = shared(strings, text(p, v, f));
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

  private static String shared(Map<String, String> strings, String s) {
    if (s == null) {
      return null;
    }
    String existing = strings.putIfAbsent(s, s);
    return existing != null ? existing : s;
  }

  /**
   * Advances to the next object element of the current array, skipping non-object elements;
   * returns false at the end of the array.
   */
  /**
   * Reads one {@code {"name": ..., <numberField>: ...}} port object: a {@code portDefinitions}
   * entry (a host port) or a legacy {@code ipAddress.discovery.ports} entry (a container port).
   */
  private static PortSlot namedPort(JsonParser p, String numberField, boolean hostPort)
      throws IOException {
    String slotName = null;
    int number = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String f = p.currentName();
      JsonToken v = p.nextToken();
      if (f.equals("name") && v == JsonToken.VALUE_STRING) {
        slotName = p.getText();
      } else if (f.equals(numberField) && v == JsonToken.VALUE_NUMBER_INT) {
        number = p.getIntValue();
      } else {
        p.skipChildren();
      }
    }
    return hostPort ? new PortSlot(slotName, number, true, 0)
        : new PortSlot(slotName, 0, false, number);
  }

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
    List<String> out = new ArrayList<>(1);
    while (p.nextToken() != JsonToken.END_ARRAY) {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        JsonToken v = p.nextToken();
        if (f.equals("ipAddress") && v == JsonToken.VALUE_STRING) {
          out.add(p.getText());
        } else {
          p.skipChildren();
        }
      }
    }
    return out;
  }

  /** Reads an array of numbers; a non-number element is kept as 0 so slot positions hold. */
  private static int[] intArray(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_ARRAY) {
      p.skipChildren();
      return EMPTY;
    }
    int[] buf = new int[2];
    int n = 0;
    while (p.nextToken() != JsonToken.END_ARRAY) {
      JsonToken v = p.currentToken();
      if (v == null) {
        throw new JsonParseException(p, "truncated array");
      }
      int value = 0;
      if (v == JsonToken.VALUE_NUMBER_INT) {
        long l = p.getLongValue();
        value = l < 0 || l > 65535 ? -1 : (int) l;
      } else {
        p.skipChildren();
        value = -1;
      }
      if (n == buf.length) {
        int[] bigger = new int[n * 2];
        System.arraycopy(buf, 0, bigger, 0, n);
        buf = bigger;
      }
      buf[n++] = value;
    }
    if (n == 0) {
      return EMPTY;
    }
    int[] out = new int[n];
    System.arraycopy(buf, 0, out, 0, n);
    return out;
  }

  private static Map<String, String> stringMap(JsonParser p, JsonToken t) throws IOException {
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
        out.put(k, p.getText());
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
