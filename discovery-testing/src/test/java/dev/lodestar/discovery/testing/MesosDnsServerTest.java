package dev.lodestar.discovery.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The test server truncates like the real Mesos-DNS in {@code mesos-dns-dig-truncation.txt}: over
 * UDP 8 of 80 SRV records in 503 bytes, TC set, no additional section, EDNS0 ignored; over TCP
 * everything (80 SRV, 40 A). The TCP size differs (5,942 bytes here, 5,247 from Mesos-DNS)
 * because Mesos-DNS's Go library compresses names inside SRV RDATA and dnsjava, following RFC
 * 2782, does not; the UDP cut, which is what clients see, comes out identical.
 */
class MesosDnsServerTest {

  @Test
  void truncates_udp_like_mesos_dns_and_answers_whole_over_tcp() throws Exception {
    try (MesosDnsServer server = MesosDnsServer.start(MesosDnsFixtures.stateRecords(
        MesosDnsFixtures.fixture("state-marathon-40-web-prod-tasks.json")))) {
      String[] hostPort = server.hostPort().split(":");
      SimpleResolver resolver = new SimpleResolver(
          new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])));
      resolver.setTimeout(Duration.ofSeconds(5));
      resolver.setIgnoreTruncation(true);
      resolver.setEDNS(0, 4096, 0, java.util.List.of());
      Message query = Message.newQuery(Record.newRecord(
          Name.fromString("_web-prod._tcp.marathon.mesos."), Type.SRV, DClass.IN));

      Message udp = resolver.send(query);
      assertTrue(udp.getHeader().getFlag(Flags.TC));
      assertEquals(8, udp.getSection(Section.ANSWER).size());
      assertEquals(0, udp.getSection(Section.ADDITIONAL).size());
      assertEquals(503, udp.toWire().length);

      resolver.setTCP(true);
      Message tcp = resolver.send(query);
      assertFalse(tcp.getHeader().getFlag(Flags.TC));
      assertEquals(80, tcp.getSection(Section.ANSWER).size());
      assertEquals(40, tcp.getSection(Section.ADDITIONAL).size());
    }
  }

  @Test
  void answers_unknown_names_like_mesos_dns() throws Exception {
    try (MesosDnsServer server = MesosDnsServer.start(MesosDnsFixtures.axfrRecords(
        MesosDnsFixtures.fixture("mesos-dns-axfr.json")))) {
      String[] hostPort = server.hostPort().split(":");
      SimpleResolver resolver = new SimpleResolver(
          new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])));
      Message srv = resolver.send(Message.newQuery(Record.newRecord(
          Name.fromString("_nope._tcp.marathon.mesos."), Type.SRV, DClass.IN)));
      assertEquals(Rcode.NOERROR, srv.getRcode());
      assertEquals(0, srv.getSection(Section.AUTHORITY).size());
      Message a = resolver.send(Message.newQuery(Record.newRecord(
          Name.fromString("nope.marathon.mesos."), Type.A, DClass.IN)));
      assertEquals(Rcode.NXDOMAIN, a.getRcode());
      Message outside = resolver.send(Message.newQuery(Record.newRecord(
          Name.fromString("example.com."), Type.A, DClass.IN)));
      assertEquals(Rcode.REFUSED, outside.getRcode());
    }
  }

  @Test
  void close_ends_open_tcp_connections() throws Exception {
    MesosDnsServer server = MesosDnsServer.start(MesosDnsFixtures.axfrRecords(
        MesosDnsFixtures.fixture("mesos-dns-axfr.json")));
    String[] hostPort = server.hostPort().split(":");
    byte[] query = Message.newQuery(Record.newRecord(
        Name.fromString("_nope._tcp.marathon.mesos."), Type.SRV, DClass.IN)).toWire();
    byte[] framed = new byte[query.length + 2];
    framed[0] = (byte) (query.length >>> 8);
    framed[1] = (byte) query.length;
    System.arraycopy(query, 0, framed, 2, query.length);
    try (java.net.Socket socket = new java.net.Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
      socket.setSoTimeout(10_000);
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      socket.getOutputStream().write(framed);
      in.readFully(new byte[in.readUnsignedShort()]); // answered while open
      server.close();
      // A closed server must not answer on a connection a client kept open (dnsjava pools them).
      int first;
      try {
        socket.getOutputStream().write(framed);
        first = in.read();
      } catch (java.net.SocketException e) {
        first = -1; // reset: closed too
      }
      assertEquals(-1, first, "the closed server answered on an open connection");
    } finally {
      server.close();
    }
  }
}
