package dev.lodestar.discovery.http;

import dev.lodestar.discovery.internal.Futures;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The caller's {@link HttpResponse.BodyHandler} for one attempt, recording whether the caller's
 * own code failed: the handler or its subscriber threw, or the subscriber's body failed with
 * something the transport did not deliver to it. The JDK client wraps such an exception in an
 * {@code IOException}, which would otherwise look like a broken connection: a client-side
 * parsing bug would be retried on another instance and charged to both.
 *
 * <p>Thread safety: one instance per attempt; the JDK client's threads write {@link
 * #callerFailure} (volatile), the sending thread reads it after the attempt failed. The first
 * failure recorded stays.
 */
final class GuardedBodyHandler<T> implements HttpResponse.BodyHandler<T> {
  private final HttpResponse.BodyHandler<T> handler;
  private volatile Throwable callerFailure;

  GuardedBodyHandler(HttpResponse.BodyHandler<T> handler) {
    this.handler = handler;
  }

  /** What the caller's handler or subscriber failed with in this attempt, or null. */
  Throwable callerFailure() {
    return callerFailure;
  }

  private void record(Throwable t) {
    if (callerFailure == null) {
      callerFailure = t;
    }
  }

  @Override
  public HttpResponse.BodySubscriber<T> apply(HttpResponse.ResponseInfo info) {
    HttpResponse.BodySubscriber<T> subscriber;
    try {
      subscriber = handler.apply(info);
    } catch (RuntimeException | Error e) {
      record(e);
      throw e;
    }
    return subscriber == null ? null : new Subscriber(subscriber);
  }

  /** Forwards to the caller's subscriber, recording what it throws. */
  private final class Subscriber implements HttpResponse.BodySubscriber<T> {
    private final HttpResponse.BodySubscriber<T> subscriber;
    /** What the JDK client delivered through {@link #onError}: the transport's failure. */
    private volatile Throwable transportFailure;

    Subscriber(HttpResponse.BodySubscriber<T> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public CompletionStage<T> getBody() {
      CompletionStage<T> body;
      try {
        body = subscriber.getBody();
      } catch (RuntimeException | Error e) {
        record(e);
        throw e;
      }
      // Recorded before the client sees the failure: it waits on the stage returned here.
      return body.whenComplete((value, error) -> {
        if (error != null && !causedBy(error, transportFailure)) {
          record(Futures.unwrap(error)); // a mapping function, say: the caller's
        }
      });
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      try {
        subscriber.onSubscribe(subscription);
      } catch (RuntimeException | Error e) {
        record(e);
        throw e;
      }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      try {
        subscriber.onNext(item);
      } catch (RuntimeException | Error e) {
        record(e);
        throw e;
      }
    }

    @Override
    public void onError(Throwable throwable) {
      transportFailure = throwable;
      try {
        subscriber.onError(throwable);
      } catch (RuntimeException | Error e) {
        record(e);
        throw e;
      }
    }

    @Override
    public void onComplete() {
      try {
        subscriber.onComplete();
      } catch (RuntimeException | Error e) {
        record(e);
        throw e;
      }
    }
  }

  private static boolean causedBy(Throwable error, Throwable cause) {
    if (cause == null) {
      return false;
    }
    Throwable t = error;
    for (int depth = 0; t != null && depth < 32; depth++) { // bounded: causes may form a cycle
      if (t == cause) {
        return true;
      }
      t = t.getCause();
    }
    return false;
  }
}
