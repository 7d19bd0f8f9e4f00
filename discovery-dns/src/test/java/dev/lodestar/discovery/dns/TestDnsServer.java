package dev.lodestar.discovery.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * An in-process authoritative DNS server on loopback (UDP and TCP on one port) that answers the way
 * Mesos-DNS does ({@code resolver/resolver.go} at e888ef40), built on dnsjava's message classes.
 *
 * <ul>
 *   <li>SRV: the records in shuffled order (seeded), the owner name echoing the query's case, and in
 *       the additional section the first A and first AAAA of each distinct target. An unknown SRV
 *       name gets NOERROR with nothing, not even an SOA.
 *   <li>A/AAAA: an unknown name gets NXDOMAIN plus the SOA; a known name without records of the
 *       type gets NOERROR plus the SOA.
 *   <li>Names outside the domain get REFUSED.
 *   <li>UDP replies over 512 bytes lose the additional section, then answers from the end, and get
 *       TC; EDNS0 is ignored, as Mesos-DNS ignores it. TCP replies are whole.
 * </ul>
 *
 * <p>Tests can swap the records ({@link #records(Collection)}), make every reply carry an rcode
 * ({@link #failWith(int)}), or stop answering ({@link #silent(boolean)}). It counts the queries per
 * transport.
 *
 * <p>Thread safety: safe for concurrent use; state changes are visible to the next query.
 */
public final class TestDnsServer implements AutoCloseable {
  private static final int UDP_LIMIT = 512;

  private final Name domain;
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final ExecutorService threads;
  private final Random random = new Random(42);
  private final AtomicInteger udpQueries = new AtomicInteger();
  private final AtomicInteger tcpQueries = new AtomicInteger();
  private volatile Map<Name, List<Record>> records = Map.of();
  private volatile int failRcode = -1;
  private volatile boolean silent;
  private volatile boolean omitAdditional;
  private volatile boolean closed;

  private TestDnsServer(Name domain, DatagramSocket udp, ServerSocket tcp) {
    this.domain = domain;
    this.udp = udp;
    this.tcp = tcp;
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "test-dns-server");
      t.setDaemon(true);
      return t;
    });
    threads.execute(this::serveUdp);
    threads.execute(this::serveTcp);
  }

  /** Starts a server for domain {@code mesos.} on 127.0.0.1 and a free port. */
  public static TestDnsServer start(Collection<MesosDnsFixtures.Rr> records) throws IOException {
    Name domain = Name.fromConstantString("mesos.");
    InetAddress loopback = InetAddress.getLoopbackAddress();
    for (int attempt = 0; ; attempt++) {
      DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
      ServerSocket tcp = new ServerSocket();
      try {
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(loopback, udp.getLocalPort()));
      } catch (IOException e) {
        udp.close();
        tcp.close();
        if (attempt < 20) {
          continue;
        }
        throw e;
      }
      TestDnsServer server = new TestDnsServer(domain, udp, tcp);
      server.records(records);
      return server;
    }
  }

  /** {@code 127.0.0.1:port}, as the source's builder takes it. */
  public String hostPort() {
    return udp.getLocalAddress().getHostAddress() + ":" + udp.getLocalPort();
  }

  /** Replaces the records served. */
  public void records(Collection<MesosDnsFixtures.Rr> rrs) {
    Map<Name, List<Record>> map = new HashMap<>();
    for (MesosDnsFixtures.Rr rr : new LinkedHashSet<>(rrs)) {
      try {
        Name name = Name.fromString(rr.name(), Name.root);
        Record record = Record.fromString(
            name, Type.value(rr.type()), DClass.IN, rr.ttl(), rr.data(), Name.root);
        map.computeIfAbsent(name.canonicalize(), n -> new ArrayList<>()).add(record);
      } catch (IOException e) {
        throw new UncheckedIOException("bad record " + rr, e);
      }
    }
    this.records = map;
  }

  /** Answers every query with this rcode (e.g. {@link Rcode#SERVFAIL}); -1 answers normally. */
  public void failWith(int rcode) {
    this.failRcode = rcode;
  }

  /** Stops answering (queries time out) while true. */
  public void silent(boolean silent) {
    this.silent = silent;
  }

  /**
   * Leaves the additional section out of SRV replies while true, so clients must ask A and AAAA
   * for the targets (as after a truncation, or with servers that never add them).
   */
  public void omitAdditional(boolean omit) {
    this.omitAdditional = omit;
  }

  /** Queries received over UDP so far. */
  public int udpQueries() {
    return udpQueries.get();
  }

  /** Queries received over TCP so far. */
  public int tcpQueries() {
    return tcpQueries.get();
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException e) {
      // closing anyway
    }
    threads.shutdownNow();
  }

  private void serveUdp() {
    byte[] buffer = new byte[65535];
    while (!closed) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        udp.receive(packet);
        udpQueries.incrementAndGet();
        byte[] query = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
        byte[] reply = answer(query, true);
        if (reply != null) {
          udp.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
        }
      } catch (SocketException e) {
        return; // closed
      } catch (IOException | RuntimeException e) {
        // one bad packet must not stop the server
      }
    }
  }

  private void serveTcp() {
    while (!closed) {
      try {
        Socket socket = tcp.accept();
        threads.execute(() -> serveConnection(socket));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serveConnection(Socket socket) {
    try {
      socket.setTcpNoDelay(true);
    } catch (SocketException e) {
      // keep going with Nagle
    }
    try (socket;
        DataInputStream in = new DataInputStream(socket.getInputStream());
        DataOutputStream out = new DataOutputStream(socket.getOutputStream())) {
      while (!closed) {
        int length = in.readUnsignedShort();
        byte[] query = new byte[length];
        in.readFully(query);
        tcpQueries.incrementAndGet();
        byte[] reply = answer(query, false);
        if (reply != null) {
          // One write for prefix and message: two small writes meet Nagle and delayed ACK.
          byte[] framed = new byte[reply.length + 2];
          framed[0] = (byte) (reply.length >>> 8);
          framed[1] = (byte) reply.length;
          System.arraycopy(reply, 0, framed, 2, reply.length);
          out.write(framed);
          out.flush();
        }
      }
    } catch (EOFException e) {
      // client closed
    } catch (IOException e) {
      // connection dropped
    }
  }

  private byte[] answer(byte[] wire, boolean overUdp) throws IOException {
    if (silent) {
      return null;
    }
    Message query = new Message(wire);
    Message reply = new Message(query.getHeader().getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setFlag(Flags.AA);
    reply.getHeader().setFlag(Flags.RA);
    if (query.getHeader().getFlag(Flags.RD)) {
      reply.getHeader().setFlag(Flags.RD);
    }
    Record question = query.getQuestion();
    reply.addRecord(question, Section.QUESTION);
    if (failRcode >= 0) {
      reply.getHeader().setRcode(failRcode);
      return reply.toWire();
    }
    Name qname = question.getName();
    if (!qname.subdomain(domain)) {
      reply.getHeader().setRcode(Rcode.REFUSED);
      return reply.toWire();
    }
    List<Record> owned = records.getOrDefault(qname.canonicalize(), List.of());
    int type = question.getType();
    List<Record> matching = new ArrayList<>();
    for (Record r : owned) {
      if (r.getType() == type) {
        matching.add(r.withName(qname));
      }
    }
    if (type == Type.SRV) {
      Collections.shuffle(matching, random);
      Set<Name> targets = new LinkedHashSet<>();
      for (Record r : matching) {
        reply.addRecord(r, Section.ANSWER);
        targets.add(((SRVRecord) r).getTarget());
      }
      for (Name target : omitAdditional ? Set.<Name>of() : targets) {
        List<Record> addresses = records.getOrDefault(target.canonicalize(), List.of());
        addresses.stream().filter(r -> r.getType() == Type.A).findFirst()
            .ifPresent(r -> reply.addRecord(r, Section.ADDITIONAL));
        addresses.stream().filter(r -> r.getType() == Type.AAAA).findFirst()
            .ifPresent(r -> reply.addRecord(r, Section.ADDITIONAL));
      }
    } else {
      matching.forEach(r -> reply.addRecord(r, Section.ANSWER));
      if (matching.isEmpty()) {
        if (owned.isEmpty()) {
          reply.getHeader().setRcode(Rcode.NXDOMAIN);
        }
        reply.addRecord(soa(), Section.AUTHORITY);
      }
    }
    byte[] bytes = reply.toWire();
    if (overUdp && bytes.length > UDP_LIMIT) {
      // Mesos-DNS drops the additional section, then answers from the end until the reply fits.
      // The size grows with the number of answers kept, so the longest prefix that fits is found
      // by bisection (a few encodings instead of one per dropped record).
      List<Record> answers = new ArrayList<>(reply.getSection(Section.ANSWER));
      int fits = 0;
      int tooBig = answers.size() + 1;
      byte[] best = truncated(reply, answers, 0);
      while (tooBig - fits > 1) {
        int mid = (fits + tooBig) >>> 1;
        byte[] candidate = truncated(reply, answers, mid);
        if (candidate.length <= UDP_LIMIT) {
          fits = mid;
          best = candidate;
        } else {
          tooBig = mid;
        }
      }
      bytes = best;
    }
    return bytes;
  }

  // The reply with TC set, no additional section and only the first n answers.
  private static byte[] truncated(Message reply, List<Record> answers, int n) {
    Message copy = reply.clone();
    copy.getHeader().setFlag(Flags.TC);
    copy.removeAllRecords(Section.ADDITIONAL);
    copy.removeAllRecords(Section.ANSWER);
    for (int i = 0; i < n; i++) {
      copy.addRecord(answers.get(i), Section.ANSWER);
    }
    return copy.toWire();
  }

  private Record soa() {
    return new SOARecord(domain, DClass.IN, MesosDnsFixtures.TTL,
        Name.fromConstantString("ns1.mesos."), Name.fromConstantString("root.ns1.mesos."),
        1795531272L, 60, 60, 604800, 60);
  }
}
