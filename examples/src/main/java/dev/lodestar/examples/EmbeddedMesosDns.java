package dev.lodestar.examples;

import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.spi.ServiceSource;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.ARecord;
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
 * A Mesos-DNS stand-in on loopback (UDP), built on dnsjava's message classes: for the app's
 * running tasks it serves the SRV records Mesos-DNS publishes under {@code
 * _<task>._tcp.marathon.slave.mesos.} (priority 0, weight 1, the task's host port, a canonical
 * target name) with each target's A record in the additional section, shuffled per reply. Like
 * Mesos-DNS it ignores health and lists running tasks only; an unknown SRV name gets NOERROR with
 * no records, an unknown A name NXDOMAIN. Records carry a 1 s TTL (Mesos-DNS's default is 60 s)
 * so the demo's changes show quickly. Replies for the demo's few tasks stay far below the 512
 * bytes of UDP, so there is no TCP listener.
 *
 * <p>Thread safety: safe for concurrent use.
 */
final class EmbeddedMesosDns implements Cluster {
  private static final long TTL = 1;
  private static final Name DOMAIN = Name.fromConstantString("mesos.");

  private final Name srvName;
  private final String appLabel;
  private final DatagramSocket socket;
  private final Thread thread;
  private final Map<AppInstance, Name> targets = new LinkedHashMap<>();
  private volatile boolean closed;

  /** Serves {@code appId} (a Marathon id such as {@code /demo/web}). */
  EmbeddedMesosDns(String appId) throws IOException {
    List<String> parts = new ArrayList<>(Arrays.asList(appId.substring(1).split("/")));
    Collections.reverse(parts);
    this.appLabel = String.join("-", parts); // /demo/web -> web-demo, as Mesos-DNS mangles it
    this.srvName = Name.fromConstantString("_" + appLabel + "._tcp.marathon.slave.mesos.");
    this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.thread = new Thread(this::serve, "embedded-mesos-dns");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public String backend() {
    return "dns";
  }

  @Override
  public String address() {
    return nameServer() + " (" + srvName + ")";
  }

  /** {@code 127.0.0.1:port}, as {@link MesosDnsSource.Builder#nameServer(String)} takes it. */
  String nameServer() {
    return "127.0.0.1:" + socket.getLocalPort();
  }

  @Override
  public ServiceSource newSource() {
    return MesosDnsSource.builder().nameServer(nameServer()).build();
  }

  @Override
  public synchronized void addHealthyTask(AppInstance app) {
    // Mesos-DNS names a target <task>-<5 zbase32 chars of the task id>-<agent id suffix>.
    String hash = Integer.toString(Math.abs(app.name().hashCode() % 33_554_432), 32);
    targets.put(app, Name.fromConstantString(appLabel + "-" + hash + "-s" + (targets.size() + 1)
        + ".marathon.slave.mesos."));
  }

  @Override
  public void launchTask(AppInstance app) {
    addHealthyTask(app); // listed once running; health plays no part
  }

  @Override
  public void healthCheckPassed(AppInstance app) {
    // Mesos-DNS ignores health checks.
  }

  @Override
  public String healthCheckFailed(AppInstance app) {
    // Mesos-DNS ignores health; Marathon kills the task after maxConsecutiveFailures, and the
    // task's records go at Mesos-DNS's next reload.
    taskEnded(app, "TASK_KILLED");
    return "Mesos-DNS ignores health: Marathon kills the task, its SRV record goes";
  }

  @Override
  public synchronized void taskEnded(AppInstance app, String state) {
    targets.remove(app);
  }

  private void serve() {
    byte[] buffer = new byte[4096];
    while (!closed) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.receive(packet);
        byte[] reply = answer(Arrays.copyOf(packet.getData(), packet.getLength()));
        socket.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
      } catch (SocketException e) {
        return; // closed
      } catch (IOException | RuntimeException e) {
        // one bad packet must not stop the server
      }
    }
  }

  private byte[] answer(byte[] wire) throws IOException {
    Message query = new Message(wire);
    Message reply = new Message(query.getHeader().getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setFlag(Flags.AA);
    if (query.getHeader().getFlag(Flags.RD)) {
      reply.getHeader().setFlag(Flags.RD);
    }
    Record question = query.getQuestion();
    reply.addRecord(question, Section.QUESTION);
    Name qname = question.getName();
    if (!qname.subdomain(DOMAIN)) {
      reply.getHeader().setRcode(Rcode.REFUSED);
      return reply.toWire();
    }
    InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    List<Map.Entry<AppInstance, Name>> tasks;
    synchronized (this) {
      tasks = new ArrayList<>(targets.entrySet());
    }
    Collections.shuffle(tasks);
    if (qname.equals(srvName)) {
      if (question.getType() == Type.SRV) {
        for (Map.Entry<AppInstance, Name> t : tasks) {
          reply.addRecord(new SRVRecord(qname, DClass.IN, TTL, 0, 1, t.getKey().port(),
              t.getValue()), Section.ANSWER);
          reply.addRecord(new ARecord(t.getValue(), DClass.IN, TTL, loopback),
              Section.ADDITIONAL);
        }
      }
      return reply.toWire(); // SRV name, other type: NOERROR, empty
    }
    if (question.getType() == Type.SRV) {
      return reply.toWire(); // unknown SRV name: NOERROR, no records, no SOA
    }
    for (Map.Entry<AppInstance, Name> t : tasks) {
      if (t.getValue().equals(qname)) {
        if (question.getType() == Type.A) {
          reply.addRecord(new ARecord(qname, DClass.IN, TTL, loopback), Section.ANSWER);
        } else {
          reply.addRecord(soa(), Section.AUTHORITY);
        }
        return reply.toWire();
      }
    }
    reply.getHeader().setRcode(Rcode.NXDOMAIN);
    reply.addRecord(soa(), Section.AUTHORITY);
    return reply.toWire();
  }

  private static Record soa() {
    return new SOARecord(DOMAIN, DClass.IN, TTL, Name.fromConstantString("ns1.mesos."),
        Name.fromConstantString("root.ns1.mesos."), System.currentTimeMillis() / 1000, 60, 60,
        604800, TTL);
  }

  @Override
  public void close() {
    closed = true;
    socket.close();
  }
}
