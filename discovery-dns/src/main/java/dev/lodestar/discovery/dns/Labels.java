package dev.lodestar.discovery.dns;

import java.util.ArrayList;
import java.util.List;

/**
 * Mesos-DNS's label mangling, ported from {@code records/labels/labels.go} of mesosphere/mesos-dns
 * (commit e888ef40) so that a Marathon app id turns into exactly the name Mesos-DNS publishes.
 *
 * <p>A label is lowercased, keeps {@code [a-z0-9]}, maps {@code - . _} to {@code -} and drops
 * every other character. RFC 1123 (the Mesos-DNS default) then cuts at 63 characters and trims
 * {@code -} at both ends; RFC 952 ({@code enforceRFC952}) cuts at 24, also trims leading digits,
 * and back-fills a trimmed cut from the text after it (so {@code
 * worker-backend-services-production} becomes {@code worker-backend-servicesp}).
 *
 * <p>Thread safety: stateless.
 */
final class Labels {
  private Labels() {}

  /** Mangles one label (a task name is mangled as one label: its dots become dashes). */
  static String label(String name, MesosDnsSource.Naming naming) {
    StringBuilder mapped = new StringBuilder(name.length());
    name.codePoints().forEach(c -> {
      if (c >= 'A' && c <= 'Z') {
        mapped.append((char) (c - 'A' + 'a'));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        mapped.append((char) c);
      } else if (c == '-' || c == '.' || c == '_') {
        mapped.append('-');
      }
    });
    return naming == MesosDnsSource.Naming.RFC952
        ? trimCut(mapped.toString(), 24, "-0123456789", "-")
        : trimCut(mapped.toString(), 63, "-", "-");
  }

  /**
   * Mangles a dotted name part by part, dropping parts that come out empty; this is how Mesos-DNS
   * treats framework names ({@code DomainFrag}), so their dots survive.
   */
  static String domainFragment(String name, MesosDnsSource.Naming naming) {
    List<String> parts = new ArrayList<>();
    for (String part : name.split("\\.", -1)) {
      String label = label(part, naming);
      if (!label.isEmpty()) {
        parts.add(label);
      }
    }
    return String.join(".", parts);
  }

  /**
   * Marathon's {@code PathId.toHostname}: the path segments reversed and joined by dots, which is
   * the task name Marathon gives Mesos ({@code /production/backend-services/worker} becomes {@code
   * worker.backend-services.production}).
   */
  static String marathonTaskName(String appId) {
    List<String> segments = new ArrayList<>();
    for (String segment : appId.split("/")) {
      if (!segment.isEmpty()) {
        segments.add(0, segment);
      }
    }
    return String.join(".", segments);
  }

  // Go: trimCut(label, maxlen, left, right) in labels.go.
  private static String trimCut(String label, int maxLength, String left, String right) {
    String trimmed = trimLeft(label, left);
    int size = Math.min(trimmed.length(), maxLength);
    String head = trimRight(trimmed.substring(0, size), right);
    if (head.length() == size) {
      return head;
    }
    String tail = trimLeft(trimmed.substring(size), right);
    if (tail.isEmpty()) {
      return head;
    }
    // Go slices tail[:size-len(head)] and would panic on a short tail; take what there is.
    return head + tail.substring(0, Math.min(tail.length(), size - head.length()));
  }

  private static String trimLeft(String s, String cutset) {
    int i = 0;
    while (i < s.length() && cutset.indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    return s.substring(i);
  }

  private static String trimRight(String s, String cutset) {
    int i = s.length();
    while (i > 0 && cutset.indexOf(s.charAt(i - 1)) >= 0) {
      i--;
    }
    return s.substring(0, i);
  }
}
