package dev.lodestar.agent.proxy;

import dev.lodestar.agent.NettyTransport;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.internal.DaemonThreads;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The TCP proxy: one listener per wanted port, each relaying client connections to instances of
 * one service picked by a {@link ServiceResolver}.
 *
 * <p>{@link #update} reconciles the listeners with the wanted set: ports no longer wanted stop
 * accepting (their open connections run on, and still count in {@link #state()} and get the
 * shutdown grace), new ports are bound. A port that cannot be bound is
 * logged once and shown in {@link #state()}; the other listeners keep working, and the port is
 * tried again only after it left the wanted set and came back.
 *
 * <p>Thread safety: {@link #update}, {@link #state} and {@link #shutdown} are synchronized (one
 * control lock); connections run on the worker event loops and never take that lock. Every open
 * client connection, of a listening port or of a removed one, is in one concurrent {@link
 * ChannelGroup} owned by this server: the event loops add to it, a closed channel leaves it by
 * itself, and the control thread only counts and (at the end of the shutdown grace) closes it.
 */
final class ProxyServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ProxyServer.class.getName());
  static final RecvByteBufAllocator READ_ALLOCATOR =
      new AdaptiveRecvByteBufAllocator(512, 16 * 1024, ProxyConfig.MAX_READ_BYTES);
  static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(ProxyConfig.WRITE_LOW_WATER, ProxyConfig.WRITE_HIGH_WATER);

  /** Where a listening port sends its connections. */
  record Target(String serviceId, String description) {
    Target {
      Objects.requireNonNull(serviceId, "serviceId");
      Objects.requireNonNull(description, "description");
    }
  }

  private final ProxyConfig config;
  private final ServiceResolver resolver;
  private final EventLoopGroup workers;
  private final ExecutorService loadExecutor;
  private final Map<Integer, ProxyListener> listeners = new TreeMap<>();
  /** Open client connections of every listener, removed ones included: what shutdown waits for. */
  private final ChannelGroup connections =
      new DefaultChannelGroup("lodestar-proxy-connections", GlobalEventExecutor.INSTANCE);
  /** Ports that could not be bound (or are invalid), with the reason; logged once each. */
  private final Map<Integer, String> unbound = new TreeMap<>();
  private Map<Integer, Target> wanted = Map.of();
  private boolean shutDown;

  ProxyServer(ProxyConfig config, ServiceResolver resolver) {
    this.config = Objects.requireNonNull(config, "config");
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.workers = NettyTransport.group(config.workerThreads() > 0 ? config.workerThreads()
        : Runtime.getRuntime().availableProcessors(), "lodestar-proxy");
    this.loadExecutor = Executors.newCachedThreadPool(DaemonThreads.named("lodestar-proxy-load"));
  }

  /**
   * Makes the listeners match {@code ports} (port to target). Ports outside 1..65535 are skipped
   * with a logged reason.
   */
  synchronized void update(Map<Integer, Target> ports) {
    if (shutDown) {
      return;
    }
    Map<Integer, Target> next = new TreeMap<>(ports);
    for (Integer port : List.copyOf(listeners.keySet())) {
      ProxyListener l = listeners.get(port);
      Target t = next.get(port);
      if (t == null || !t.serviceId().equals(l.serviceId())) {
        stop(l, t == null ? "no app has this service port any more" : "now " + t.description());
      } else if (!t.description().equals(l.description())) {
        LOG.log(Level.INFO, "listener {0}:{1,number,#} -> {2} now serves {3}",
            config.bindAddress(), port, l.description(), t.description());
        l.describe(t.description());
      }
    }
    unbound.keySet().removeIf(port -> !Objects.equals(next.get(port), wanted.get(port)));
    for (Map.Entry<Integer, Target> e : next.entrySet()) {
      int port = e.getKey();
      if (listeners.containsKey(port) || unbound.containsKey(port)) {
        continue;
      }
      if (port < 1 || port > 65535) {
        String reason = "service port " + port + " is not in 1..65535";
        unbound.put(port, reason);
        LOG.log(Level.WARNING, "not listening for {0}: {1}", e.getValue().description(), reason);
        continue;
      }
      start(port, e.getValue());
    }
    wanted = next;
  }

  private void start(int port, Target target) {
    ProxyListener l = new ProxyListener(port, target.serviceId(), target.description(), resolver,
        loadExecutor, config, connections);
    ServerBootstrap b = new ServerBootstrap()
        // Accepting on the relaying loops (no separate acceptor thread) saves a thread hop per
        // new connection.
        .group(workers, workers)
        .channel(NettyTransport.serverChannel())
        .option(ChannelOption.SO_BACKLOG, 4096)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.RCVBUF_ALLOCATOR, READ_ALLOCATOR)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(
                new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS),
                new ProxyConnection(l, config));
          }
        });
    ChannelFuture f = b.bind(config.bindAddress(), port).awaitUninterruptibly();
    if (!f.isSuccess()) {
      String reason = String.valueOf(f.cause().getMessage());
      unbound.put(port, reason);
      LOG.log(Level.WARNING, "cannot listen on {0}:{1,number,#} for {2}: {3};"
          + " the other listeners keep working", config.bindAddress(), port,
          target.description(), reason);
      return;
    }
    l.serverChannel = f.channel();
    l.watchService();
    listeners.put(port, l);
    LOG.log(Level.INFO, "listening on {0}:{1,number,#} -> {2}", config.bindAddress(), port,
        target.description());
  }

  private void stop(ProxyListener l, String reason) {
    listeners.remove(l.port());
    l.serverChannel.close().awaitUninterruptibly();
    l.stopWatching();
    LOG.log(Level.INFO, "closed listener {0}:{1,number,#} -> {2} ({3}); {4} open connection(s)"
        + " run on", config.bindAddress(), l.port(), l.description(), reason,
        l.connections().size());
  }

  /** The ports listening now. */
  synchronized List<Integer> listeningPorts() {
    return List.copyOf(listeners.keySet());
  }

  /** Listeners, unbound ports and connection counts, for the admin JSON. */
  synchronized Map<String, Object> state() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("transport", NettyTransport.name());
    m.put("bind", config.bindAddress());
    m.put("shuttingDown", shutDown);
    List<Map<String, Object>> ls = new ArrayList<>();
    for (ProxyListener l : listeners.values()) {
      ls.add(l.state());
    }
    // Removed ports' connections run on and are not under any listener: count them here.
    m.put("openConnections", connections.size());
    m.put("listeners", ls);
    List<Map<String, Object>> failed = new ArrayList<>();
    unbound.forEach((port, reason) -> {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("port", port);
      Target t = wanted.get(port);
      f.put("target", t == null ? null : t.description());
      f.put("error", reason);
      failed.add(f);
    });
    m.put("notListening", failed);
    return m;
  }

  /**
   * Graceful shutdown: stops accepting on every port at once, lets open connections (those of
   * ports removed earlier included) finish for up to {@link ProxyConfig#shutdownGrace()}, then
   * closes what is left and stops the event loops. Blocks the caller up to the grace plus about a
   * second. Idempotent.
   */
  void shutdown() {
    synchronized (this) {
      if (shutDown) {
        return;
      }
      shutDown = true;
      for (ProxyListener l : listeners.values()) {
        l.serverChannel.close().awaitUninterruptibly();
        l.stopWatching();
      }
    }
    int open = connections.size();
    LOG.log(Level.INFO, "shutting down: stopped accepting; {0} open connection(s) get up to {1}",
        open, config.shutdownGrace());
    long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
    while (!connections.isEmpty() && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int left = connections.size();
    if (left > 0) {
      LOG.log(Level.WARNING, "shutdown grace over: closing {0} connection(s)", left);
      connections.close().awaitUninterruptibly();
    }
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    loadExecutor.shutdownNow();
    LOG.log(Level.INFO, "proxy stopped");
  }

  @Override
  public void close() {
    shutdown();
  }

  Duration shutdownGrace() {
    return config.shutdownGrace();
  }
}
