package dev.lodestar.agent.proxy;

import dev.lodestar.agent.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Many concurrent connections, each sending {@code bytes} of seeded pseudo-random data (then a
 * half-close) and checking that exactly the same bytes come back, in order, before the end of the
 * stream. Non-blocking (Netty), so a thousand connections need no thousand threads.
 */
final class BulkClient implements AutoCloseable {
  private static final int CHUNK = 16 * 1024;

  /** What one connection saw. */
  record Result(long sent, long received, boolean intact, String error) {}

  private final EventLoopGroup group = NettyTransport.group(2, "test-bulk-client");

  /** Starts {@code connections} transfers to 127.0.0.1:{@code port}; one future per connection. */
  List<CompletableFuture<Result>> start(int port, int connections, int bytes) {
    List<CompletableFuture<Result>> out = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      CompletableFuture<Result> done = new CompletableFuture<>();
      Transfer t = new Transfer(i * 7919L + 1, bytes, done);
      new Bootstrap().group(group).channel(NettyTransport.socketChannel())
          .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
          .handler(t)
          .connect("127.0.0.1", port)
          .addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
              done.complete(new Result(0, 0, false, "connect: " + f.cause()));
            }
          });
      out.add(done);
    }
    return out;
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One connection: writes while writable, verifies what comes back. */
  private static final class Transfer extends ChannelInboundHandlerAdapter {
    private final SplittableRandom out;
    private final SplittableRandom in;
    private final int total;
    private final CompletableFuture<Result> done;
    private long sent;
    private long received;
    private boolean intact = true;

    Transfer(long seed, int total, CompletableFuture<Result> done) {
      this.out = new SplittableRandom(seed);
      this.in = new SplittableRandom(seed);
      this.total = total;
      this.done = done;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      writeMore(ctx.channel());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      writeMore(ctx.channel());
    }

    private void writeMore(Channel ch) {
      while (ch.isWritable() && sent < total) {
        int n = (int) Math.min(CHUNK, total - sent);
        ByteBuf buf = ch.alloc().buffer(n);
        for (int i = 0; i < n; i++) {
          buf.writeByte(out.nextInt(256));
        }
        sent += n;
        ch.write(buf);
      }
      ch.flush();
      if (sent == total) {
        sent++; // written once: shut down output only once, after the queued writes
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f ->
            ((DuplexChannel) ch).shutdownOutput());
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        while (buf.isReadable()) {
          if ((buf.readByte() & 0xff) != in.nextInt(256)) {
            intact = false;
          }
          received++;
        }
      } finally {
        buf.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.complete(new Result(Math.min(sent, total), received, intact && received == total,
          null));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.complete(new Result(Math.min(sent, total), received, false, cause.toString()));
      ctx.close();
    }
  }
}
