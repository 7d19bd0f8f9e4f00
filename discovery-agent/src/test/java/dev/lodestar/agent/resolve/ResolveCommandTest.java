package dev.lodestar.agent.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.agent.LodestarCommand;
import dev.lodestar.discovery.testing.FakeMarathon;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import dev.lodestar.discovery.testing.FakeMarathon.Task;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code lodestar resolve} in-process against a loopback Marathon. */
class ResolveCommandTest {
  private FakeMarathon marathon;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void setUp() throws Exception {
    marathon = new FakeMarathon();
    marathon.setTasks("/web", List.of(new Task("web.1", 31001, "TASK_RUNNING"),
        new Task("web.2", 31002, "TASK_RUNNING")));
    marathon.setTasks("/idle", List.of());
  }

  @AfterEach
  void tearDown() {
    marathon.close();
  }

  private int run(String... args) {
    CommandLine cmd = LodestarCommand.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void printsInstancesWithHealthAndSource() {
    assertEquals(0, run("resolve", "--marathon", marathon.url(), "/web"), err.toString());
    String text = out.toString();
    assertTrue(text.startsWith("/web from marathon[" + marathon.url() + "]: 2 instances"), text);
    assertTrue(text.contains("127.0.0.1:31001") && text.contains("127.0.0.1:31002"), text);
    assertTrue(text.contains("web.1") && text.contains("HEALTHY"), text);
  }

  @Test
  void unknownAppExitsOneWithTheReason() {
    assertEquals(ResolveCommand.UNKNOWN, run("resolve", "--marathon", marathon.url(), "/nope"));
    assertTrue(err.toString().contains("/nope"), err.toString());
  }

  @Test
  void appWithoutInstancesExitsFour() {
    assertEquals(ResolveCommand.EMPTY, run("resolve", "--marathon", marathon.url(), "/idle"));
    assertTrue(out.toString().contains("0 instances"), out.toString());
  }

  @Test
  void unreachableOrBrokenMarathonExitsThree() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    assertEquals(ResolveCommand.UNREACHABLE,
        run("resolve", "--timeout", "5", "--marathon", "http://127.0.0.1:" + closedPort, "/web"));
    assertTrue(err.toString().contains("127.0.0.1:" + closedPort), err.toString());
    marathon.garbage(true);
    assertEquals(ResolveCommand.UNREACHABLE, run("resolve", "--marathon", marathon.url(), "/web"));
  }

  @Test
  void asksMesosDnsWithDns() throws Exception {
    List<MesosDnsFixtures.Rr> axfr =
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json"));
    try (MesosDnsServer dns = MesosDnsServer.start(axfr)) {
      assertEquals(0, run("resolve", "--dns", dns.hostPort(), "/store/car"), err.toString());
      assertTrue(out.toString().startsWith("/store/car from "), out.toString());
      assertTrue(out.toString().contains("2 instances"), out.toString());
      // Mesos-DNS answers an unknown app, a removed one and one without tasks alike (NOERROR,
      // no records): the source calls it unknown and prints Mesos-DNS's reason.
      assertEquals(ResolveCommand.UNKNOWN, run("resolve", "--dns", dns.hostPort(), "/no/such"));
      assertTrue(err.toString().contains("no SRV records"), err.toString());
    }
  }

  @Test
  void asksMesosDnsForANamedPortWithDnsAndPortName() throws Exception {
    List<MesosDnsFixtures.Rr> axfr =
        MesosDnsFixtures.axfrRecords(MesosDnsFixtures.fixture("mesos-dns-axfr.json"));
    try (MesosDnsServer dns = MesosDnsServer.start(axfr)) {
      // _http._liquor-store._tcp.marathon.mesos.: Mesos-DNS has named ports only in the task form.
      assertEquals(0, run("resolve", "--dns", dns.hostPort(), "--port-name", "http",
          "/store/liquor"), err.toString());
      assertTrue(out.toString().contains("ports {http="), out.toString());
    }
  }

  @Test
  void badArgumentsExitTwo() {
    assertEquals(2, run("resolve", "/web"));
    assertEquals(2, run("resolve", "--marathon", marathon.url(), "--dns", "127.0.0.1:53", "/web"));
    assertEquals(2, run("resolve", "--marathon", "ftp://x", "/web"));
  }

  /**
   * An app id the sources refuse before asking anything (a trailing slash, {@code //}, {@code ..})
   * is a bad argument: exit 2, not 3, which says Marathon is unreachable (a script would wait and
   * retry).
   */
  @Test
  void anInvalidAppIdExitsTwo() {
    for (String id : new String[] {"/web/", "/a//b", "/../web"}) {
      assertEquals(2, run("resolve", "--marathon", marathon.url(), id), id + ": " + err);
      assertEquals(2, run("resolve", "--dns", "127.0.0.1:53", id), id + ": " + err);
    }
    assertTrue(err.toString().contains("service id has"), err.toString());
  }
}
