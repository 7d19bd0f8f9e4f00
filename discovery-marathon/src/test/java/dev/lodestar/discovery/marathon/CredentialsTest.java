package dev.lodestar.discovery.marathon;

import static dev.lodestar.discovery.marathon.RecordingListener.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.testing.FakeMarathon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;

/** Secrets never reach logs (at every level), exceptions, names or {@code toString()}. */
class CredentialsTest {
  private static final String PASSWORD = "pa55-very-secret";
  private static final String TOKEN = "eyJ0b2tlbi1zZWNyZXQ";

  @Test
  void noSecretInLogsExceptionsOrNames() throws Exception {
    Logger jul = Logger.getLogger(MarathonSource.class.getName());
    List<String> lines = new ArrayList<>();
    SimpleFormatter format = new SimpleFormatter();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        synchronized (lines) {
          lines.add(format.format(r));
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Level old = jul.getLevel();
    jul.setLevel(Level.ALL);
    jul.addHandler(capture);
    List<Throwable> errors = new ArrayList<>();
    try (FakeMarathon m = new FakeMarathon()) {
      m.eventStatus(401);
      m.answer("/v2/apps/x?embed=app.tasks", 403, new byte[0]);
      for (MarathonSource.Builder b : List.of(
          MarathonSource.builder().basicAuth("admin", PASSWORD),
          MarathonSource.builder().dcosToken(TOKEN),
          MarathonSource.builder().dcosToken(() -> TOKEN))) {
        assertFalse(b.toString().contains(PASSWORD) || b.toString().contains(TOKEN));
        RecordingListener listener = new RecordingListener();
        try (MarathonSource source = b.url(m.url()).url("http://127.0.0.1:1")
            .pollInterval(Duration.ofMillis(50))
            .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(20)).build()) {
          source.start(listener);
          CompletableFuture<?> f = source.load("/x");
          try {
            f.get();
          } catch (java.util.concurrent.ExecutionException e) {
            errors.add(e.getCause());
          }
          await("auth error pushed", () -> listener.errors.stream()
              .anyMatch(e -> e instanceof MarathonAuthenticationException));
          errors.addAll(listener.errors);
          for (String text : List.of(source.name(), source.toString())) {
            assertFalse(text.contains(PASSWORD) || text.contains(TOKEN), text);
          }
        }
      }
    } finally {
      jul.removeHandler(capture);
      jul.setLevel(old);
    }
    assertFalse(errors.isEmpty());
    assertTrue(errors.stream().anyMatch(e -> e instanceof MarathonAuthenticationException));
    for (Throwable e : errors) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        String text = String.valueOf(t);
        assertFalse(text.contains(PASSWORD) || text.contains(TOKEN), text);
      }
    }
    assertFalse(lines.isEmpty(), "the source logged something");
    for (String line : lines) {
      assertFalse(line.contains(PASSWORD) || line.contains(TOKEN), line);
      assertFalse(line.contains("YWRtaW46"), "base64 of the basic credentials: " + line);
    }
  }
}
