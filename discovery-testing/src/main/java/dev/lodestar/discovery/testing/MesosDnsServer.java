package dev.lodestar.discovery.testing;

import dev.lodestar.discovery.internal.DaemonThreads;
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
 * ({@link #failWith(int)}), or stop answering ({@link #silent(boolean)}). For fault injection it can
 * also send replies that do not parse ({@link #malformed(boolean)}), refuse TCP connections ({@link
 * #refuseTcp(boolean)}), and go down and come back on the same port ({@link #stop()}, {@link
 * #restart()}). It counts the queries per transport.
 *
 * <p>Thread safety: safe for concurrent use; state changes are visible to the next query.
 */
public final class MesosDnsServer implements AutoCloseable {
  private static final int UDP_LIMIT = 512;

  private final Name domain;
  private final InetSocketAddress address;
  private volatile DatagramSocket udp;
  private volatile ServerSocket tcp;
  private final ExecutorService threads;
  private final Random random = new Random(42);
  private final AtomicInteger udpQueries = new AtomicInteger();
  private final AtomicInteger tcpQueries = new AtomicInteger();
  private volatile Map<Name, List<Record>> records = Map.of();
  private volatile int failRcode = -1;
  private volatile boolean silent;
  private volatile boolean omitAdditional;
  private volatile boolean malformed;
  private final Set<Socket> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private MesosDnsServer(Name domain, DatagramSocket udp, ServerSocket tcp) {
    this.domain = domain;
    this.address = new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    this.udp = udp;
    this.tcp = tcp;
    this.threads = Executors.newCachedThreadPool(DaemonThreads.named("mesos-dns-server"));
    threads.execute(() -> serveUdp(udp));
    threads.execute(() -> serveTcp(tcp));
  }

  /** Starts a server for domain {@code mesos.} on 127.0.0.1 and a free port in 20000..31999. */
  public static MesosDnsServer start(Collection<MesosDnsFixtures.Rr> records) throws IOException {
    Name domain = Name.fromConstantString("mesos.");
    // 127.0.0.1 itself: getLoopbackAddress() is ::1 in a JVM preferring IPv6, and hostPort() would
    // then be an unbracketed IPv6 literal that no name-server option can parse.
    InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    // The port is taken below Linux's ephemeral range (32768+): after stop(), an outgoing
    // connection could otherwise be given the same port and restart() could not bind it again.
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; ; attempt++) {
      int port = random.nextInt(20_000, 32_000);
      DatagramSocket udp;
      try {
        udp = new DatagramSocket(new InetSocketAddress(loopback, port));
      } catch (IOException e) {
        if (attempt < 50) {
          continue;
        }
        throw e;
      }
      ServerSocket tcp = new ServerSocket();
      try {
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(loopback, port));
      } catch (IOException e) {
        udp.close();
        tcp.close();
        if (attempt < 50) {
          continue;
        }
        throw e;
      }
      MesosDnsServer server = new MesosDnsServer(domain, udp, tcp);
      server.records(records);
      return server;
    }
  }

  /** {@code 127.0.0.1:port}, as the source's builder takes it. */
  public String hostPort() {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
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

  /**
   * While true, replies keep the query's id and a valid header that announces one answer, but the
   * answer section is cut in the middle of the record, so no client can parse them.
   */
  public void malformed(boolean malformed) {
    this.malformed = malformed;
  }

  /**
   * While true, the TCP port is closed (connections are refused) and UDP keeps answering; a UDP
   * reply that needs truncation then cannot be completed over TCP.
   *
   * @throws IOException if the port cannot be bound again
   */
  public synchronized void refuseTcp(boolean refuse) throws IOException {
    if (refuse) {
      closeQuietly(tcp);
      closeConnections(); // dnsjava keeps TCP connections open between queries
    } else if (tcp.isClosed() && !closed) {
      tcp = bindTcp();
      ServerSocket listening = tcp;
      threads.execute(() -> serveTcp(listening));
    }
  }

  /** Closes both ports, as a crashed server; {@link #restart()} opens them again. */
  public synchronized void stop() {
    udp.close();
    closeQuietly(tcp);
    closeConnections();
  }

  /**
   * Opens the ports closed by {@link #stop()} again, on the same address, with the same records.
   *
   * @throws IOException if the port was taken meanwhile
   */
  public synchronized void restart() throws IOException {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (udp.isClosed()) {
      udp = new DatagramSocket(address);
      DatagramSocket socket = udp;
      threads.execute(() -> serveUdp(socket));
    }
    refuseTcp(false);
  }

  private ServerSocket bindTcp() throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.setReuseAddress(true);
      socket.bind(address);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private void closeConnections() {
    for (Socket socket : connections) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    connections.clear();
  }

  private static void closeQuietly(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
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
    closeQuietly(tcp);
    closeConnections(); // a connection a client kept open would otherwise still be answered
    threads.shutdownNow();
  }

  private void serveUdp(DatagramSocket udp) {
    byte[] buffer = new byte[65535];
    while (!closed && !udp.isClosed()) {
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

  private void serveTcp(ServerSocket tcp) {
    while (!closed && !tcp.isClosed()) {
      try {
        Socket socket = tcp.accept();
        connections.add(socket);
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
    } finally {
      connections.remove(socket);
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
    if (malformed) {
      return malformed(reply);
    }
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

  // The header announces one answer, whose owner name is there but whose type, class, TTL and
  // RDATA are cut off after two bytes.
  private static byte[] malformed(Message reply) {
    byte[] header = reply.toWire();
    byte[] bytes = java.util.Arrays.copyOf(header, header.length + 3);
    bytes[6] = 0; // ANCOUNT = 1
    bytes[7] = 1;
    bytes[header.length] = 0; // root owner name
    bytes[header.length + 1] = 0; // first byte of the type; the rest is missing
    bytes[header.length + 2] = 33;
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
