package dev.lodestar.agent.proxy;

import dev.lodestar.agent.NettyTransport;
import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.Selection;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One client connection: picks an instance, connects (retrying others on a connect failure),
 * then relays bytes both ways.
 *
 * <p>Backpressure and bounded memory: both channels run with auto-read off and a connection reads
 * one buffer (at most {@link ProxyConfig#MAX_READ_BYTES}) from a side only after the previous one
 * was written to the other side, so a slow reader stalls its writer through TCP instead of piling
 * up memory in the proxy. Half-close: end-of-stream from one side shuts down output towards the
 * other, and the connection closes once both directions ended (or either side closed or reset).
 *
 * <p>What the resolver learns: a failed connect attempt is reported as a failure (a connection
 * refusal or a connect timeout is a {@link java.net.ConnectException}, which ejects the instance);
 * a connected instance counts one in flight for as long as the client connection lasts (so
 * least-in-flight balances open connections), and is reported as a success whose latency is the
 * TCP connect time when the connection ends, so long-lived connections do not look slow.
 *
 * <p>Thread safety: every method runs on the client channel's event loop (the backend channel
 * shares that loop).
 */
final class ProxyConnection extends ChannelInboundHandlerAdapter {
  private static final System.Logger LOG = System.getLogger(ProxyConnection.class.getName());

  private final ProxyListener listener;
  private final ProxyConfig config;
  private final List<Instance> tried = new ArrayList<>(2);
  private Channel client;
  private Channel backend;
  private Selection selection;
  /** Client bytes that arrived before the instance connection was up (epoll drains a socket
   *  that half-closed even with auto-read off); bounded by the socket's receive buffer. */
  private List<Object> early;
  private long connectNanos = -1;
  private boolean clientInputEnded;
  private boolean backendInputEnded;
  private boolean closed;

  ProxyConnection(ProxyListener listener, ProxyConfig config) {
    this.listener = listener;
    this.config = config;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    client = ctx.channel();
    listener.opened(client);
    pickAndConnect();
  }

  /** Picks an instance (off the loop when the service's first load is still pending). */
  private void pickAndConnect() {
    if (closed || !client.isActive()) {
      close();
      return;
    }
    if (listener.isLoaded()) {
      Selection s;
      try {
        s = listener.select(tried);
      } catch (DiscoveryException e) {
        noInstance(e);
        return;
      }
      connect(s);
    } else {
      listener.selectAsync(tried).whenComplete((s, e) -> client.eventLoop().execute(() -> {
        if (e != null) {
          noInstance(e.getCause() != null ? e.getCause() : e);
        } else {
          connect(s);
        }
      }));
    }
  }

  private void noInstance(Throwable e) {
    listener.failed(e);
    LOG.log(Level.DEBUG, () -> listener.name() + ": no instance for a client: " + e.getMessage());
    close();
  }

  private void connect(Selection s) {
    if (closed || !client.isActive()) {
      s.release();
      close();
      return;
    }
    selection = s;
    Instance instance = s.instance();
    tried.add(instance);
    long start = System.nanoTime();
    Bootstrap b = new Bootstrap()
        .group(client.eventLoop())
        .channel(NettyTransport.socketChannel())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.RCVBUF_ALLOCATOR, ProxyServer.READ_ALLOCATOR)
        .handler(new BackendHandler());
    ChannelFuture f = b.connect(instance.host(), instance.port());
    backend = f.channel();
    f.addListener((ChannelFutureListener) done -> {
      if (done.isSuccess()) {
        connectNanos = System.nanoTime() - start;
        if (closed || !client.isActive()) {
          close();
          return;
        }
        listener.connected();
        backend.read();
        flushEarly();
      } else {
        backend = null;
        selection = null;
        s.failure(done.cause());
        listener.connectFailed(instance, done.cause());
        if (tried.size() < config.maxAttempts() && !closed && client.isActive()) {
          listener.retried();
          pickAndConnect();
        } else {
          listener.failed(done.cause());
          close();
        }
      }
    });
  }

  /** Sends what the client wrote before the connect completed, then resumes reading it. */
  private void flushEarly() {
    List<Object> msgs = early;
    early = null;
    if (msgs != null) {
      for (Object msg : msgs) {
        if (msg instanceof ByteBuf) {
          listener.bytes(((ByteBuf) msg).readableBytes(), true);
        }
        backend.write(msg);
      }
    }
    backend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        close();
      } else if (clientInputEnded) {
        endOutput(backend, backendInputEnded);
      } else {
        client.read();
      }
    });
  }

  // ---- client side ------------------------------------------------------------------------

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (connectNanos < 0) {
      if (closed) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (early == null) {
        early = new ArrayList<>(2);
      }
      early.add(msg);
      return;
    }
    relay(msg, backend, client, true);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ChannelInputShutdownEvent) {
      clientInputEnded = true;
      if (connectNanos >= 0) {
        endOutput(backend, backendInputEnded);
      }
    } else if (event instanceof IdleStateEvent) {
      listener.idleClosed();
      LOG.log(Level.DEBUG, () -> listener.name() + ": closing a connection idle for "
          + config.idleTimeout());
      close();
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    close();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.log(Level.DEBUG, () -> listener.name() + ": client connection failed: " + cause);
    close();
  }

  // ---- shared -----------------------------------------------------------------------------

  /** Writes {@code msg} to {@code to}; reads the next buffer from {@code from} once written. */
  private void relay(Object msg, Channel to, Channel from, boolean upstream) {
    if (to == null || closed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof ByteBuf) {
      listener.bytes(((ByteBuf) msg).readableBytes(), upstream);
    }
    to.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        from.read();
      } else {
        close();
      }
    });
  }

  /** Passes an end-of-stream on: shuts {@code to}'s output, or closes when both ended. */
  private void endOutput(Channel to, boolean otherEnded) {
    if (otherEnded || to == null || !to.isActive()) {
      close();
      return;
    }
    // Writes complete before the next read, so nothing is pending here; the empty flush keeps
    // the order explicit.
    to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess() && to instanceof DuplexChannel) {
        ((DuplexChannel) to).shutdownOutput();
      } else {
        close();
      }
    });
  }

  /** Closes both sides (after flushing what was written) and reports the outcome once. */
  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (early != null) {
      early.forEach(ReferenceCountUtil::release);
      early = null;
    }
    if (selection != null) {
      if (connectNanos >= 0) {
        selection.success(Duration.ofNanos(connectNanos));
      } else {
        selection.release();
      }
      selection = null;
    }
    if (client != null && client.isActive()) {
      client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
    if (backend != null) {
      if (backend.isActive()) {
        backend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      } else {
        backend.close();
      }
    }
  }

  /** The instance side of the connection. */
  private final class BackendHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      relay(msg, client, ctx.channel(), false);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof ChannelInputShutdownEvent) {
        backendInputEnded = true;
        endOutput(client, clientInputEnded);
      } else {
        ctx.fireUserEventTriggered(event);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (connectNanos >= 0) {
        close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(Level.DEBUG, () -> listener.name() + ": instance connection failed: " + cause);
      if (connectNanos >= 0) {
        close();
      }
    }
  }
}
