package dev.lodestar.agent.marathon;

import dev.lodestar.agent.admin.AdminServer;
import dev.lodestar.discovery.internal.Checks;
import dev.lodestar.discovery.marathon.MarathonClient;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-only, Marathon-compatible subset of the REST API and event stream, served from a {@link
 * MarathonMirror} on the agent's admin port, so that the JVMs of a host point their {@code
 * MarathonSource} at the agent and Marathon sees one event stream and one read per change for the
 * whole host.
 *
 * <p>Served (GET only; anything else is 405):
 *
 * <ul>
 *   <li>{@code /v2/apps} ({@code embed} is accepted and tasks are always embedded; a {@code label}
 *       selector of {@code k==v}, {@code k!=v} or {@code k} terms, comma-separated, filters as
 *       Marathon does, so {@code k!=v} skips apps without label {@code k}; other selectors get
 *       400): {@code {"apps":[...]}}, gzipped when the client accepts it;
 *   <li>{@code /v2/apps/{id}}: {@code {"app":...}}, or Marathon's 404 message. When a re-read of
 *       that app is pending (an event about it was just relayed) the answer waits for it, up to
 *       {@link Builder#freshWait(Duration)}, so a client re-reading after an event gets the app as
 *       Marathon has it after that event;
 *   <li>{@code /v2/events}: Marathon's events as the mirror receives them, filtered by the
 *       client's {@code event_type} parameters, framed as Marathon frames them (an {@code
 *       event_stream_attached} event first, a bare CRLF heartbeat, {@code Connection: close});
 *   <li>{@code /ping}: {@code pong}; {@code /relay}: the mirror's counters and open streams as JSON.
 * </ul>
 *
 * <p><b>Failure modes.</b> Until the mirror's first full list, REST answers wait up to {@link
 * Builder#syncWait(Duration)} and then get 503, and {@code /v2/events} gets 503 at once: a client
 * listing Marathon after the agent falls over to it (5xx means "try the next URL" to {@code
 * MarathonSource}). After an upstream gap (the mirror's stream dropped and came back), every relay
 * stream is closed once the mirror has re-listed, so clients reconnect and re-list too: they may
 * have missed events. A client that reads its stream too slowly (the socket stays unwritable) is
 * disconnected rather than buffered without bound; it reconnects and re-lists.
 *
 * <p>Thread safety: safe for concurrent use; handlers run on the admin server's event loop and
 * never block, fan-out runs on the mirror's stream thread.
 */
public final class MarathonRelay implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(MarathonRelay.class.getName());
  private static final byte[] HEARTBEAT = "\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ATTACHED = ("event: event_stream_attached\r\ndata: {\"eventType\":"
      + "\"event_stream_attached\",\"remoteAddress\":\"lodestar-relay\"}\r\n\r\n")
      .getBytes(StandardCharsets.UTF_8);

  private final MarathonMirror mirror;
  private final Builder config;
  private final Map<Channel, Subscriber> subscribers = new ConcurrentHashMap<>();
  private final AtomicLong restAnswers = new AtomicLong();
  private final AtomicLong streamsAccepted = new AtomicLong();
  private final AtomicLong slowClientsDropped = new AtomicLong();
  private volatile boolean closed;

  /** One relay stream: its channel, the event types it asked for (empty: all), its heartbeat. */
  private record Subscriber(Channel channel, Set<String> types, ScheduledFuture<?> heartbeat) {}

  private MarathonRelay(MarathonMirror mirror, Builder config) {
    this.mirror = mirror;
    this.config = config;
  }

  /** Starts a builder for a relay serving {@code mirror}. */
  public static Builder builder(MarathonMirror mirror) {
    return new Builder(Objects.requireNonNull(mirror, "mirror"));
  }

  private void install(AdminServer admin) {
    mirror.addSink(new MarathonMirror.RelaySink() {
      @Override
      public void onEvent(MarathonClient.Event event) {
        fanOut(event);
      }

      @Override
      public void onResynced() {
        closeStreams("the agent's Marathon stream reconnected; re-list");
      }
    });
    admin.route("/v2/apps", this::apps);
    admin.route("/v2/apps/", this::app);
    admin.route("/v2/events", this::events);
    admin.route("/ping", (ctx, req, path) ->
        AdminServer.sendText(ctx, req, HttpResponseStatus.OK, "pong"));
    admin.route("/relay", (ctx, req, path) ->
        AdminServer.sendJson(ctx, req, HttpResponseStatus.OK, status()));
  }

  /** Relay streams open now. */
  public int openStreams() {
    return subscribers.size();
  }

  /**
   * The relay's state for the admin JSON: the mirror's counters and the relay's.
   *
   * @return a map that Jackson writes as a JSON object
   */
  public Map<String, Object> status() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mirror", mirror.stats());
    m.put("openStreams", subscribers.size());
    m.put("streamsAccepted", streamsAccepted.get());
    m.put("restAnswers", restAnswers.get());
    m.put("slowClientsDropped", slowClientsDropped.get());
    return m;
  }

  /** Closes every relay stream and stops accepting new ones (routes answer 503). Idempotent. */
  @Override
  public void close() {
    closed = true;
    closeStreams("the relay is closing");
  }

  // ---------------------------------------------------------------------------------------------
  // REST

  private boolean refuseNonGet(ChannelHandlerContext ctx, FullHttpRequest req) {
    if (HttpMethod.GET.equals(req.method())) {
      return false;
    }
    sendMessage(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED,
        "the Lodestar relay is read-only; send writes to Marathon");
    return true;
  }

  private void apps(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder qs) {
    if (refuseNonGet(ctx, request)) {
      return;
    }
    List<String> selectors = qs.parameters().getOrDefault("label", List.of());
    LabelSelector selector;
    try {
      selector = LabelSelector.parse(selectors);
    } catch (IllegalArgumentException e) {
      sendMessage(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage());
      return;
    }
    FullHttpRequest head = request.replace(Unpooled.EMPTY_BUFFER);
    afterFirstSync(ctx, head, () -> {
      MirrorState s = mirror.state();
      boolean gzip = selector == null && acceptsGzip(head);
      byte[] body;
      if (selector == null) {
        body = gzip ? s.fullListGzip() : s.fullList();
      } else {
        List<MirroredApp> kept = new ArrayList<>();
        for (MirroredApp a : s.apps().values()) {
          if (selector.matches(a.labels())) {
            kept.add(a);
          }
        }
        body = MirrorState.listOf(kept);
      }
      sendJsonBytes(ctx, head, HttpResponseStatus.OK, body, gzip);
    });
  }

  private void app(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder qs) {
    if (refuseNonGet(ctx, request)) {
      return;
    }
    String id = qs.path().substring("/v2/apps".length());
    while (id.length() > 1 && id.endsWith("/")) {
      id = id.substring(0, id.length() - 1);
    }
    String appId = id;
    FullHttpRequest head = request.replace(Unpooled.EMPTY_BUFFER);
    afterFirstSync(ctx, head, () -> mirror.whenFresh(appId)
        .completeOnTimeout(null, config.freshWait.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((ignored, error) -> {
          MirroredApp app = mirror.state().apps().get(appId);
          if (app == null) {
            sendMessage(ctx, head, HttpResponseStatus.NOT_FOUND,
                "App '" + appId + "' does not exist");
            return;
          }
          byte[] prefix = "{\"app\":".getBytes(StandardCharsets.UTF_8);
          byte[] body = new byte[prefix.length + app.json().length + 1];
          System.arraycopy(prefix, 0, body, 0, prefix.length);
          System.arraycopy(app.json(), 0, body, prefix.length, app.json().length);
          body[body.length - 1] = '}';
          sendJsonBytes(ctx, head, HttpResponseStatus.OK, body, false);
        }));
  }

  /** Runs {@code answer} once the mirror has listed Marathon, or answers 503 after the wait. */
  private void afterFirstSync(ChannelHandlerContext ctx, FullHttpRequest head, Runnable answer) {
    if (closed) {
      sendMessage(ctx, head, HttpResponseStatus.SERVICE_UNAVAILABLE, "the relay is closed");
      return;
    }
    if (mirror.isSynced()) {
      answer.run();
      return;
    }
    CompletableFuture<Boolean> synced = mirror.firstSync().thenApply(v -> true)
        .completeOnTimeout(false, config.syncWait.toMillis(), TimeUnit.MILLISECONDS);
    synced.thenAccept(ok -> {
      if (ok) {
        answer.run();
      } else {
        sendMessage(ctx, head, HttpResponseStatus.SERVICE_UNAVAILABLE,
            "the Lodestar agent has not read Marathon yet; ask Marathon directly");
      }
    });
  }

  private static boolean acceptsGzip(FullHttpRequest request) {
    String accept = request.headers().get(HttpHeaderNames.ACCEPT_ENCODING);
    return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("gzip");
  }

  private void sendJsonBytes(ChannelHandlerContext ctx, FullHttpRequest head,
      HttpResponseStatus status, byte[] body, boolean gzip) {
    restAnswers.incrementAndGet();
    FullHttpResponse response = new DefaultFullHttpResponse(head.protocolVersion(), status,
        Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    if (gzip) {
      response.headers().set(HttpHeaderNames.CONTENT_ENCODING, HttpHeaderValues.GZIP);
    }
    HttpUtil.setContentLength(response, body.length);
    if (HttpUtil.isKeepAlive(head)) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response);
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Marathon's error shape: {@code {"message": "..."}}. */
  private void sendMessage(ChannelHandlerContext ctx, FullHttpRequest head,
      HttpResponseStatus status, String message) {
    restAnswers.incrementAndGet();
    AdminServer.sendJson(ctx, head, status, Map.of("message", message));
  }

  // ---------------------------------------------------------------------------------------------
  // Event stream

  private void events(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder qs) {
    if (refuseNonGet(ctx, request)) {
      return;
    }
    if (closed || !mirror.isSynced()) {
      sendMessage(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, closed
          ? "the relay is closed" : "the Lodestar agent has not read Marathon yet");
      return;
    }
    HttpResponse response = new DefaultHttpResponse(request.protocolVersion(),
        HttpResponseStatus.OK);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream;charset=utf-8");
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    Channel ch = ctx.channel();
    ch.write(response);
    ch.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(ATTACHED)));
    long beat = config.heartbeat.toMillis();
    ScheduledFuture<?> heartbeat = ch.eventLoop().scheduleAtFixedRate(() ->
        ch.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(HEARTBEAT))),
        beat, beat, TimeUnit.MILLISECONDS);
    Subscriber s = new Subscriber(ch, Set.copyOf(qs.parameters().getOrDefault("event_type",
        List.of())), heartbeat);
    subscribers.put(ch, s);
    streamsAccepted.incrementAndGet();
    ch.closeFuture().addListener(f -> {
      heartbeat.cancel(false);
      subscribers.remove(ch);
    });
  }

  private void fanOut(MarathonClient.Event event) {
    if (subscribers.isEmpty()) {
      return;
    }
    byte[] frame = ("event: " + event.type() + "\r\ndata: " + event.data() + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
    for (Subscriber s : subscribers.values()) {
      if (!s.types().isEmpty() && !s.types().contains(event.type())) {
        continue;
      }
      Channel ch = s.channel();
      if (!ch.isWritable()) {
        slowClientsDropped.incrementAndGet();
        LOG.log(Level.WARNING, "relay client {0} does not keep up with the event stream;"
            + " disconnecting it (it reconnects and re-lists)", ch.remoteAddress());
        ch.close();
        continue;
      }
      ch.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(frame)));
    }
  }

  private void closeStreams(String reason) {
    if (!subscribers.isEmpty()) {
      LOG.log(Level.INFO, "closing {0} relay streams: {1}", subscribers.size(), reason);
    }
    for (Subscriber s : subscribers.values()) {
      s.channel().close();
    }
  }

  /**
   * Configures a {@link MarathonRelay}.
   *
   * <p>Thread safety: not thread-safe; use from one thread.
   */
  public static final class Builder {
    private final MarathonMirror mirror;
    private Duration heartbeat = Duration.ofSeconds(10);
    private Duration freshWait = Duration.ofSeconds(5);
    private Duration syncWait = Duration.ofSeconds(5);

    private Builder(MarathonMirror mirror) {
      this.mirror = mirror;
    }

    /** Heartbeat interval on relay streams (default 10 s, as Marathon's). */
    public Builder heartbeat(Duration interval) {
      this.heartbeat = Checks.positive(interval, "heartbeat");
      return this;
    }

    /** How long an app read waits for a pending re-read of that app (default 5 s). */
    public Builder freshWait(Duration wait) {
      this.freshWait = Checks.positive(wait, "freshWait");
      return this;
    }

    /** How long REST reads wait for the mirror's first list before 503 (default 5 s). */
    public Builder syncWait(Duration wait) {
      this.syncWait = Checks.positive(wait, "syncWait");
      return this;
    }

    /** Registers the relay's routes on {@code admin} and returns the relay. */
    public MarathonRelay install(AdminServer admin) {
      Objects.requireNonNull(admin, "admin");
      Builder copy = new Builder(mirror);
      copy.heartbeat = heartbeat;
      copy.freshWait = freshWait;
      copy.syncWait = syncWait;
      MarathonRelay relay = new MarathonRelay(mirror, copy);
      relay.install(admin);
      return relay;
    }
  }
}
