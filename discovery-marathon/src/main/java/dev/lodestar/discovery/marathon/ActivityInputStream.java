package dev.lodestar.discovery.marathon;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An event-stream body that records when bytes (heartbeats included) last arrived, so that an
 * idle check can tell a silent stream from a quiet one.
 *
 * <p>Thread safety: one reading thread; {@link #nanosSinceLastByte()} may be called from any.
 */
final class ActivityInputStream extends FilterInputStream {
  private volatile long lastByteNanos = System.nanoTime();

  ActivityInputStream(InputStream in) {
    super(in);
  }

  /** Nanoseconds since bytes last arrived (or since this stream was created). */
  long nanosSinceLastByte() {
    return System.nanoTime() - lastByteNanos;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    lastByteNanos = System.nanoTime();
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    lastByteNanos = System.nanoTime();
    return n;
  }
}
