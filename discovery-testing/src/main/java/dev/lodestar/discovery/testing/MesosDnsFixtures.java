package dev.lodestar.discovery.testing;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the Mesos-DNS fixtures in {@code testdata/} into DNS records, as zone-file text.
 *
 * <p>Two kinds of records: the complete record set a real Mesos-DNS produced ({@code
 * mesos-dns-axfr.json}), and records derived from a Mesos master state file the way Mesos-DNS
 * derives them ({@code records/generator.go}), for the state files that have no captured record set
 * (the 40-task and churn states). The derivation covers what those files need: {@code TASK_RUNNING}
 * tasks without a DiscoveryInfo, on IPv4 agents, whose names need no more than lowercasing and
 * {@code .}/{@code _} to {@code -}; {@code MesosDnsFixturesTest} checks it against the captured
 * answers.
 *
 * <p>This file uses the JDK only, so that {@code .ci/dns-server.sh} can run it with the source
 * launcher ({@code java MesosDnsFixtures.java <testdata-dir> <zone-file>}) before anything is built.
 * That is also why it carries its own small JSON reader.
 */
public final class MesosDnsFixtures {
  /** Mesos-DNS's default TTL and the one every fixture record carries. */
  public static final long TTL = 60;

  private MesosDnsFixtures() {}

  /** One resource record: owner name (absolute), type, TTL and zone-file RDATA. */
  public record Rr(String name, String type, long ttl, String data) {
    /** The record as one zone-file line. */
    public String zoneLine() {
      return name + " " + ttl + " IN " + type + " " + data;
    }
  }

  /** The repository's {@code testdata/}: system property {@code lodestar.testdata}, else {@code ../testdata}. */
  public static Path testdata() {
    String property = System.getProperty("lodestar.testdata");
    Path path = property != null ? Paths.get(property) : Paths.get("..", "testdata");
    return path.toAbsolutePath().normalize();
  }

  /** A file in {@code fixtures/mesos-dns}. */
  public static Path fixture(String file) {
    return testdata().resolve("mesos-dns").resolve(file);
  }

  /** The A, AAAA and SRV records of a {@code /v1/axfr} document. */
  @SuppressWarnings("unchecked")
  public static List<Rr> axfrRecords(Path axfr) throws IOException {
    Map<String, Object> doc = (Map<String, Object>) readJson(axfr);
    long ttl = ((Number) doc.get("TTL")).longValue();
    Map<String, Object> records = (Map<String, Object>) doc.get("Records");
    List<Rr> out = new ArrayList<>();
    for (String[] kind : new String[][] {{"As", "A"}, {"AAAAs", "AAAA"}, {"SRVs", "SRV"}}) {
      Map<String, Object> byName = (Map<String, Object>) records.get(kind[0]);
      for (Map.Entry<String, Object> e : byName.entrySet()) {
        for (Object value : (List<Object>) e.getValue()) {
          String v = (String) value;
          String data = v;
          if (kind[1].equals("SRV")) {
            int colon = v.lastIndexOf(':');
            data = "0 1 " + v.substring(colon + 1) + " " + v.substring(0, colon);
          }
          out.add(new Rr(e.getKey(), kind[1], ttl, data));
        }
      }
    }
    return out;
  }

