package dev.lodestar.agent.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** Marathon app JSON for the fake Marathon, and a blocking echo round trip. */
final class Apps {
  private Apps() {}

  /** A host-networking app with one service port and one running task per backend port. */
  static String app(String id, int servicePort, List<Integer> backendPorts) {
    StringBuilder sb = new StringBuilder("{\"id\":\"").append(id).append("\",\"instances\":")
        .append(backendPorts.size()).append(",\"portDefinitions\":[{\"port\":")
        .append(servicePort).append(",\"protocol\":\"tcp\",\"name\":\"main\"}]")
        .append(",\"healthChecks\":[],\"tasks\":[");
    for (int i = 0; i < backendPorts.size(); i++) {
      sb.append(i == 0 ? "" : ",").append("{\"id\":\"").append(taskId(id, backendPorts.get(i)))
          .append("\",\"appId\":\"").append(id).append("\",\"host\":\"127.0.0.1\",\"ports\":[")
          .append(backendPorts.get(i)).append("],\"state\":\"TASK_RUNNING\"}");
    }
    return sb.append("]}").toString();
  }

  static String taskId(String appId, int port) {
    return appId.substring(1).replace('/', '_') + ".task-" + port;
  }

  /**
   * Connects to 127.0.0.1:{@code port}, sends {@code text}, half-closes, and reads to the end.
   *
   * @return what came back, or null when the connection was refused or reset
   */
  static String echo(int port, String text) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      s.setSoTimeout(30_000);
      s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      s.shutdownOutput();
      return new String(readAll(s.getInputStream()), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
  }

  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    for (int n; (n = in.read(buf)) >= 0; ) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /** How many of {@code n} sequential echo round trips on {@code port} failed. */
  static int failedRoundTrips(int port, int n) {
    int failed = 0;
    for (int i = 0; i < n; i++) {
      String msg = "hello " + i;
      String back = echo(port, msg);
      if (!msg.equals(back)) {
        failed++;
      }
    }
    return failed;
  }

  static int[] ports(TestBackend... backends) {
    return Arrays.stream(backends).mapToInt(TestBackend::port).toArray();
  }
}
