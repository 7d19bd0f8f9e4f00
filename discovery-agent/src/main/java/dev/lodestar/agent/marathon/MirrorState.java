package dev.lodestar.agent.marathon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * One state of the mirror: every app by id (sorted), and what is derived from them once, on first
 * use: the usable definitions and the {@code /v2/apps?embed=apps.tasks} body (plain and gzipped)
 * that the relay serves to every client.
 *
 * <p>Thread safety: immutable; the derived values are computed at most a few times under races
 * (benign: every computation gives the same result) and then shared.
 */
final class MirrorState {
  static final MirrorState EMPTY = new MirrorState(0, Collections.unmodifiableMap(new TreeMap<>()));

  private final long version;
  private final Map<String, MirroredApp> apps;
  private volatile List<AppDefinition> definitions;
  private volatile byte[] fullList;
  private volatile byte[] fullListGzip;

  /** @param apps unmodifiable, sorted by id */
  MirrorState(long version, Map<String, MirroredApp> apps) {
    this.version = version;
    this.apps = apps;
  }

  /** Increases by one with each applied change. */
  long version() {
    return version;
  }

  Map<String, MirroredApp> apps() {
    return apps;
  }

  List<AppDefinition> definitions() {
    List<AppDefinition> d = definitions;
    if (d == null) {
      List<AppDefinition> list = new ArrayList<>(apps.size());
      for (MirroredApp a : apps.values()) {
        if (a.definition() != null) {
          list.add(a.definition());
        }
      }
      definitions = d = List.copyOf(list);
    }
    return d;
  }

  /** {@code {"apps":[...]}} with every app, as Marathon answers the full list. */
  byte[] fullList() {
    byte[] b = fullList;
    if (b == null) {
      fullList = b = listOf(apps.values());
    }
    return b;
  }

  /** {@link #fullList()} gzipped, for clients that accept it. */
  byte[] fullListGzip() {
    byte[] b = fullListGzip;
    if (b == null) {
      fullListGzip = b = gzip(fullList());
    }
    return b;
  }

  /** {@code {"apps":[...]}} with the given apps. */
  static byte[] listOf(Iterable<MirroredApp> list) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("{\"apps\":[".getBytes(StandardCharsets.UTF_8));
    boolean first = true;
    for (MirroredApp a : list) {
      if (!first) {
        out.write(',');
      }
      first = false;
      out.writeBytes(a.json());
    }
    out.writeBytes("]}".getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length / 4 + 64);
    try (GZIPOutputStream z = new GZIPOutputStream(out, 8192)) {
      z.write(plain);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
