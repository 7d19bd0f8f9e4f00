package dev.lodestar.discovery.testing;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.source.StaticSource;
import dev.lodestar.discovery.spi.ServiceSource;

/** {@link StaticSource} passes the source contract. */
class StaticSourceContractTest extends ServiceSourceContract {
  @Override
  protected ServiceSource newSource() {
    return StaticSource.create().set("/prod/web", Instance.of("/prod/web", "127.0.0.1", 8080),
        Instance.of("/prod/web", "127.0.0.2", 8080));
  }

  @Override
  protected String knownServiceId() {
    return "/prod/web";
  }
}
