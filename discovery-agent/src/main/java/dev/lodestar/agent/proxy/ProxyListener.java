package dev.lodestar.agent.proxy;

import dev.lodestar.discovery.DiscoveryException;
import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.InstanceStatus;
import dev.lodestar.discovery.Selection;
import dev.lodestar.discovery.ServiceHandle;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.ServiceStatus;
import dev.lodestar.discovery.ServiceWatch;
import dev.lodestar.discovery.ServiceWatcher;
import dev.lodestar.agent.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * One listening port of the proxy and the service behind it: the server channel, the open client
 * connections, counters, and a watch on the service that keeps it loaded in the resolver (so a
 * pick on the event loop never waits for a first load).
 *
 * <p>Thread safety: counters are {@link LongAdder}s and the connection sets (this port's, and the
 * server's of all ports, which outlives a removed listener) concurrent {@link ChannelGroup}s,
 * updated from the event loops; {@link #serverChannel} is set once by the
 * {@link ProxyServer}'s control thread before the first accept, and {@link #describe} is called
 * by that thread only (a volatile field).
 */
final class ProxyListener {
  private static final System.Logger LOG = System.getLogger(ProxyListener.class.getName());
  /** Picks made when a pick lands on an instance the connection already tried. */
  private static final int REPICKS = 4;

  private final int port;
  private final String serviceId;
  /** The apps behind the port, for logs and the admin JSON; set by the control thread. */
  private volatile String description;
  private final ServiceResolver resolver;
  private final ServiceHandle service;
  private final Executor loadExecutor;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ChannelGroup allConnections;
  private final LongAdder accepted = new LongAdder();
  private final LongAdder connected = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder connectFailures = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder idleClosed = new LongAdder();
  private final LongAdder bytesUp = new LongAdder();
  private final LongAdder bytesDown = new LongAdder();
  private final Bootstrap backendBootstrap;
  private volatile boolean loaded;
  private volatile String lastError;
  private volatile ServiceWatch watch;
  volatile Channel serverChannel;

  ProxyListener(int port, String serviceId, String description, ServiceResolver resolver,
      Executor loadExecutor, ProxyConfig config, ChannelGroup allConnections) {
    this.port = port;
    this.allConnections = allConnections;
    this.serviceId = serviceId;
    this.description = description;
    this.resolver = resolver;
    this.service = resolver.service(serviceId);
    this.loadExecutor = loadExecutor;
    this.backendBootstrap = new Bootstrap()
        .channel(NettyTransport.socketChannel())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.RCVBUF_ALLOCATOR, ProxyServer.READ_ALLOCATOR)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, ProxyServer.WATER_MARK);
  }

  /** Options for connections to instances; {@code clone(loop)} it and add a handler. */
  Bootstrap backendBootstrap() {
    return backendBootstrap;
  }

  /** Starts following the service so that it is loaded before (or soon after) the first client. */
  void watchService() {
    watch = resolver.watch(serviceId, new ServiceWatcher() {
      @Override
      public void onSnapshot(ServiceSnapshot snapshot) {
        loaded = true;
        lastError = null;
      }

      @Override
      public void onError(DiscoveryException error) {
        lastError = error.getMessage();
        LOG.log(Level.WARNING, "{0}: {1}", name(), error.getMessage());
      }
    });
  }

  void stopWatching() {
    ServiceWatch w = watch;
    if (w != null) {
      w.close();
    }
  }

  int port() {
    return port;
  }

  String serviceId() {
    return serviceId;
  }

  String description() {
    return description;
  }

  /** The apps now behind the port (the service, and so the routing, is unchanged). */
  void describe(String description) {
    this.description = description;
  }

  ChannelGroup connections() {
    return connections;
  }

  /** {@code :port -> service} for log lines. */
  String name() {
    return ":" + port + " -> " + description;
  }

  boolean isLoaded() {
    return loaded;
  }

  /**
   * Picks an instance with the resolver's strategy, picking again (a few times) when the pick
   * lands on an instance this connection already tried. Does not block once the service is
   * loaded.
   *
   * @throws DiscoveryException when nothing is routable or the service is unknown
   */
  Selection select(List<Instance> tried) {
    Selection s = service.select();
    for (int i = 0; i < REPICKS && tried.contains(s.instance()); i++) {
      s.release();
      s = service.select();
    }
    return s;
  }

  /** {@link #select} on the load executor, for a service whose first load is still running. */
  CompletableFuture<Selection> selectAsync(List<Instance> tried) {
    List<Instance> copy = List.copyOf(tried);
    return CompletableFuture.supplyAsync(() -> {
      Selection s = select(copy);
      loaded = true; // loaded now: later picks stay on the event loop
      return s;
    }, loadExecutor);
  }

  void opened(Channel client) {
    connections.add(client);
    allConnections.add(client);
    // Counted once tracked: whoever sees it accepted also sees it open (or already closed).
    accepted.increment();
  }

  void connected() {
    connected.increment();
  }

  void connectFailed(Instance instance, Throwable cause) {
    connectFailures.increment();
    LOG.log(Level.INFO, "{0}: connect to {1} failed ({2}); trying another instance if any",
        name(), instance.address(), String.valueOf(cause));
  }

  void retried() {
    retries.increment();
  }

  /** A client connection the proxy could not serve (nothing routable, every attempt failed). */
  void failed(Throwable cause) {
    failed.increment();
    lastError = String.valueOf(cause.getMessage());
  }

  void idleClosed() {
    idleClosed.increment();
  }

  void bytes(int n, boolean upstream) {
    (upstream ? bytesUp : bytesDown).add(n);
  }

  /** The listener's state for the admin JSON. */
  Map<String, Object> state() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("port", port);
    m.put("service", serviceId);
    m.put("target", description);
    Channel ch = serverChannel;
    m.put("listening", ch != null && ch.isActive());
    m.put("openConnections", connections.size());
    m.put("accepted", accepted.sum());
    m.put("connected", connected.sum());
    m.put("failedConnections", failed.sum());
    m.put("connectFailures", connectFailures.sum());
    m.put("retries", retries.sum());
    m.put("idleClosed", idleClosed.sum());
    m.put("bytesToInstances", bytesUp.sum());
    m.put("bytesToClients", bytesDown.sum());
    if (lastError != null) {
      m.put("lastError", lastError);
    }
    List<Map<String, Object>> instances = new ArrayList<>();
    Optional<ServiceStatus> status = resolver.status(serviceId);
    status.ifPresent(s -> {
      for (InstanceStatus is : s.instances()) {
        Map<String, Object> i = new LinkedHashMap<>();
        i.put("address", is.instance().address());
        i.put("instanceId", is.instance().instanceId());
        i.put("health", is.instance().health().toString());
        i.put("routable", is.routable());
        i.put("ejected", is.ejected());
        i.put("openConnections", is.inFlight());
        i.put("connectLatencyMs", is.latencyEstimate().toNanos() / 1e6);
        i.put("consecutiveFailures", is.consecutiveFailures());
        instances.add(i);
      }
      m.put("panic", s.panic());
    });
    m.put("instances", instances);
    return m;
  }
}
