package dev.lodestar.benchmarks.dns;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Starts discovery-dns's in-process test server ({@code TestDnsServer}, Mesos-DNS behaviour
 * including the 512-byte UDP cut) serving the fixtures in testdata/: {@code mesos-dns-axfr.json} plus the
 * 40-task state. The server lives in discovery-dns's test-jar, which must be on the benchmark's
 * class path; it is reached reflectively so that this module compiles without it.
 *
 * <p>Thread safety: not thread-safe; JMH calls it from one setup thread.
 */
final class InProcessDnsServer implements AutoCloseable {
  private static final String SERVER = "dev.lodestar.discovery.dns.TestDnsServer";
  private static final String FIXTURES = "dev.lodestar.discovery.dns.MesosDnsFixtures";

  private final Object server;
  private final String hostPort;

  private InProcessDnsServer(Object server, String hostPort) {
    this.server = server;
    this.hostPort = hostPort;
  }

  /** Starts the server on 127.0.0.1 and a free port. */
  static InProcessDnsServer start() throws Exception {
    Class<?> fixtures;
    Class<?> serverClass;
    try {
      fixtures = Class.forName(FIXTURES);
      serverClass = Class.forName(SERVER);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("discovery-dns's test-jar is not on the class path: add"
          + " dev.lodestar:discovery-dns:test-jar to benchmarks/pom.xml", e);
    }
    Method fixture = fixtures.getMethod("fixture", String.class);
    Method axfr = fixtures.getMethod("axfrRecords", Path.class);
    Method state = fixtures.getMethod("stateRecords", Path.class);
    List<Object> records = new ArrayList<>();
    records.addAll((Collection<?>) axfr.invoke(null, fixture.invoke(null, "mesos-dns-axfr.json")));
    records.addAll((Collection<?>) state.invoke(null,
        fixture.invoke(null, "state-marathon-40-web-prod-tasks.json")));
    Object server = serverClass.getMethod("start", Collection.class).invoke(null, records);
    String hostPort = (String) serverClass.getMethod("hostPort").invoke(server);
    return new InProcessDnsServer(server, hostPort);
  }

  /** {@code 127.0.0.1:port}. */
  String hostPort() {
    return hostPort;
  }

  @Override
  public void close() throws Exception {
    server.getClass().getMethod("close").invoke(server);
  }
}
