package dev.lodestar.examples;

import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Run in a child JVM by {@link AppInstanceAddressTest}: starts an {@link AppInstance} and connects
 * to the address it advertises; exits 0 when it accepts, 1 with the reason otherwise.
 */
public final class AppInstanceProbe {
  private AppInstanceProbe() {}

  public static void main(String[] args) throws Exception {
    AppInstance app = AppInstance.start("web-1", 0);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(app.host(), app.port()), 10_000);
    } catch (Exception e) {
      System.out.println(app.address() + ": " + e);
      System.exit(1);
    } finally {
      app.kill();
    }
    System.exit(0);
  }
}
