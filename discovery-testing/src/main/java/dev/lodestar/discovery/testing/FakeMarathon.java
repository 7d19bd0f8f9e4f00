package dev.lodestar.discovery.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lodestar.discovery.internal.DaemonThreads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Marathon node on loopback (the JDK's {@link HttpServer} on 127.0.0.1 and a free port), for
 * tests, benchmarks and the demo.
 *
 * <p>What it serves:
 *
 * <ul>
 *   <li>{@code GET /v2/apps/{id}} (any query, e.g. {@code ?embed=app.tasks}): {@code {"app": ...}}
 *       for an app set with {@link #putApp} or {@link #setTasks}; an unknown app gets Marathon's
 *       404 {@code {"message":"App '/x' does not exist"}}.
 *   <li>{@code GET /v2/apps} (any query, e.g. {@code ?embed=apps.tasks}): {@code {"apps":[...]}}
 *       with every app set, in the order they were first put.
 *   <li>Until the first {@link #putApp} or {@link #setTasks} there is no app model: every path not
 *       given to {@link #answer} is 404, the list included, as tests serving fixtures expect.
 *   <li>{@code GET /v2/events}: a server-sent-event stream as Marathon 0.11+ writes it (CRLF, an
 *       {@code event_stream_attached} event first, then whatever {@link #send} and {@link #event}
 *       write, plus a bare CRLF every {@link #heartbeat heartbeat} when one is set). Without
 *       {@code Accept: text/event-stream} the request gets 406, as Marathon answers it.
 *   <li>Any path and query given to {@link #answer(String, int, byte[])}: exactly that answer; it
 *       takes precedence over the app model, so tests can serve fixture files unchanged.
 * </ul>
 *
 * <p>Fault switches: {@link #failRest(int)} (every REST answer gets that status), {@link
 * #slow(Duration)} (every REST answer waits), {@link #garbage(boolean)} (every REST answer is a
 * 200 whose body is not JSON), {@link #drop()} (closes every open event stream), {@link
 * #eventStatus(int)} and {@link #redirectEvents(String)} (the event endpoint refuses or
 * redirects). Observation: {@link #requests()}, {@link #requestCount(String)}, {@link
 * #lastAuthorization(String)}, {@link #openStreams()}, {@link #eventConnections()}.
 *
 * <p>Thread safety: safe for concurrent use; every setter takes effect for the next request (an
 * open event stream keeps the answer it started with, except for {@link #drop()}).
 */
public final class FakeMarathon implements AutoCloseable {
  /** How many request lines {@link #requests()} keeps; {@link #requestCount} stays exact. */
  public static final int REQUEST_LOG_LIMIT = 100_000;

  private static final byte[] DROP = new byte[0];
  private static final byte[] CRLF = "\r\n".getBytes(StandardCharsets.US_ASCII);

  /** One task of a simple app, as {@link #setTasks} lists it: on host 127.0.0.1, one port. */
  public record Task(String id, int port, String state) {}

  private record Answer(int status, byte[] body) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final Map<String, String> apps = Collections.synchronizedMap(new LinkedHashMap<>());
  private final List<BlockingQueue<byte[]>> streams = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> countsByPath = new ConcurrentHashMap<>();
  private final Map<String, String> authByPath = new ConcurrentHashMap<>();
  private final AtomicInteger eventConnections = new AtomicInteger();
  private volatile int restStatus;
  private volatile long slowNanos;
  private volatile boolean garbage;
  private volatile int eventStatus = 200;
  private volatile String eventRedirect;
  private volatile long heartbeatNanos;
  private volatile boolean modelInUse;
  private volatile boolean closed;

  /**
   * Starts a fake Marathon on 127.0.0.1 and a free port, with no apps.
   *
   * @throws IOException if no loopback port can be bound
   */
  public FakeMarathon() throws IOException {
    // 127.0.0.1 itself, which url() names: getLoopbackAddress() is ::1 in a JVM preferring IPv6.
    server = HttpServer.create(
        new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 64);
    executor = Executors.newCachedThreadPool(DaemonThreads.named("fake-marathon"));
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  // ---- the app model ------------------------------------------------------------------------

  /**
   * Serves {@code appJson} (one Marathon app object, tasks embedded) for app {@code appId} until
   * it is replaced or removed.
   *
   * @param appId the Marathon id with its leading slash, e.g. {@code /prod/web}
   * @return this
   */
  public FakeMarathon putApp(String appId, String appJson) {
    apps.put(appId, appJson);
    modelInUse = true;
    return this;
  }

  /** Stops serving app {@code appId}: its REST path answers 404 again. */
  public FakeMarathon removeApp(String appId) {
    apps.remove(appId);
    return this;
  }

  /**
   * Serves a simple app {@code appId}: one port definition ({@code 10000}, named {@code http}), no
   * health checks, and {@code tasks} on host 127.0.0.1.
   */
  public FakeMarathon setTasks(String appId, List<Task> tasks) {
    StringBuilder sb = new StringBuilder("{\"id\":\"").append(appId).append("\",\"instances\":")
        .append(tasks.size()).append(",\"portDefinitions\":[{\"port\":10000,\"name\":\"http\"}]"
            + ",\"healthChecks\":[],\"tasks\":[");
    for (int i = 0; i < tasks.size(); i++) {
      Task t = tasks.get(i);
      sb.append(i == 0 ? "" : ",").append("{\"id\":\"").append(t.id()).append("\",\"appId\":\"")
          .append(appId).append("\",\"host\":\"127.0.0.1\",\"ports\":[").append(t.port())
          .append("],\"state\":\"").append(t.state()).append("\"}");
    }
    return putApp(appId, sb.append("]}").toString());
  }

  /**
   * Answers exactly {@code pathAndQuery} (raw, e.g. {@code /v2/apps/web?embed=app.tasks}) with
   * {@code status} and {@code body} (JSON content type; an empty body is sent without one).
   */
  public FakeMarathon answer(String pathAndQuery, int status, byte[] body) {
    answers.put(pathAndQuery, new Answer(status, body.clone()));
    return this;
  }

  /** {@link #answer(String, int, byte[])} with status 200. */
  public FakeMarathon answer(String pathAndQuery, byte[] body) {
    return answer(pathAndQuery, 200, body);
  }

  /** {@link #answer(String, int, byte[])} with a UTF-8 body. */
  public FakeMarathon answer(String pathAndQuery, int status, String body) {
    return answer(pathAndQuery, status, body.getBytes(StandardCharsets.UTF_8));
  }

  // ---- the event stream ---------------------------------------------------------------------

  /** Writes raw bytes (UTF-8) to every open event stream, unframed. */
  public void send(String raw) {
    byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
    for (BlockingQueue<byte[]> q : streams) {
      q.add(bytes);
    }
  }

  /**
   * Sends one event with {@code event:} and {@code data:} lines, as Marathon 0.11+ does; line
   * breaks inside {@code json} are folded so that it stays one {@code data:} line.
   */
  public void event(String type, String json) {
    send("event: " + type + "\r\ndata: " + json.replaceAll("\\s*\\n\\s*", " ") + "\r\n\r\n");
  }

  /** Sends a {@code status_update_event} for one task of app {@code appId} (host 127.0.0.1). */
  public void emitStatusUpdate(String appId, Task task) {
    event("status_update_event", "{\"eventType\":\"status_update_event\",\"taskId\":\""
        + task.id() + "\",\"taskStatus\":\"" + task.state() + "\",\"appId\":\"" + appId
        + "\",\"host\":\"127.0.0.1\",\"ports\":[" + task.port() + "]}");
  }

  /** Sends a bare CRLF on every open stream after each {@code interval} of silence; null: never. */
  public FakeMarathon heartbeat(Duration interval) {
    heartbeatNanos = interval == null ? 0 : interval.toNanos();
    return this;
  }

  // ---- fault switches -----------------------------------------------------------------------

  /** Fault: closes every open event stream (the client sees the end of the stream). */
  public void drop() {
    for (BlockingQueue<byte[]> q : streams) {
      q.add(DROP);
    }
  }

  /**
   * Fault: every REST answer gets {@code status} (e.g. 503, Marathon's "no leader") with a JSON
   * message body, whatever was set; 0 turns this off. Event streams are not affected.
   */
  public FakeMarathon failRest(int status) {
    restStatus = status;
    return this;
  }

  /** Fault: every REST answer waits {@code delay} before it is sent; zero turns this off. */
  public FakeMarathon slow(Duration delay) {
    slowNanos = delay.toNanos();
    return this;
  }

  /** Fault: every REST answer is a 200 whose body is not JSON (an HTML error page). */
  public FakeMarathon garbage(boolean on) {
    garbage = on;
    return this;
  }

  /** Fault: {@code /v2/events} answers {@code status} (no stream) unless it is 200. */
  public FakeMarathon eventStatus(int status) {
    eventStatus = status;
    return this;
  }

  /** {@code /v2/events} answers 302 to the same path and query on {@code baseUrl}; null: off. */
  public FakeMarathon redirectEvents(String baseUrl) {
    eventRedirect = baseUrl;
    return this;
  }

  // ---- observation --------------------------------------------------------------------------

  /** Every request's raw path and query, in arrival order (the first {@link #REQUEST_LOG_LIMIT}). */
  public List<String> requests() {
    return new ArrayList<>(requests);
  }

  /** How many requests arrived for raw path {@code path} (query ignored), e.g. {@code /v2/apps}. */
  public int requestCount(String path) {
    AtomicInteger n = countsByPath.get(path);
    return n == null ? 0 : n.get();
  }

  /** The {@code Authorization} header of the last request for {@code path}; "" when none was sent. */
  public String lastAuthorization(String path) {
    return authByPath.get(path);
  }

  /** Event streams open now. */
  public int openStreams() {
    return streams.size();
  }

  /** Event streams accepted so far (each reconnection counts). */
  public int eventConnections() {
    return eventConnections.get();
  }

  // ---- serving ------------------------------------------------------------------------------

  private void handle(HttpExchange ex) throws IOException {
    URI uri = ex.getRequestURI();
    String path = uri.getRawPath();
    String target = path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    if (requests.size() < REQUEST_LOG_LIMIT) {
      requests.add(target);
    }
    countsByPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    authByPath.put(path, auth == null ? "" : auth);
    try {
      if (uri.getPath().equals("/v2/events")) {
        stream(ex);
        return;
      }
      Answer answer = rest(uri.getPath(), target);
      long delay = slowNanos;
      if (delay > 0) {
        TimeUnit.NANOSECONDS.sleep(delay);
      }
      if (garbage) {
        answer = new Answer(200, "<html><body>502 Bad Gateway</body></html>"
            .getBytes(StandardCharsets.UTF_8));
      } else if (restStatus != 0) {
        answer = new Answer(restStatus, ("{\"message\":\"fault injected: " + restStatus + "\"}")
            .getBytes(StandardCharsets.UTF_8));
      }
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
      ex.getResponseBody().write(answer.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ex.close();
    }
  }

  /** The answer to {@code target} (raw path and query); {@code path} is decoded. */
  private Answer rest(String path, String target) {
    Answer set = answers.get(target);
    if (set != null) {
      return set;
    }
    if (!modelInUse) {
      return json(404, "{\"message\":\"App '/x' does not exist\"}");
    }
    if (path.equals("/v2/apps") || path.equals("/v2/apps/")) {
      synchronized (apps) {
        return json(200, "{\"apps\":[" + String.join(",", apps.values()) + "]}");
      }
    }
    String id = path.startsWith("/v2/apps/") ? path.substring("/v2/apps".length()) : path;
    String app = apps.get(id);
    if (app != null) {
      return json(200, "{\"app\":" + app + "}");
    }
    return json(404, "{\"message\":\"App '" + id + "' does not exist\"}");
  }

  private static Answer json(int status, String body) {
    return new Answer(status, body.getBytes(StandardCharsets.UTF_8));
  }

  private void stream(HttpExchange ex) throws IOException {
    String redirect = eventRedirect;
    if (redirect != null) {
      URI uri = ex.getRequestURI();
      ex.getResponseHeaders().add("Location", redirect + uri.getPath()
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
      ex.sendResponseHeaders(302, -1);
      return;
    }
    if (eventStatus != 200) {
      ex.sendResponseHeaders(eventStatus, -1);
      return;
    }
    if (!"text/event-stream".equals(ex.getRequestHeaders().getFirst("Accept"))) {
      ex.sendResponseHeaders(406, -1);
      return;
    }
    BlockingQueue<byte[]> q = new LinkedBlockingQueue<>();
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    out.write(("event: event_stream_attached\r\ndata: {\"remoteAddress\":\"127.0.0.1\","
        + "\"eventType\":\"event_stream_attached\",\"timestamp\":\"2017-02-18T19:12:00.102Z\"}"
        + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    streams.add(q);
    eventConnections.incrementAndGet();
    long lastWrite = System.nanoTime();
    try {
      while (!closed) {
        byte[] chunk = q.poll(100, TimeUnit.MILLISECONDS);
        if (chunk == DROP) {
          return;
        }
        long beat = heartbeatNanos;
        if (chunk == null && beat > 0 && System.nanoTime() - lastWrite >= beat) {
          chunk = CRLF;
        }
        if (chunk != null) {
          out.write(chunk);
          out.flush();
          lastWrite = System.nanoTime();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The client went away.
    } finally {
      streams.remove(q);
    }
  }

  /** Closes every stream and stops the server. Idempotent. */
  @Override
  public void close() {
    closed = true;
    drop();
    server.stop(0);
    executor.shutdownNow();
  }
}
