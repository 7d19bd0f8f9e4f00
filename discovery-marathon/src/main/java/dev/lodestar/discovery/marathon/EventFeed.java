package dev.lodestar.discovery.marathon;

import dev.lodestar.discovery.DiscoveryUnavailableException;
import dev.lodestar.discovery.internal.DaemonThreads;
import io.github.resilience4j.core.IntervalFunction;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One {@code /v2/events} connection, kept open on its own daemon thread and reconnected when it
 * drops or stays silent. It opens through {@link MarathonHttp#connectEventStream}, so the stream has
 * the same URL failover, redirect and credentials as every REST read. After a stream that was up
 * drops (a leader failover drops every client at once), the first reconnect waits a random time
 * in {@code [0, spread]}, so that a fleet of clients does not reconnect in the same second;
 * failed connects then back off exponentially with jitter. A stream counts as up once it stayed
 * connected for {@link #STABLE_AFTER} or delivered an event; one that ends sooner (a proxy or a
 * standby that accepts and closes) is a failed connect, whose backoff gets the spread on top, so
 * that it is never reconnected in a loop.
 *
 * <p>Thread safety: {@link #start}, {@link #checkIdle} and {@link #close} may be called from any
 * thread; the handler is called from the stream thread.
 */
final class EventFeed {
  // One logger for everything a source does.
  private static final System.Logger LOG = System.getLogger(MarathonSource.class.getName());

  /** Event types the source applies; the stream asks Marathon (1.3.7+) to send only these. */
  static final List<String> EVENT_TYPES = List.of("status_update_event", "instance_changed_event",
      "health_status_changed_event", "instance_health_changed_event",
      "unhealthy_task_kill_event", "unhealthy_instance_kill_event", "app_terminated_event",
      "api_post_event", "deployment_info", "deployment_step_success", "deployment_step_failure",
      "deployment_success", "deployment_failed");

  /** What the stream reports; called on the stream thread, must not block for long. */
  interface Handler {
    void connected(URI at);

    void event(MarathonEvent event);

    /** The stream dropped or could not connect; {@code cause} says why. */
    void disconnected(Exception cause);

    /** Marathon refused the credentials; the stream stopped until {@link #start} again. */
    void refused(MarathonAuthenticationException e);
  }

  /** How long a connected stream must stay up, without an event, to reset the backoff. */
  static final Duration STABLE_AFTER = Duration.ofSeconds(10);

  private final String name;
  private final MarathonHttp http;
  private final Duration idleTimeout;
  private final int maxEventBytes;
  private final IntervalFunction backoff;
  private final Duration spread;
  private final Handler handler;
  private volatile boolean closed;
  private Thread thread; // guarded by this
  private volatile ActivityInputStream current;
  // Stream thread only: when the current connection attached, and whether it delivered an event.
  private long connectedAtNanos;
  private boolean delivered;

  EventFeed(String name, MarathonHttp http, Duration idleTimeout, int maxEventBytes,
      IntervalFunction backoff, Duration spread, Handler handler) {
    this.name = name;
    this.http = http;
    this.idleTimeout = idleTimeout;
    this.maxEventBytes = maxEventBytes;
    this.backoff = backoff;
    this.spread = spread;
    this.handler = handler;
  }

  /** Starts the stream thread unless it runs. */
  /**
   * Starts the stream's thread unless it runs (or the feed is closed).
   *
   * @return whether a thread was started: false also while a stopped stream's thread is still
   *     on its way out, so a caller restarting the stream tries again later
   */
  synchronized boolean start() {
    if (closed || (thread != null && thread.isAlive())) {
      return false;
    }
    Thread t = DaemonThreads.newThread(this::loop, "lodestar-marathon-events-" + name);
    thread = t;
    t.start();
    return true;
  }

  /** Cuts a connected stream that has been silent (no heartbeat either) past the idle timeout. */
  void checkIdle() {
    ActivityInputStream in = current;
    if (in != null && in.nanosSinceLastByte() > idleTimeout.toNanos()) {
      LOG.log(Level.WARNING, "{0}: event stream silent for more than {1}; reconnecting", name,
          idleTimeout);
      closeQuietly(in);
    }
  }

  void close() {
    closed = true;
    Thread t;
    synchronized (this) {
      t = thread;
    }
    if (t != null) {
      t.interrupt();
    }
    InputStream in = current;
    if (in != null) {
      closeQuietly(in);
    }
  }

  private void loop() {
    int failures = 0;
    while (!closed) {
      boolean connected = false;
      try {
        connected = once();
        if (closed) {
          return;
        }
        LOG.log(Level.INFO, "{0}: event stream ended; reconnecting", name);
        handler.disconnected(new DiscoveryUnavailableException("*", "event stream ended",
            null));
      } catch (MarathonAuthenticationException e) {
        LOG.log(Level.ERROR, "{0}: event stream refused: {1}; reads continue and the stream"
            + " restarts after the next successful read", name, e.getMessage());
        handler.refused(e);
        return;
      } catch (StreamFailure e) {
        connected = e.connected;
        if (closed) {
          return;
        }
        LOG.log(Level.WARNING, "{0}: event stream failed: {1}", name, e.getCause().getMessage());
        handler.disconnected(new DiscoveryUnavailableException("*",
            "event stream failed: " + e.getCause().getMessage(), e.getCause()));
      } catch (InterruptedException e) {
        return;
      }
      long delay;
      if (connected && (delivered || System.nanoTime() - connectedAtNanos
          >= STABLE_AFTER.toNanos())) {
        // A stream that was up dropped: every client of this Marathon probably lost its stream
        // at the same moment (leader failover). Spread the reconnects.
        failures = 1;
        delay = spreadJitter();
      } else {
        // Not connected, or connected and ended at once: a failure. The spread stays as jitter
        // on top of the backoff, as a fleet behind one such proxy hits it together.
        failures++;
        delay = backoff.apply(failures) + (connected ? spreadJitter() : 0);
      }
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private long spreadJitter() {
    return ThreadLocalRandom.current().nextLong(Math.max(spread.toMillis(), 1));
  }

  /** A failure, and whether the stream had connected before it. */
  private static final class StreamFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean connected;

    StreamFailure(Exception cause, boolean connected) {
      super(cause);
      this.connected = connected;
    }
  }

  /** Connects and reads events until the stream ends; returns true once connected. */
  private boolean once() throws StreamFailure, InterruptedException {
    StringBuilder query = new StringBuilder("/v2/events?plan-format=light");
    for (String type : EVENT_TYPES) {
      query.append("&event_type=").append(type);
    }
    java.net.http.HttpResponse<InputStream> response;
    try {
      response = http.connectEventStream(query.toString(), "*", () -> closed);
    } catch (IOException e) {
      throw new StreamFailure(e, false);
    }
    try {
      read(response);
    } catch (IOException | RuntimeException e) {
      throw new StreamFailure(e, true);
    }
    return true;
  }

  private void read(java.net.http.HttpResponse<InputStream> response) throws IOException {
    InputStream body = response.body();
    ActivityInputStream activity = new ActivityInputStream(body);
    current = activity;
    connectedAtNanos = System.nanoTime();
    delivered = false;
    try {
      if (closed) {
        return;
      }
      URI at = response.uri();
      LOG.log(Level.INFO, "{0}: event stream connected to {1}://{2}", name, at.getScheme(),
          at.getRawAuthority());
      handler.connected(at);
      try (InputStream in = new BufferedInputStream(activity, 8192)) {
        SseReader reader = new SseReader(in, maxEventBytes);
        SseReader.Event e;
        while (!closed && (e = reader.next()) != null) {
          MarathonEvent ev;
          try {
            ev = MarathonEvent.decode(e.name(), e.data());
          } catch (IOException bad) {
            LOG.log(Level.WARNING, "{0}: skipping an unreadable event: {1}", name,
                bad.getMessage());
            continue;
          }
          // Marathon greets every subscriber: that one says nothing about the stream's health.
          delivered |= !ev.type().equals("event_stream_attached");
          handler.event(ev);
        }
      }
    } finally {
      current = null;
      closeQuietly(body);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException | RuntimeException ignored) {
      // Closing is best effort; the reader sees the stream end either way.
    }
  }
}
