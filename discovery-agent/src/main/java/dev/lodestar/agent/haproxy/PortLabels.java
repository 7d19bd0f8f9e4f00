package dev.lodestar.agent.haproxy;

import dev.lodestar.agent.marathon.AppDefinition;
import dev.lodestar.agent.marathon.HealthCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The marathon-lb labels of one port slot, validated. The subset read (anything else starting
 * with {@code HAPROXY_} is reported as ignored by {@link #ignored}):
 *
 * <table>
 *   <caption>Labels</caption>
 *   <tr><th>label</th><th>value</th><th>effect</th></tr>
 *   <tr><td>{@code HAPROXY_GROUP}</td><td>comma-separated groups</td><td>the app is exposed by a
 *       bridge whose {@code --group} is one of them (or {@code *})</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_VHOST}</td><td>comma-separated host names, no wildcards</td>
 *       <td>Host-header routes (exact match) in the shared HTTP (and HTTPS) frontend; implies
 *       HTTP mode</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_STICKY}</td><td>{@code true}/{@code false}</td><td>a cookie pins a
 *       client to one server (HTTP mode)</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_REDIRECT_TO_HTTPS}</td><td>{@code true}/{@code false}</td><td>the
 *       HTTP frontend answers 301 to {@code https://} for the port's vhosts (needs a VHOST)</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_SSL_CERT}</td><td>absolute path of a readable PEM file on this
 *       host</td><td>added to the HTTPS frontend's {@code crt} list (needs a VHOST)</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_MODE}</td><td>{@code tcp}/{@code http}</td><td>frontend and backend
 *       mode; default http with a VHOST or an HTTP health check on that port, else tcp</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_BALANCE}</td><td>{@link #BALANCES}</td><td>the backend's
 *       {@code balance}; default roundrobin</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_PORT}</td><td>1..65535</td><td>the frontend port instead of the
 *       service port</td></tr>
 *   <tr><td>{@code HAPROXY_{n}_BIND_ADDR}</td><td>an IPv4 or IPv6 literal, or {@code *}</td><td>
 *       the frontend's bind address instead of {@code --bind-addr}</td></tr>
 * </table>
 *
 * <p>Thread safety: an immutable value; the parser is stateless. Failure modes: {@link #parse}
 * throws {@link LabelException} for the first invalid value; it reads the file system only to
 * check that an {@code SSL_CERT} file exists and is readable (its content is left to {@code
 * haproxy -c}).
 *
 * @param index the port slot
 * @param vhosts the VHOST names, empty when none
 * @param sticky whether a cookie pins clients
 * @param redirectToHttps whether HTTP requests to the vhosts are redirected to HTTPS
 * @param sslCert the extra certificate path, or {@code null}
 * @param mode {@code tcp} or {@code http}
 * @param balance the HAProxy balance algorithm
 * @param frontendPort the port the frontend binds: the label, else the service port (0 = none)
 * @param bindAddr the frontend's bind address, or {@code null} for the bridge's default
 */
record PortLabels(int index, List<String> vhosts, boolean sticky, boolean redirectToHttps,
    String sslCert, String mode, String balance, int frontendPort, String bindAddr) {

  static final String GROUP = "HAPROXY_GROUP";
  /** The balance algorithms accepted: the ones that need no argument. */
  static final Set<String> BALANCES =
      Set.of("roundrobin", "static-rr", "leastconn", "first", "source", "random", "uri");
  /** The per-port labels read, {@code HAPROXY_{n}_<suffix>}. */
  static final Set<String> SUFFIXES = Set.of("VHOST", "STICKY", "REDIRECT_TO_HTTPS", "SSL_CERT",
      "MODE", "BALANCE", "PORT", "BIND_ADDR");

  private static final Pattern PORT_LABEL = Pattern.compile("HAPROXY_(\\d+)_([A-Z_]+)");
  private static final Pattern HOST_NAME = Pattern.compile(
      "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
          + "[A-Za-z0-9])?)*");
  private static final Pattern IPV4 = Pattern.compile(
      "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern CERT_PATH = Pattern.compile("/[A-Za-z0-9._/@+-]+");

  /** Whether the app's {@code HAPROXY_GROUP} names {@code group}; {@code *} matches any app. */
  static boolean inGroup(AppDefinition app, String group) {
    if ("*".equals(group)) {
      return true;
    }
    String groups = app.label(GROUP);
    if (groups == null) {
      return false;
    }
    for (String g : groups.split(",")) {
      if (g.trim().equals(group)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The {@code HAPROXY_*} labels of {@code app} that the bridge does not read, e.g. marathon-lb's
   * template overrides and deployment labels (reported, not an error; the blue/green labels are
   * read by Lodestar's Marathon source, which merges and drains the colours).
   */
  static List<String> ignored(AppDefinition app) {
    List<String> out = new ArrayList<>();
    for (String key : app.labels().keySet()) {
      if (!key.startsWith("HAPROXY_") || key.equals(GROUP)
          || key.startsWith("HAPROXY_DEPLOYMENT_")) {
        continue;
      }
      Matcher m = PORT_LABEL.matcher(key);
      if (!m.matches() || !SUFFIXES.contains(m.group(2))) {
        out.add(key);
      }
    }
    return out;
  }

  /**
   * Reads the labels of every port slot of {@code app}.
   *
   * @throws LabelException for the first invalid value, or a per-port label naming a slot the
   *     app does not have
   */
  static List<PortLabels> parse(AppDefinition app) throws LabelException {
    int slots = app.servicePorts().size();
    for (String key : app.labels().keySet()) {
      Matcher m = PORT_LABEL.matcher(key);
      if (m.matches() && SUFFIXES.contains(m.group(2))) {
        int n;
        try {
          n = Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
          n = Integer.MAX_VALUE;
        }
        if (n >= slots) {
          throw new LabelException(app.id(), key, app.label(key),
              "the app has " + slots + " port slot(s), so no port index " + m.group(1));
        }
      }
    }
    List<PortLabels> out = new ArrayList<>(slots);
    for (int i = 0; i < slots; i++) {
      out.add(parse(app, i));
    }
    return out;
  }

  private static PortLabels parse(AppDefinition app, int i) throws LabelException {
    Reader r = new Reader(app, i);
    List<String> vhosts = r.vhosts();
    boolean sticky = r.bool("STICKY");
    boolean redirect = r.bool("REDIRECT_TO_HTTPS");
    String cert = r.certificate();
    String mode = r.mode(!vhosts.isEmpty() || httpChecked(app, i));
    String balance = r.balance();
    int port = r.port();
    String bind = r.bindAddr();
    if (mode.equals("tcp")) {
      for (String needsHttp : List.of("VHOST", "STICKY", "REDIRECT_TO_HTTPS")) {
        String v = r.raw(needsHttp);
        if (v != null && !v.equalsIgnoreCase("false")) {
          throw new LabelException(app.id(), r.key("MODE"), "tcp",
              r.key(needsHttp) + " needs HTTP mode");
        }
      }
    }
    if (vhosts.isEmpty()) {
      if (redirect) {
        throw new LabelException(app.id(), r.key("REDIRECT_TO_HTTPS"), "true",
            "redirects apply to the shared HTTP frontend's vhosts; set " + r.key("VHOST"));
      }
      if (cert != null) {
        throw new LabelException(app.id(), r.key("SSL_CERT"), cert,
            "certificates serve the shared HTTPS frontend's vhosts; set " + r.key("VHOST"));
      }
    }
    return new PortLabels(i, vhosts, sticky, redirect, cert, mode, balance, port, bind);
  }

  private static boolean httpChecked(AppDefinition app, int slot) {
    for (HealthCheck c : app.healthChecks()) {
      if (c.protocol().isHttp() && c.portIndex() == slot) {
        return true;
      }
    }
    return false;
  }

  /** Reads {@code HAPROXY_{n}_*} of one slot, naming app, label and value in every error. */
  private static final class Reader {
    private final AppDefinition app;
    private final int index;

    Reader(AppDefinition app, int index) {
      this.app = app;
      this.index = index;
    }

    String key(String suffix) {
      return "HAPROXY_" + index + "_" + suffix;
    }

    String raw(String suffix) {
      return app.label(key(suffix));
    }

    private LabelException invalid(String suffix, String value, String why) {
      return new LabelException(app.id(), key(suffix), value, why);
    }

    List<String> vhosts() throws LabelException {
      String v = raw("VHOST");
      List<String> out = new ArrayList<>();
      if (v == null || v.isBlank()) {
        return out;
      }
      for (String h : v.split(",")) {
        String host = h.trim().toLowerCase(Locale.ROOT);
        if (host.startsWith("*")) {
          // The ACL compares the Host header exactly, so "*.x" would route nothing: refuse it.
          throw invalid("VHOST", v, "'" + h.trim() + "': wildcard host names are not supported;"
              + " list each host name");
        }
        if (!HOST_NAME.matcher(host).matches() || host.length() > 253) {
          throw invalid("VHOST", v, "'" + h.trim() + "' is not a host name");
        }
        out.add(host);
      }
      return out;
    }

    boolean bool(String suffix) throws LabelException {
      String v = raw(suffix);
      if (v == null) {
        return false;
      }
      switch (v.trim().toLowerCase(Locale.ROOT)) {
        case "true":
          return true;
        case "false":
          return false;
        default:
          throw invalid(suffix, v, "expected true or false");
      }
    }

    String matching(String suffix, Pattern p, String why) throws LabelException {
      String v = raw(suffix);
      if (v == null) {
        return null;
      }
      if (!p.matcher(v.trim()).matches()) {
        throw invalid(suffix, v, why);
      }
      return v.trim();
    }

    /**
     * The certificate path, checked to be a readable regular file: HAProxy refuses a whole config
     * whose {@code crt} it cannot load, so a bad one here would block every app's update.
     */
    String certificate() throws LabelException {
      String cert = matching("SSL_CERT", CERT_PATH, "not an absolute file path without spaces");
      if (cert != null) {
        Path p = Path.of(cert);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
          throw invalid("SSL_CERT", raw("SSL_CERT"), "not a readable file on this host");
        }
      }
      return cert;
    }

    String mode(boolean httpByDefault) throws LabelException {
      String v = raw("MODE");
      if (v == null) {
        return httpByDefault ? "http" : "tcp";
      }
      String mode = v.trim().toLowerCase(Locale.ROOT);
      if (!mode.equals("tcp") && !mode.equals("http")) {
        throw invalid("MODE", v, "expected tcp or http");
      }
      return mode;
    }

    String balance() throws LabelException {
      String v = raw("BALANCE");
      if (v == null) {
        return "roundrobin";
      }
      String b = v.trim().toLowerCase(Locale.ROOT);
      if (!BALANCES.contains(b)) {
        throw invalid("BALANCE", v, "expected one of " + new java.util.TreeSet<>(BALANCES));
      }
      return b;
    }

    int port() throws LabelException {
      String v = raw("PORT");
      if (v == null) {
        return app.servicePorts().get(index).port();
      }
      try {
        int p = Integer.parseInt(v.trim());
        if (p >= 1 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw invalid("PORT", v, "expected a port number in 1..65535");
    }

    String bindAddr() throws LabelException {
      String v = raw("BIND_ADDR");
      if (v == null) {
        return null;
      }
      String a = v.trim();
      if (a.equals("*") || IPV4.matcher(a).matches()) {
        return a;
      }
      if (a.contains(":") && IPV6.matcher(a).matches()) {
        try {
          // A literal with ':' is never looked up in DNS.
          java.net.InetAddress.getByName(a);
          return a;
        } catch (java.net.UnknownHostException e) {
          // reported below
        }
      }
      throw invalid("BIND_ADDR", v, "expected an IPv4 or IPv6 address literal, or *");
    }
  }
}
