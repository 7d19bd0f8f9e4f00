package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.spi.SnapshotListener;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/** Records what a source pushes; fails the test if two calls ever overlap. */
final class RecordingListener implements SnapshotListener {
  final BlockingQueue<ServiceSnapshot> snapshots = new LinkedBlockingQueue<>();
  final BlockingQueue<String> removed = new LinkedBlockingQueue<>();
  final List<Throwable> errors = new CopyOnWriteArrayList<>();
  private final AtomicBoolean inCall = new AtomicBoolean();
  volatile boolean overlapped;

  private void enter() {
    if (!inCall.compareAndSet(false, true)) {
      overlapped = true;
    }
  }

  private void exit() {
    inCall.set(false);
  }

  @Override
  public void onSnapshot(ServiceSnapshot snapshot) {
    enter();
    snapshots.add(snapshot);
    exit();
  }

  @Override
  public void onRemoved(String serviceId) {
    enter();
    removed.add(serviceId);
    exit();
  }

  @Override
  public void onError(String serviceId, Throwable error) {
    enter();
    errors.add(error);
    exit();
  }

  /** Waits for a pushed snapshot that matches, dropping the ones before it. */
  ServiceSnapshot awaitSnapshot(Predicate<ServiceSnapshot> p) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      ServiceSnapshot s = snapshots.poll(50, TimeUnit.MILLISECONDS);
      if (s != null && p.test(s)) {
        return s;
      }
    }
    throw new AssertionError("no matching snapshot pushed within 30 s");
  }

  String awaitRemoved() throws InterruptedException {
    String id = removed.poll(30, TimeUnit.SECONDS);
    assertNotNull(id, "no removal pushed within 30 s");
    return id;
  }

  /** Polls a condition every 10 ms, for up to 30 s. */
  static void await(String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
