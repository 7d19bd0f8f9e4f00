package dev.lodestar.discovery.marathon;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;

/**
 * Canonical copies of the string values that repeat across a document's tasks (agent hosts, app
 * ids, states, zones, regions), looked up straight from the parser's character buffer: a value
 * seen before costs no allocation, where {@code getText()} and a map would allocate a string per
 * task only to throw it away.
 *
 * <p>Open addressing over a power-of-two table; bounded at {@value #MAX_ENTRIES} entries, beyond
 * which values are returned as new strings without being kept (a cluster has far fewer distinct
 * hosts, so the bound only stops a hostile document from growing it without limit).
 *
 * <p>Thread safety: not thread-safe; one per document being parsed.
 */
final class SharedStrings {
  static final int MAX_ENTRIES = 1 << 16;

  private String[] table = new String[64];
  private int size;

  /** The current string value of {@code p}, shared with earlier equal values. */
  String of(JsonParser p) throws IOException {
    char[] buf = p.getTextCharacters();
    int off = p.getTextOffset();
    int len = p.getTextLength();
    int h = 0;
    for (int i = off, end = off + len; i < end; i++) {
      h = 31 * h + buf[i];
    }
    int mask = table.length - 1;
    // The same hash as String.hashCode, spread so that values differing in their tail spread.
    for (int i = (h ^ (h >>> 16)) & mask; ; i = (i + 1) & mask) {
      String s = table[i];
      if (s == null) {
        String value = new String(buf, off, len);
        if (size < MAX_ENTRIES) {
          table[i] = value;
          if (++size * 2 > table.length) {
            grow();
          }
        }
        return value;
      }
      if (s.length() == len && s.hashCode() == h && matches(s, buf, off)) {
        return s;
      }
    }
  }

  private static boolean matches(String s, char[] buf, int off) {
    for (int i = 0, n = s.length(); i < n; i++) {
      if (s.charAt(i) != buf[off + i]) {
        return false;
      }
    }
    return true;
  }

  private void grow() {
    String[] old = table;
    table = new String[old.length * 2];
    int mask = table.length - 1;
    for (String s : old) {
      if (s != null) {
        int h = s.hashCode();
        int i = (h ^ (h >>> 16)) & mask;
        while (table[i] != null) {
          i = (i + 1) & mask;
        }
        table[i] = s;
      }
    }
  }
}
