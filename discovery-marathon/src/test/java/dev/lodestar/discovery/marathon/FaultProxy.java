package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.testing.FakeMarathon;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP proxy on loopback in front of a {@link FakeMarathon}, for the network faults an HTTP
 * server cannot stage itself: refusing connections ({@link #refuse(boolean)}), accepting and never
 * answering ({@link #blackhole(boolean)}), answering late ({@link #delay(Duration)}) and cutting a
 * response after some bytes ({@link #cutAfter(long)}). Switching a fault closes the connections
 * open at that moment, since HTTP clients keep connections alive between requests.
 *
 * <p>Thread safety: safe for concurrent use.
 */
final class FaultProxy implements AutoCloseable {
  private final InetSocketAddress upstream;
  private final InetSocketAddress address;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fault-proxy");
    t.setDaemon(true);
    return t;
  });
  private volatile ServerSocket listener;
  private volatile boolean blackhole;
  private volatile long delayMillis;
  private volatile long cutAfter = -1;
  private volatile boolean closed;

  FaultProxy(String upstreamUrl) throws IOException {
    java.net.URI uri = java.net.URI.create(upstreamUrl);
    this.upstream = new InetSocketAddress(uri.getHost(), uri.getPort());
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.address = new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
    this.listener = socket;
    threads.execute(() -> accept(socket));
  }

  String url() {
    return "http://127.0.0.1:" + address.getPort();
  }

  /** While true the port is closed: connections are refused. */
  synchronized void refuse(boolean refuse) throws IOException {
    if (refuse) {
      listener.close();
      closeConnections();
    } else if (listener.isClosed() && !closed) {
      ServerSocket socket = new ServerSocket();
      socket.setReuseAddress(true);
      socket.bind(address);
      listener = socket;
      threads.execute(() -> accept(socket));
    }
  }

  /** While true, connections are accepted and requests read, but nothing is ever answered. */
  void blackhole(boolean on) {
    blackhole = on;
    closeConnections();
  }

  /** Holds every response back this long before its first byte (zero: no delay). */
  void delay(Duration delay) {
    delayMillis = delay.toMillis();
    closeConnections();
  }

  /** Closes each connection after this many response bytes (negative: never). */
  void cutAfter(long bytes) {
    cutAfter = bytes;
    closeConnections();
  }

  /** Every fault off. */
  void pass() throws IOException {
    blackhole = false;
    delayMillis = 0;
    cutAfter = -1;
    refuse(false);
    closeConnections();
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    closeConnections();
    threads.shutdownNow();
  }

  private void closeConnections() {
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  private void accept(ServerSocket socket) {
    while (!closed && !socket.isClosed()) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException e) {
        return; // closed
      }
      sockets.add(client);
      threads.execute(() -> serve(client));
    }
  }

  private void serve(Socket client) {
    if (blackhole) {
      drain(client); // read the request, answer nothing, until the client gives up
      return;
    }
    Socket server = new Socket();
    try {
      server.connect(upstream, 2000);
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(server);
      return;
    }
    sockets.add(server);
    long delay = delayMillis;
    long budget = cutAfter;
    threads.execute(() -> pump(client, server, 0, -1));
    pump(server, client, delay, budget);
  }

  private void pump(Socket from, Socket to, long delay, long budget) {
    byte[] buffer = new byte[8192];
    boolean first = true;
    long left = budget;
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (first && delay > 0) {
          Thread.sleep(delay);
        }
        first = false;
        if (left >= 0 && n >= left) {
          out.write(buffer, 0, (int) left);
          out.flush();
          break;
        }
        out.write(buffer, 0, n);
        out.flush();
        if (left >= 0) {
          left -= n;
        }
      }
    } catch (IOException | InterruptedException e) {
      // either side went away
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private void drain(Socket client) {
    byte[] buffer = new byte[8192];
    try (InputStream in = client.getInputStream()) {
      while (in.read(buffer) >= 0) {
        // discard
      }
    } catch (IOException e) {
      // closed
    } finally {
      closeQuietly(client);
      sockets.remove(client);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
