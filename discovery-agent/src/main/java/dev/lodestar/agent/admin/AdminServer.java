package dev.lodestar.agent.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lodestar.agent.NettyTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The agent's local admin HTTP server (Netty HTTP/1.1): one port on which each subcommand
 * registers its routes, for example {@code GET /proxy} (the proxy's state as JSON) or the relay's
 * Marathon-compatible {@code /v2/...} endpoints.
 *
 * <p>A route is an exact path ({@code /proxy}) or a prefix ending in {@code /} ({@code /v2/}); the
 * longest match wins, and an unmatched path gets 404 with the list of routes. A handler receives
 * the aggregated request (bodies up to 64 KiB) on the connection's event loop and writes the
 * response itself, so a handler may stream (server-sent events) as well as answer once; {@link
 * #sendJson} and {@link #sendText} answer once with keep-alive handled. A handler must not block.
 * A handler that throws gets a 500 written for it when it wrote no response yet (else the
 * connection is closed, as the answer may be cut short). A request that does not parse, or whose
 * path or query has a malformed percent-encoding, gets a plain-text 400 before any handler sees
 * it.
 *
 * <p>Thread safety: {@link #route} may be called at any time from any thread; {@link #start} and
 * {@link #close} once each.
 */
public final class AdminServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int MAX_REQUEST_BYTES = 64 * 1024;

  /** Answers one request. */
  @FunctionalInterface
  public interface Handler {
    /**
     * Handles {@code request}; the server releases the request after this returns (retain it to
     * keep it longer).
     *
     * @param path the decoded request path, without the query string
     */
    void handle(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder path)
        throws Exception;
  }

  private final String bindAddress;
  private final int requestedPort;
  private final Map<String, Handler> routes = new ConcurrentSkipListMap<>();
  private EventLoopGroup group;
  private Channel channel;

  /**
   * A server for {@code bindAddress:port}; nothing is bound before {@link #start}.
   *
   * @param port the port, or 0 for an ephemeral one (see {@link #port()})
   */
  public AdminServer(String bindAddress, int port) {
    this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("admin port " + port + " outside 0..65535");
    }
    this.requestedPort = port;
  }

  /**
   * Registers a route: an exact path, or a prefix when {@code path} ends with {@code /}. A route
   * registered again replaces the earlier handler.
   *
   * @return this server
   */
  public AdminServer route(String path, Handler handler) {
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("a route starts with '/': " + path);
    }
    routes.put(path, Objects.requireNonNull(handler, "handler"));
    return this;
  }

  /**
   * Binds the port and starts serving.
   *
   * @return the bound port
   * @throws IllegalStateException if the port cannot be bound (the cause says why)
   */
  public synchronized int start() {
    if (channel != null) {
      throw new IllegalStateException("already started");
    }
    group = NettyTransport.group(1, "lodestar-admin");
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(NettyTransport.serverChannel())
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Dispatcher dispatcher = new Dispatcher();
            ch.pipeline().addLast(new HttpServerCodec(),
                new HttpObjectAggregator(MAX_REQUEST_BYTES), dispatcher.responses, dispatcher);
          }
        });
    try {
      channel = b.bind(bindAddress, requestedPort).syncUninterruptibly().channel();
    } catch (Exception e) {
      group.shutdownGracefully();
      group = null;
      throw new IllegalStateException(
          "cannot bind the admin port " + bindAddress + ":" + requestedPort + ": " + e, e);
    }
    LOG.log(Level.INFO, "admin server listening on {0}:{1,number,#}", bindAddress, port());
    return port();
  }

  /** The bound port, or -1 before {@link #start}. */
  public synchronized int port() {
    return channel == null ? -1 : ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Stops listening and closes open admin connections. Idempotent. */
  @Override
  public synchronized void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
      group = null;
    }
  }

  /** Writes {@code value} as indented JSON with {@code status}. */
  public static void sendJson(ChannelHandlerContext ctx, FullHttpRequest request,
      HttpResponseStatus status, Object value) {
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      sendText(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR,
          "cannot serialise the answer: " + e.getMessage());
      return;
    }
    send(ctx, request, status, "application/json", body);
  }

  /** Writes a plain-text answer (a newline is added). */
  public static void sendText(ChannelHandlerContext ctx, FullHttpRequest request,
      HttpResponseStatus status, String text) {
    send(ctx, request, status, "text/plain; charset=utf-8",
        (text + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Writes one complete answer, keeping the connection open when the client asked for it. */
  public static void send(ChannelHandlerContext ctx, FullHttpRequest request,
      HttpResponseStatus status, String contentType, byte[] body) {
    FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), status,
        Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    HttpUtil.setContentLength(response, body.length);
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response);
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private Handler find(String path) {
    Handler exact = routes.get(path);
    if (exact != null) {
      return exact;
    }
    Handler best = null;
    int bestLength = -1;
    for (Map.Entry<String, Handler> e : routes.entrySet()) {
      String route = e.getKey();
      if (route.endsWith("/") && path.startsWith(route) && route.length() > bestLength) {
        best = e.getValue();
        bestLength = route.length();
      }
    }
    return best;
  }

  /** One per connection; runs on its event loop. */
  private final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** Whether a response to the current request was written (on the event loop) already. */
    private boolean answered;
    /** Sees every response written (placed before the dispatcher in the pipeline). */
    final ChannelOutboundHandlerAdapter responses = new ChannelOutboundHandlerAdapter() {
      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse) {
          answered = true;
        }
        ctx.write(msg, promise);
      }
    };

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      answered = false;
      if (!request.decoderResult().isSuccess()) {
        sendText(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed request");
        return;
      }
      QueryStringDecoder decoder = new QueryStringDecoder(request.uri());
      String path;
      try {
        // Both decode lazily and throw on a bad escape: decoded here, a bad escape is the
        // client's 400, not a dropped connection (path) or a handler's 500 (parameters).
        path = decoder.path();
        decoder.parameters();
      } catch (IllegalArgumentException e) {
        sendText(ctx, request, HttpResponseStatus.BAD_REQUEST, "bad request URI: "
            + e.getMessage());
        return;
      }
      Handler handler = find(path);
      if (handler == null) {
        sendJson(ctx, request, HttpResponseStatus.NOT_FOUND,
            Map.of("error", "no route for " + path, "routes", routes.keySet()));
        return;
      }
      try {
        handler.handle(ctx, request, decoder);
      } catch (Exception e) {
        LOG.log(Level.WARNING, "admin route " + path + " failed", e);
        if (answered) {
          // A second answer would be read as the next request's: end the connection instead.
          ctx.close();
        } else {
          sendText(ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR,
              "internal error: " + e);
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(Level.DEBUG, "admin connection failed: {0}", cause.toString());
      ctx.close();
    }
  }
}
