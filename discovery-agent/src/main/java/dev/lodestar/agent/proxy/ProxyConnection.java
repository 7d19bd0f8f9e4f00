package dev.lodestar.agent.proxy;

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
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: picks an instance, connects (retrying others on a connect failure),
 * then relays bytes both ways.
 *
 * <p>Backpressure and bounded memory: bytes read from one side are written to the other; when
 * that side's outbound buffer passes its high-water mark ({@link ProxyConfig#WRITE_HIGH_WATER})
 * reading from the first side stops (auto-read off) until the buffer drains below the low mark,
 * so a slow reader stalls its writer through TCP. A connection holds at most about the high mark
 * plus one read buffer ({@link ProxyConfig#MAX_READ_BYTES}) per direction. Half-close:
 * end-of-stream from one side shuts down output towards the other once everything before it was
 * written, and the connection closes once both directions ended (or either side closed or reset).
 * Closing a side first flushes what was already written to it, for at most the idle timeout: a
 * peer that stops reading does not keep the connection open.
 *
 * <p>What the resolver learns: a failed connect attempt is reported as a failure (a connection
 * refusal or a connect timeout is a {@link java.net.ConnectException}, which ejects the instance);
 * a connect still pending when the client connection closes is cancelled and its pick released,
 * with no failure counted against the instance or the listener; a connected instance counts one
 * in flight for as long as the client connection lasts (so least-in-flight balances open
 * connections), and is reported as a success whose latency is the TCP connect time when the
 * connection ends, so long-lived connections do not look slow.
 *
 * <p>Thread safety: every method runs on the client channel's event loop (the instance channel
 * is registered on the same loop).
 */
final class ProxyConnection extends ChannelInboundHandlerAdapter {
  private static final System.Logger LOG = System.getLogger(ProxyConnection.class.getName());

  private final ProxyListener listener;
  private final ProxyConfig config;
  private final List<Instance> tried = new ArrayList<>(2);
  private Channel client;
  private Channel backend;
  private Selection selection;
  /**
   * Client bytes that arrived before the instance connection was up (epoll drains a socket that
   * half-closed even with auto-read off); bounded by the socket's receive buffer.
   */
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
    Bootstrap b = listener.backendBootstrap().clone(client.eventLoop())
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
        flushEarly();
      } else if (closed) {
        // close() cancelled this connect (the client left, idled out or the proxy is stopping)
        // and released the pick: no verdict on the instance, and no connection the proxy failed.
        backend = null;
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

  /** Sends what the client wrote before the connect completed, then starts relaying. */
  private void flushEarly() {
    List<Object> msgs = early;
    early = null;
    if (msgs != null) {
      for (Object msg : msgs) {
        write(msg, backend, true);
      }
      backend.flush();
    }
    backend.config().setAutoRead(true);
    if (clientInputEnded) {
      endOutput(backend, backendInputEnded);
    } else {
      client.config().setAutoRead(true);
    }
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
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (connectNanos >= 0 && !closed) {
      backend.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // The client drained (or filled) its buffer: resume (or pause) reading from the instance.
    if (connectNanos >= 0 && !closed && !backendInputEnded) {
      backend.config().setAutoRead(client.isWritable());
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ChannelInputShutdownEvent) {
      clientInputEnded = true;
      if (connectNanos >= 0) {
        endOutput(backend, backendInputEnded);
      }
    } else if (event instanceof IdleStateEvent) {
      if (closed) {
        return; // already closing, waiting for a flush (bounded, see closeAfterFlush)
      }
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

  /**
   * Writes {@code msg} to {@code to} (flushed at the end of the read batch) and stops reading
   * {@code from} while {@code to} is over its high-water mark.
   */
  private void relay(Object msg, Channel to, Channel from, boolean upstream) {
    if (closed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    write(msg, to, upstream);
    if (!to.isWritable()) {
      from.config().setAutoRead(false);
    }
  }

  private void write(Object msg, Channel to, boolean upstream) {
    if (msg instanceof ByteBuf) {
      listener.bytes(((ByteBuf) msg).readableBytes(), upstream);
    }
    // A failed write reaches exceptionCaught of that channel's handler, which closes both.
    to.write(msg, to.voidPromise());
  }

  /** Passes an end-of-stream on: shuts {@code to}'s output, or closes when both ended. */
  private void endOutput(Channel to, boolean otherEnded) {
    if (otherEnded || to == null || !to.isActive()) {
      close();
      return;
    }
    // After what was written before the end-of-stream.
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
    closeAfterFlush(client);
    if (backend != null) {
      closeAfterFlush(backend);
    }
  }

  /**
   * Closes {@code ch} once what was written to it is flushed, or after the idle timeout if its
   * peer stops reading (a flush that never ends would keep the connection and its buffered bytes
   * open for good).
   */
  private void closeAfterFlush(Channel ch) {
    if (!ch.isActive()) {
      ch.close();
      return;
    }
    ChannelFuture flushed = ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
    if (flushed.isDone()) {
      ch.close();
      return;
    }
    ScheduledFuture<?> giveUp = ch.eventLoop().schedule(() -> {
      ch.close();
    }, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
    flushed.addListener(f -> {
      giveUp.cancel(false);
      ch.close();
    });
  }

  /** The instance side of the connection. */
  private final class BackendHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      relay(msg, client, ctx.channel(), false);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (!closed) {
        client.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      // The instance drained (or filled) its buffer: resume (or pause) reading from the client.
      if (!closed && !clientInputEnded) {
        client.config().setAutoRead(ctx.channel().isWritable());
      }
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
