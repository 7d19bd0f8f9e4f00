package dev.lodestar.agent.marathon;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The part of Marathon's {@code label} selector ({@code GET /v2/apps?label=...}) the relay
 * serves: comma-separated terms {@code key==value}, {@code key!=value} and {@code key} (the label
 * exists), all of which must hold. As in Marathon ({@code app.labels.contains(key) && fn(value)}),
 * every term requires the label: {@code key!=value} matches only apps that have label {@code key}
 * with another value. Set-based terms ({@code in}, {@code notin}) are refused.
 *
 * <p>Thread safety: immutable.
 */
final class LabelSelector {
  private record Term(String key, String value, boolean equal) {
    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      if (v == null) {
        return false;
      }
      return value == null || equal == value.equals(v);
    }
  }

  private final List<Term> terms;

  private LabelSelector(List<Term> terms) {
    this.terms = terms;
  }

  /**
   * Parses the {@code label} parameters of one request.
   *
   * @return the selector, or {@code null} when there is none
   * @throws IllegalArgumentException for a term the relay does not serve, naming it
   */
  static LabelSelector parse(List<String> parameters) {
    List<Term> terms = new ArrayList<>();
    for (String parameter : parameters) {
      for (String raw : parameter.split(",")) {
        String term = raw.trim();
        if (term.isEmpty()) {
          continue;
        }
        int ne = term.indexOf("!=");
        int eq = term.indexOf("==");
        if (ne > 0) {
          terms.add(new Term(term.substring(0, ne).trim(), term.substring(ne + 2).trim(), false));
        } else if (eq > 0) {
          terms.add(new Term(term.substring(0, eq).trim(), term.substring(eq + 2).trim(), true));
        } else if (term.matches("[A-Za-z0-9_.\\-/]+")) {
          terms.add(new Term(term, null, true));
        } else {
          throw new IllegalArgumentException("label selector term not served by the relay"
              + " (use k==v, k!=v or k): " + term);
        }
      }
    }
    return terms.isEmpty() ? null : new LabelSelector(List.copyOf(terms));
  }

  /** Whether every term holds for {@code labels}. */
  boolean matches(Map<String, String> labels) {
    Objects.requireNonNull(labels, "labels");
    for (Term t : terms) {
      if (!t.matches(labels)) {
        return false;
      }
    }
    return true;
  }
}
