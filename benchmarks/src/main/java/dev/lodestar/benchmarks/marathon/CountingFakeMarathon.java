package dev.lodestar.benchmarks.marathon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.GZIPOutputStream;

/**
 * A loopback Marathon pair (a leader and a standby URL sharing one state) that counts every
 * request and every byte it sends, per second and per kind of request: full lists ({@code
 * /v2/apps?embed=apps.tasks}), lean lists ({@code /v2/apps} without tasks), label-selected lists,
 * single-app reads and event-stream connects. It holds {@code apps} apps of {@code tasks} tasks
 * each, rendered once (and gzipped once) per change, answers gzip when asked, and serves {@code
 * /v2/events} as server-sent events. {@link #failover()} drops every stream on the leader, which
 * then answers 503 as a node without leadership does, and makes the standby the leader.
 *
 * <p>Self-contained (JDK only) so it can move to a shared test-support module.
 *
 * <p>Thread safety: safe for concurrent use.
 */
public final class CountingFakeMarathon implements AutoCloseable {
  /** What a request asked for. */
  public enum Kind { FULL_LIST, LEAN_LIST, LABEL_LIST, APP, EVENTS, OTHER }

  private static final int SECONDS = 3600;
  private static final byte[] HEARTBEAT = "\r\n".getBytes(StandardCharsets.US_ASCII);

  private final int taskCount;
  private final Map<String, byte[][]> apps = new ConcurrentHashMap<>(); // {plain, gzip}
  private final Map<String, Integer> versions = new ConcurrentHashMap<>();
  private final List<String> order = new ArrayList<>();
  private final List<Stream> streams = new CopyOnWriteArrayList<>();
  private final HttpServer[] nodes = new HttpServer[2];
  private final ExecutorService executor;
  private final long startNanos = System.nanoTime();
  private final AtomicLongArray[] requests = new AtomicLongArray[Kind.values().length];
  private final AtomicLongArray bytes = new AtomicLongArray(SECONDS);
  private volatile int leader;
  private volatile boolean closed;

  /** One connected event stream. */
  private record Stream(int node, BlockingQueue<byte[]> queue) {}

