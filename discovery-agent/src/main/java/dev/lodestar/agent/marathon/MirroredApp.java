package dev.lodestar.agent.marathon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One app as the mirror holds it: the app object exactly as Marathon sent it (tasks included), and
 * its parsed definition when it is a usable app.
 *
 * <p>Thread safety: immutable; {@code json} is never written after construction and must not be
 * modified by readers.
 *
 * @param id the app id, as Marathon spells it
 * @param json the app object's JSON (UTF-8)
 * @param definition the parsed definition, or {@code null} when the app is not usable
 * @param invalidReason why {@code definition} is null, or {@code null}
 * @param labels the app's string labels (read even when the definition is invalid)
 */
record MirroredApp(String id, byte[] json, AppDefinition definition, String invalidReason,
    Map<String, String> labels) {

  /**
   * Reads one element of {@code apps[]} (or the {@code app} of a single-app answer).
   *
   * @throws IOException if the node is not an object with a string id
   */
  static MirroredApp of(JsonNode app, ObjectMapper mapper) throws IOException {
    if (app == null || !app.isObject()) {
      throw new IOException("an app is not a JSON object");
    }
    JsonNode idNode = app.get("id");
    if (idNode == null || !idNode.isTextual() || !idNode.asText().startsWith("/")) {
      throw new IOException("an app has no absolute string id: " + idNode);
    }
    AppDefinition definition = null;
    String invalid = null;
    try {
      definition = AppDefinition.parse(app);
    } catch (InvalidAppException e) {
      invalid = e.getMessage();
    }
    Map<String, String> labels = new LinkedHashMap<>();
    JsonNode l = app.get("labels");
    if (l != null && l.isObject()) {
      l.fields().forEachRemaining(f -> {
        if (f.getValue().isValueNode() && !f.getValue().isNull()) {
          labels.put(f.getKey(), f.getValue().asText());
        }
      });
    }
    return new MirroredApp(idNode.asText(), mapper.writeValueAsBytes(app), definition, invalid,
        Collections.unmodifiableMap(labels));
  }

  /** Whether {@code other} carries the same JSON (so nothing changed). */
  boolean sameAs(MirroredApp other) {
    return other != null && Arrays.equals(json, other.json);
  }
}
