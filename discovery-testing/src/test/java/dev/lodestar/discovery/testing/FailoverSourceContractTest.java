package dev.lodestar.discovery.testing;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.ServiceSnapshot;
import dev.lodestar.discovery.source.FailoverSource;
import dev.lodestar.discovery.source.StaticSource;
import dev.lodestar.discovery.spi.ServiceSource;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * {@link FailoverSource} passes the source contract: a primary that is down (every load fails with
 * an I/O error) and a static fallback that knows the service.
 */
class FailoverSourceContractTest extends ServiceSourceContract {
  /** A source whose backend is down. */
  private static final class DownSource implements ServiceSource {
    @Override
    public String name() {
      return "down";
    }

    @Override
    public CompletableFuture<ServiceSnapshot> load(String serviceId) {
      return CompletableFuture.failedFuture(new IOException("connection refused"));
    }
  }

  @Override
  protected ServiceSource newSource() {
    return FailoverSource.of(new DownSource(), StaticSource.named("fallback")
        .set("/prod/web", Instance.of("/prod/web", "127.0.0.1", 8080)));
  }

  @Override
  protected ServiceSource newUnreachableSource() {
    return FailoverSource.of(new DownSource(), new DownSource());
  }

  @Override
  protected String knownServiceId() {
    return "/prod/web";
  }
}