  /**
   * SRV and target A records Mesos-DNS publishes for the running tasks of framework {@code
   * marathon} in a master state file (see the class comment for the subset covered).
   */
  @SuppressWarnings("unchecked")
  public static List<Rr> stateRecords(Path state) throws IOException {
    Map<String, Object> doc = (Map<String, Object>) readJson(state);
    Map<String, String> agentIps = new LinkedHashMap<>();
    for (Object o : (List<Object>) doc.get("slaves")) {
      Map<String, Object> slave = (Map<String, Object>) o;
      String pid = (String) slave.get("pid"); // slave(1)@1.2.3.10:5051
      String hostPort = pid.substring(pid.indexOf('@') + 1);
      agentIps.put((String) slave.get("id"), hostPort.substring(0, hostPort.lastIndexOf(':')));
    }
    Set<Rr> out = new LinkedHashSet<>();
    for (Object f : (List<Object>) doc.get("frameworks")) {
      Map<String, Object> framework = (Map<String, Object>) f;
      if (!"marathon".equals(framework.get("name"))) {
        continue;
      }
      for (Object t : (List<Object>) framework.get("tasks")) {
        Map<String, Object> task = (Map<String, Object>) t;
        String ip = agentIps.get((String) task.get("slave_id"));
        if (!"TASK_RUNNING".equals(task.get("state")) || task.containsKey("discovery")
            || ip == null || ip.startsWith("[")) {
          continue;
        }
        String label = simpleLabel((String) task.get("name"));
        String slaveId = (String) task.get("slave_id");
        String canonical = label + "-" + hash5((String) task.get("id")) + "-"
            + slaveId.substring(slaveId.lastIndexOf('-') + 1).toLowerCase();
        String target = canonical + ".marathon.slave.mesos.";
        List<Integer> ports = ports((String) ((Map<String, Object>) task.get("resources"))
            .get("ports"));
        if (ports.isEmpty()) {
          continue;
        }
        out.add(new Rr(target, "A", TTL, ip));
        for (String proto : new String[] {"_tcp", "_udp"}) {
          for (String zone : new String[] {".marathon.slave.mesos.", ".marathon.mesos."}) {
            for (int port : ports) {
              out.add(new Rr("_" + label + "." + proto + zone, "SRV", TTL,
                  "0 1 " + port + " " + target));
            }
          }
        }
      }
    }
    return new ArrayList<>(out);
  }

  /** The records a name server needs for zone {@code mesos.}: the given ones plus SOA and NS. */
  public static String zoneFile(List<Rr> records) {
    StringBuilder sb = new StringBuilder();
    sb.append("$ORIGIN mesos.\n$TTL ").append(TTL).append('\n');
    sb.append("mesos. ").append(TTL)
        .append(" IN SOA ns1.mesos. root.ns1.mesos. 1795531272 60 60 604800 60\n");
    sb.append("mesos. ").append(TTL).append(" IN NS ns1.mesos.\n");
    for (Rr rr : new LinkedHashSet<>(records)) {
      sb.append(rr.zoneLine()).append('\n');
    }
    return sb.toString();
  }

  /** The record set the integration tests expect from a real server: axfr plus the 40 tasks. */
  public static List<Rr> integrationRecords(Path testdata) throws IOException {
    Path dir = testdata.resolve("mesos-dns");
    Set<Rr> all = new LinkedHashSet<>(axfrRecords(dir.resolve("mesos-dns-axfr.json")));
    all.addAll(stateRecords(dir.resolve("state-marathon-40-web-prod-tasks.json")));
    return new ArrayList<>(all);
  }

