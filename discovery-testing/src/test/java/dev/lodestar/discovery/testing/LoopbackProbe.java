package dev.lodestar.discovery.testing;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.List;

/**
 * Run in a child JVM by {@link LoopbackAddressTest}: starts a {@link FakeMarathon} and a {@link
 * MesosDnsServer} and connects to the addresses they advertise; exits 0 when both accept, 1 with
 * the reason otherwise.
 */
public final class LoopbackProbe {
  private LoopbackProbe() {}

  public static void main(String[] args) throws Exception {
    try (FakeMarathon marathon = new FakeMarathon();
        MesosDnsServer dns = MesosDnsServer.start(List.of())) {
      URI url = URI.create(marathon.url());
      connect(url.getHost(), url.getPort(), "FakeMarathon.url() " + url);
      String hostPort = dns.hostPort();
      int colon = hostPort.lastIndexOf(':');
      connect(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)),
          "MesosDnsServer.hostPort() " + hostPort);
    }
    System.exit(0);
  }

  private static void connect(String host, int port, String what) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 10_000);
    } catch (Exception e) {
      System.out.println(what + ": " + e);
      System.exit(1);
    }
  }
}
