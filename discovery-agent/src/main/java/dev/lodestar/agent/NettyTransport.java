package dev.lodestar.agent;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The agent's choice of Netty transport: NIO by default; native epoll with {@code
 * -Dlodestar.transport=epoll} when it loads (Linux x86_64). Every server and client channel of the
 * agent comes from here so that one process never mixes the two.
 *
 * <p>Why not epoll by default: with Netty 4.2's epoll transport, a write to a connection whose
 * input the peer had already shut down (a client that sent its request and half-closed, while the
 * proxy still relays the answer) sometimes fails with {@code epoll_ctl(..) failed with error(-2):
 * No such file or directory} once the write has to wait for the socket, and the tail of the
 * answer is lost ({@code ProxyBadInputIT} lost the last 57 KB of a 4 MB echo in about a third of
 * its runs). NIO has no such failure; correctness comes before the last few percent of speed.
 *
 * <p>Thread safety: stateless; safe for concurrent use.
 */
public final class NettyTransport {
  private static final boolean EPOLL =
      "epoll".equalsIgnoreCase(System.getProperty("lodestar.transport", "nio"))
          && Epoll.isAvailable();

  private NettyTransport() {}

  /** Whether the native epoll transport is in use (only when asked for, see the class comment). */
  public static boolean isEpoll() {
    return EPOLL;
  }

  /** {@code epoll} or {@code nio}, for logs and the admin JSON. */
  public static String name() {
    return isEpoll() ? "epoll" : "nio";
  }

  /**
   * A new event loop group of the chosen transport with daemon threads named {@code name-N}.
   *
   * @param threads the number of event loops; 0 lets Netty choose (twice the cores)
   */
  public static EventLoopGroup group(int threads, String name) {
    IoHandlerFactory factory = isEpoll() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  /** The server socket channel class matching {@link #group}. */
  public static Class<? extends ServerChannel> serverChannel() {
    return isEpoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** The client socket channel class matching {@link #group}. */
  public static Class<? extends SocketChannel> socketChannel() {
    return isEpoll() ? EpollSocketChannel.class : NioSocketChannel.class;
  }
}