  /**
   * Starts both nodes on loopback with {@code appCount} apps {@code /app-00000 ...} of {@code
   * taskCount} running tasks, service ports from 10000 up.
   */
  public CountingFakeMarathon(int appCount, int taskCount) throws IOException {
    this.taskCount = taskCount;
    for (int k = 0; k < requests.length; k++) {
      requests[k] = new AtomicLongArray(SECONDS);
    }
    for (int i = 0; i < appCount; i++) {
      String id = appId(i);
      order.add(id);
      versions.put(id, 0);
      render(id, i, -1, null);
    }
    executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "counting-fake-marathon");
      t.setDaemon(true);
      return t;
    });
    for (int n = 0; n < 2; n++) {
      int node = n;
      nodes[n] = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
          4096);
      nodes[n].setExecutor(executor);
      nodes[n].createContext("/", ex -> handle(node, ex));
      nodes[n].start();
    }
  }

  /** The id of app number {@code i}. */
  public static String appId(int i) {
    return String.format("/app-%05d", i);
  }

  /** The base URL of node 0 (the first leader) or 1. */
  public String url(int node) {
    return "http://127.0.0.1:" + nodes[node].getAddress().getPort();
  }

  /** Connected event streams. */
  public int streamClients() {
    return streams.size();
  }

  /** Event streams connected to node {@code node}. */
  public int streamClients(int node) {
    int n = 0;
    for (Stream s : streams) {
      n += s.node() == node ? 1 : 0;
    }
    return n;
  }

  /** Seconds since the fake started. */
  public int second() {
    return (int) Math.min(SECONDS - 1, (System.nanoTime() - startNanos) / 1_000_000_000L);
  }

  /** Requests of one kind answered during second {@code s}. */
  public long requests(Kind kind, int s) {
    return requests[kind.ordinal()].get(s);
  }

  /** Bytes sent (compressed, as on the wire, headers excluded) during second {@code s}. */
  public long bytes(int s) {
    return bytes.get(s);
  }

  /**
   * Kills task {@code task} of app number {@code app} (or brings it back when {@code running})
   * in the REST state, and sends the matching {@code status_update_event} on every stream.
   */
  public void setTaskRunning(int app, int task, boolean running) {
    String id = appId(app);
    int version = versions.merge(id, 1, Integer::sum);
    render(id, app, running ? -1 : task, "v" + version);
    String state = running ? "TASK_RUNNING" : "TASK_KILLED";
    emit("status_update_event", "{\"eventType\":\"status_update_event\",\"taskId\":\""
        + taskId(id, task) + "\",\"taskStatus\":\"" + state + "\",\"appId\":\"" + id
        + "\",\"host\":\"" + host(task) + "\",\"ports\":[" + hostPort(app, task)
        + "],\"ipAddresses\":[],\"version\":\"2026-01-01T00:00:00.000Z\","
        + "\"timestamp\":\"2026-01-01T00:00:00.000Z\"}");
  }

  /** The task id of task {@code task} of app {@code appId}. */
  public static String taskId(String appId, int task) {
    return appId.substring(1) + ".instance-0000000" + task + "._app.1";
  }

  /** Node 0 steps down: its streams close, it answers 503; node 1 leads. */
  public void failover() {
    leader = 1;
    for (Stream s : streams) {
      if (s.node() == 0) {
        s.queue().add(new byte[0]); // end of stream
      }
    }
  }

  private static String host(int task) {
    return "127.0.0." + (1 + task % 200);
  }

  private static int hostPort(int app, int task) {
    return 20000 + (app * 7 + task) % 40000;
  }

  /** Renders one app with its tasks; {@code killed} (or -1) is left out as Marathon does. */
  private void render(String id, int index, int killed, String version) {
    StringBuilder sb = new StringBuilder(9000);
    sb.append("{\"id\":\"").append(id).append("\",\"cmd\":\"./run --port $PORT0\","
        + "\"instances\":").append(taskCount).append(",\"cpus\":0.5,\"mem\":256,"
        + "\"portDefinitions\":[{\"port\":").append(10000 + index)
        .append(",\"protocol\":\"tcp\",\"name\":\"http\",\"labels\":{}}],"
        + "\"labels\":{\"team\":\"t").append(index % 50).append("\"},\"healthChecks\":[],"
        + "\"upgradeStrategy\":{\"minimumHealthCapacity\":1,\"maximumOverCapacity\":1},"
        + "\"version\":\"").append(version == null ? "v0" : version).append("\",\"tasks\":[");
    boolean first = true;
    for (int t = 0; t < taskCount; t++) {
      if (t == killed) {
        continue;
      }
      sb.append(first ? "" : ",");
      first = false;
      String task = taskId(id, t);
      sb.append("{\"id\":\"").append(task).append("\",\"appId\":\"").append(id)
          .append("\",\"host\":\"").append(host(t)).append("\",\"state\":\"TASK_RUNNING\","
              + "\"ports\":[").append(hostPort(index, t)).append("],\"servicePorts\":[")
          .append(10000 + index).append("],\"ipAddresses\":[{\"ipAddress\":\"10.0.")
          .append(t % 250).append('.').append(index % 250).append("\",\"protocol\":\"IPv4\"}],"
              + "\"slaveId\":\"5a6f8c0e-1b2d-4e3f-9a8b-7c6d5e4f3a2b-S").append(t)
          .append("\",\"stagedAt\":\"2026-01-01T00:00:00.000Z\",\"startedAt\":"
              + "\"2026-01-01T00:00:01.000Z\",\"version\":\"2026-01-01T00:00:00.000Z\","
              + "\"localVolumes\":[],\"healthCheckResults\":[],\"checkResult\":{},"
              + "\"region\":\"eu-west-1\",\"zone\":\"eu-west-1a\",\"role\":\"marathon\","
              + "\"agentInfo\":{\"host\":\"").append(host(t)).append("\",\"agentId\":"
              + "\"5a6f8c0e-1b2d-4e3f-9a8b-7c6d5e4f3a2b-S").append(t)
          .append("\",\"attributes\":[]}}");
    }
    sb.append("]}");
    byte[] plain = sb.toString().getBytes(StandardCharsets.UTF_8);
    apps.put(id, new byte[][] {plain, gzip(plain)});
  }

  private static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private void emit(String type, String json) {
    byte[] b = ("event: " + type + "\r\ndata: " + json + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
    for (Stream s : streams) {
      s.queue().add(b);
    }
  }

  private void count(Kind kind, long sent) {
    int s = second();
    requests[kind.ordinal()].incrementAndGet(s);
    bytes.addAndGet(s, sent);
  }

  private void handle(int node, HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      String query = ex.getRequestURI().getRawQuery() == null ? ""
          : URLDecoder.decode(ex.getRequestURI().getRawQuery(), StandardCharsets.UTF_8);
      boolean gzip = String.valueOf(ex.getRequestHeaders().getFirst("Accept-Encoding"))
          .contains("gzip");
      if (node != leader) {
        count(path.equals("/v2/events") ? Kind.EVENTS : Kind.OTHER, 0);
        ex.sendResponseHeaders(503, -1);
        return;
      }
      if (path.equals("/v2/events")) {
        count(Kind.EVENTS, 0);
        stream(node, ex);
        return;
      }
      if (path.equals("/v2/apps") || path.equals("/v2/apps/")) {
        list(ex, query, gzip);
        return;
      }
      byte[][] app = path.startsWith("/v2/apps/")
          ? apps.get(path.substring("/v2/apps".length())) : null;
      if (app == null) {
        count(Kind.OTHER, 0);
        ex.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = gzip ? gzip(concat("{\"app\":", app[0], "}")) : concat("{\"app\":", app[0],
          "}");
      send(ex, Kind.APP, body, gzip);
    } finally {
      ex.close();
    }
  }

  private void list(HttpExchange ex, String query, boolean gzip) throws IOException {
    boolean tasks = query.contains("embed=apps.tasks");
    String label = null;
    for (String part : query.split("&")) {
      if (part.startsWith("label=")) {
        label = part.substring(6);
      }
    }
    Kind kind = label != null ? Kind.LABEL_LIST : tasks ? Kind.FULL_LIST : Kind.LEAN_LIST;
    ByteArrayOutputStream out = new ByteArrayOutputStream(tasks ? 1 << 20 : 1 << 16);
    out.write("{\"apps\":[".getBytes(StandardCharsets.US_ASCII));
    boolean first = true;
    for (String id : order) {
      byte[] app = apps.get(id)[0];
      if (label != null && !new String(app, StandardCharsets.UTF_8).contains(labelJson(label))) {
        continue;
      }
      if (!first) {
        out.write(',');
      }
      first = false;
      if (tasks) {
        out.write(app);
      } else {
        String s = new String(app, StandardCharsets.UTF_8);
        out.write(s.substring(0, s.indexOf(",\"tasks\":[")).getBytes(StandardCharsets.UTF_8));
        out.write('}');
      }
    }
    out.write("]}".getBytes(StandardCharsets.US_ASCII));
    byte[] body = gzip ? gzip(out.toByteArray()) : out.toByteArray();
    send(ex, kind, body, gzip);
  }

  private static String labelJson(String selector) {
    int eq = selector.indexOf("==");
    return eq < 0 ? "\"" + selector + "\""
        : "\"" + selector.substring(0, eq) + "\":\"" + selector.substring(eq + 2) + "\"";
  }

  private void send(HttpExchange ex, Kind kind, byte[] body, boolean gzip) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "application/json");
    if (gzip) {
      ex.getResponseHeaders().add("Content-Encoding", "gzip");
    }
    ex.sendResponseHeaders(200, body.length);
    ex.getResponseBody().write(body);
    count(kind, body.length);
  }

  private static byte[] concat(String head, byte[] middle, String tail) {
    byte[] h = head.getBytes(StandardCharsets.US_ASCII);
    byte[] t = tail.getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[h.length + middle.length + t.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(middle, 0, out, h.length, middle.length);
    System.arraycopy(t, 0, out, h.length + middle.length, t.length);
    return out;
  }

  /** Serves one stream until the client leaves, the node steps down or the fake closes. */
  private void stream(int node, HttpExchange ex) throws IOException {
    Stream s = new Stream(node, new LinkedBlockingQueue<>());
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    streams.add(s);
    try {
      out.write("event: event_stream_attached\r\ndata: {\"eventType\":\"event_stream_attached\"}\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      while (!closed && leader == node) {
        byte[] chunk = s.queue().poll(10, TimeUnit.SECONDS);
        if (chunk != null && chunk.length == 0) {
          break;
        }
        byte[] b = chunk == null ? HEARTBEAT : chunk;
        out.write(b);
        out.flush();
        bytes.addAndGet(second(), b.length);
      }
    } catch (InterruptedException | IOException e) {
      // client gone or shutting down
    } finally {
      streams.remove(s);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Stream s : streams) {
      s.queue().add(new byte[0]);
    }
    for (HttpServer n : nodes) {
      n.stop(0);
    }
    executor.shutdownNow();
  }
}
