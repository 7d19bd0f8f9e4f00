package dev.lodestar.discovery.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lodestar.discovery.UnknownServiceException;
import dev.lodestar.discovery.dns.MesosDnsSource.Addressing;
import dev.lodestar.discovery.dns.MesosDnsSource.Naming;
import dev.lodestar.discovery.dns.MesosDnsSource.Protocol;
import java.nio.charset.StandardCharsets;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Jazzer fuzz tests of the Mesos-DNS name translation ({@link Labels}, {@link SrvNaming} and the
 * name checks of {@link MesosDnsSource.Builder}).
 *
 * <p>Without {@code JAZZER_FUZZ} only the seed corpus in {@code
 * src/test/resources/dev/lodestar/discovery/dns/LabelsFuzzTestInputs/} runs (task, framework and
 * port names taken from the Mesos-DNS and Marathon fixtures in testdata/); {@code docs/fuzzing.md} has
 * the command for a long run.
 *
 * <p>What no input may break: a mangled label only has {@code [a-z0-9-]}, fits its length limit
 * and never starts with {@code -} (nor with a digit under RFC 952); a Marathon id becomes either a
 * parseable absolute DNS name inside the domain, or {@link UnknownServiceException}; and the
 * builder rejects a framework or port name with {@link IllegalArgumentException} only.
 */
class LabelsFuzzTest {

  /** The whole input is one name: an app id, a task name or a framework name. */
  @FuzzTest(maxDuration = "2m")
  void mangledNamesStayValid(byte[] input) throws TextParseException {
    String name = new String(input, StandardCharsets.UTF_8);
    for (Naming naming : Naming.values()) {
      int max = naming == Naming.RFC952 ? 24 : 63;
      assertLabel(Labels.label(name, naming), naming, max);
      String fragment = Labels.domainFragment(name, naming);
      if (!fragment.isEmpty()) {
        for (String part : fragment.split("\\.", -1)) {
          assertFalse(part.isEmpty(), () -> "empty part in " + fragment);
          assertLabel(part, naming, max);
        }
      }
      String task = Labels.marathonTaskName(name);
      // Path segments reversed: no slash left, nothing when there is no segment.
      assertFalse(task.contains("/"), task);
      assertEquals(name.replace("/", "").isEmpty(), task.isEmpty(), task);
      for (Addressing addressing : Addressing.values()) {
        SrvNaming srv = new SrvNaming("mesos", "marathon", Protocol.TCP, naming, addressing,
            addressing == Addressing.TASK ? "http" : null);
        assertSrvName(srv, name, naming);
      }
    }
  }

  /**
   * Input {@code framework \n portName \n appId}: what the builder accepts must give valid names
   * for every id; what it refuses it refuses with {@link IllegalArgumentException}.
   */
  @FuzzTest(maxDuration = "2m")
  void configuredNamesGiveValidSrvNames(byte[] input) throws TextParseException {
    String[] parts = new String(input, StandardCharsets.UTF_8).split("\n", 3);
    String framework = parts[0];
    String portName = parts.length > 1 ? parts[1] : "http";
    String appId = parts.length > 2 ? parts[2] : "/web";
    MesosDnsSource.Builder builder = MesosDnsSource.builder().nameServer("127.0.0.1:53")
        .addressing(Addressing.TASK);
    try {
      builder.framework(framework);
    } catch (IllegalArgumentException rejected) {
      framework = "marathon";
    }
    try {
      builder.portName(portName);
    } catch (IllegalArgumentException rejected) {
      portName = null;
    }
    for (Naming naming : Naming.values()) {
      SrvNaming srv = new SrvNaming(
          "mesos", framework.trim(), Protocol.UDP, naming, Addressing.TASK, portName);
      assertSrvName(srv, appId, naming);
    }
    // build() must accept whatever the setters accepted.
    builder.build().close();
  }

  private static void assertLabel(String label, Naming naming, int max) {
    assertTrue(label.length() <= max, () -> "too long: " + label);
    assertTrue(label.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-'), () -> "bad character in " + label);
    if (!label.isEmpty()) {
      assertFalse(label.charAt(0) == '-', () -> "leading '-' in " + label);
      if (naming == Naming.RFC952) {
        assertFalse(Character.isDigit(label.charAt(0)), () -> "leading digit in " + label);
      }
    }
  }

  // Mirrors MesosDnsSource.load: a Marathon id gives a name dnsjava parses (a raw "_" id may be
  // refused by the parser, which load maps to UnknownServiceException), or UnknownServiceException.
  private static void assertSrvName(SrvNaming srv, String id, Naming naming)
      throws TextParseException {
    String srvName;
    try {
      srvName = srv.srvName(id);
    } catch (UnknownServiceException e) {
      assertEquals(id, e.serviceId());
      assertTrue(Labels.label(Labels.marathonTaskName(id.trim()), naming).isEmpty(), id);
      return;
    }
    assertTrue(srvName.endsWith("."), srvName);
    if (SrvNaming.isRaw(id)) {
      try {
        Name.fromString(srvName, Name.root);
      } catch (TextParseException refusedAsDocumented) {
        // load() turns this into UnknownServiceException
      }
      return;
    }
    // Mesos-DNS cuts a task label at 63 characters and then prefixes "_", so the longest ids give a
    // 64-octet label that DNS cannot carry: the name must then be refused (load() reports
    // UnknownServiceException), and for no other reason.
    boolean fits = srvName.length() <= 254 // 255 octets on the wire
        && java.util.Arrays.stream(srvName.split("\\.")).allMatch(l -> l.length() <= 63);
    Name parsed;
    try {
      parsed = Name.fromString(srvName, Name.root);
    } catch (TextParseException e) {
      assertFalse(fits, () -> srvName + " refused: " + e.getMessage());
      return;
    }
    assertTrue(fits, () -> srvName + " was accepted");
    assertTrue(parsed.isAbsolute(), srvName);
    assertTrue(parsed.subdomain(Name.fromString("mesos.")), srvName);
    String task = "_" + Labels.label(Labels.marathonTaskName(id.trim()), naming);
    assertTrue(srvName.startsWith(task + ".") || srvName.contains("." + task + "."),
        () -> srvName + " lacks " + task);
  }
}
