package dev.lodestar.agent.proxy;

import dev.lodestar.agent.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real app instance on loopback (Netty): {@code ECHO} writes back every byte it reads (with
 * backpressure, passing a half-close on), {@code SILENT} accepts and never reads or answers.
 * {@link #kill()} closes the listening socket and every connection, as a crashed process would.
 */
final class TestBackend implements AutoCloseable {
  enum Mode { ECHO, SILENT }

  private final EventLoopGroup group;
  private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger accepted = new AtomicInteger();
  private final Channel server;

  TestBackend(Mode mode) {
    group = NettyTransport.group(1, "test-backend");
    server = new ServerBootstrap()
        .group(group)
        .channel(NettyTransport.serverChannel())
        .option(ChannelOption.SO_BACKLOG, 2048)
        .childOption(ChannelOption.AUTO_READ, mode == Mode.ECHO)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            accepted.incrementAndGet();
            children.add(ch);
            if (mode == Mode.ECHO) {
              ch.config().setAutoRead(false);
              ch.pipeline().addLast(new Echo());
            }
          }
        })
        .bind("127.0.0.1", 0).syncUninterruptibly().channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  int accepted() {
    return accepted.get();
  }

  /** Stops listening and resets nothing gracefully: every open connection is closed. */
  void kill() {
    server.close().syncUninterruptibly();
    children.close().syncUninterruptibly();
  }

  @Override
  public void close() {
    kill();
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
        if (f.isSuccess()) {
          ctx.read();
        } else {
          ctx.close();
        }
      });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER)
            .addListener((ChannelFutureListener) f -> ((DuplexChannel) ctx.channel())
                .shutdownOutput().addListener(ChannelFutureListener.CLOSE));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