  /** Writes the integration zone: {@code java MesosDnsFixtures.java <testdata-dir> <zone-file>}. */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: java MesosDnsFixtures.java <testdata-dir> <zone-file>");
      System.exit(2);
    }
    String zone = zoneFile(integrationRecords(Paths.get(args[0])));
    try (Writer w = Files.newBufferedWriter(Paths.get(args[1]), StandardCharsets.UTF_8)) {
      w.write(zone);
    }
  }

  // Enough of Mesos-DNS's RFC 1123 label for fixture task names (checked by the tests).
  private static String simpleLabel(String name) {
    return name.toLowerCase().replace('.', '-').replace('_', '-');
  }

  /** Mesos-DNS's {@code hashString}: the first 5 z-base-32 characters of sha1(taskId). */
  public static String hash5(String taskId) {
    try {
      byte[] sha = MessageDigest.getInstance("SHA-1")
          .digest(taskId.getBytes(StandardCharsets.UTF_8));
      long bits = ((sha[0] & 0xffL) << 24) | ((sha[1] & 0xffL) << 16) | ((sha[2] & 0xffL) << 8)
          | (sha[3] & 0xffL);
      String alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769";
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 5; i++) {
        sb.append(alphabet.charAt((int) ((bits >>> (27 - 5 * i)) & 31)));
      }
      return sb.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A Mesos port-ranges string as ports: {@code "[31000-31000, 32000-32000]"} is [31000, 32000]. */
  public static List<Integer> ports(String ranges) {
    List<Integer> ports = new ArrayList<>();
    if (ranges == null) {
      return ports;
    }
    String body = ranges.replace("[", "").replace("]", "").trim();
    if (body.isEmpty()) {
      return ports;
    }
    for (String range : body.split(",")) {
      String[] ends = range.trim().split("-");
      int from = Integer.parseInt(ends[0].trim());
      int to = Integer.parseInt(ends[ends.length - 1].trim());
      for (int p = from; p <= to; p++) {
        ports.add(p);
      }
    }
    return ports;
  }

  /** Parses JSON into maps, lists, strings, numbers (as Double), booleans and null. */
  public static Object readJson(Path path) throws IOException {
    return new Json(Files.readString(path, StandardCharsets.UTF_8)).document();
  }

  /** A small strict JSON reader (RFC 8259), enough for the fixtures. */
  static final class Json {
    private final String s;
    private int i;

    Json(String s) {
      this.s = s;
    }

    Object document() {
      Object value = value();
      skipSpace();
      if (i != s.length()) {
        throw error("trailing characters");
      }
      return value;
    }

    private Object value() {
      skipSpace();
      if (i >= s.length()) {
        throw error("unexpected end");
      }
      char c = s.charAt(i);
      switch (c) {
        case '{':
          return object();
        case '[':
          return array();
        case '"':
          return string();
        case 't':
          return literal("true", Boolean.TRUE);
        case 'f':
          return literal("false", Boolean.FALSE);
        case 'n':
          return literal("null", null);
        default:
          return number();
      }
    }

    private Map<String, Object> object() {
      Map<String, Object> map = new LinkedHashMap<>();
      i++;
      skipSpace();
      if (peek() == '}') {
        i++;
        return map;
      }
      while (true) {
        skipSpace();
        String key = string();
        skipSpace();
        expect(':');
        map.put(key, value());
        skipSpace();
        if (peek() == ',') {
          i++;
        } else {
          expect('}');
          return map;
        }
      }
    }

    private List<Object> array() {
      List<Object> list = new ArrayList<>();
      i++;
      skipSpace();
      if (peek() == ']') {
        i++;
        return list;
      }
      while (true) {
        list.add(value());
        skipSpace();
        if (peek() == ',') {
          i++;
        } else {
          expect(']');
          return list;
        }
      }
    }

    private String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (i >= s.length()) {
          throw error("unterminated string");
        }
        char c = s.charAt(i++);
        if (c == '"') {
          return sb.toString();
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = s.charAt(i++);
        switch (e) {
          case 'b': sb.append('\b'); break;
          case 'f': sb.append('\f'); break;
          case 'n': sb.append('\n'); break;
          case 'r': sb.append('\r'); break;
          case 't': sb.append('\t'); break;
          case 'u':
            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
            break;
          default: sb.append(e);
        }
      }
    }

    private Double number() {
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      if (start == i) {
        throw error("unexpected character");
      }
      return Double.valueOf(s.substring(start, i));
    }

    private Object literal(String word, Object value) {
      if (!s.startsWith(word, i)) {
        throw error("expected " + word);
      }
      i += word.length();
      return value;
    }

    private char peek() {
      return i < s.length() ? s.charAt(i) : '\0';
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    private void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("JSON: " + what + " at offset " + i);
    }
  }
}
