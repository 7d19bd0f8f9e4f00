package dev.lodestar.examples;

import dev.lodestar.discovery.dns.MesosDnsSource;
import dev.lodestar.discovery.spi.ServiceSource;
import dev.lodestar.discovery.testing.MesosDnsFixtures;
import dev.lodestar.discovery.testing.MesosDnsServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Mesos-DNS cluster for the demo: for the app's running tasks it publishes the SRV records
 * Mesos-DNS publishes under {@code _<task>._tcp.marathon.slave.mesos.} (priority 0, weight 1, the
 * task's host port, a canonical target name) with each target's A record, served by
 * discovery-testing's in-process {@link MesosDnsServer} (which answers as Mesos-DNS does:
 * shuffled SRV answers, A records in the additional section, NOERROR-empty for an unknown SRV
 * name). Like Mesos-DNS it ignores health and lists running tasks only. Records carry a 1 s TTL
 * (Mesos-DNS's default is 60 s) so the demo's changes show quickly.
 *
 * <p>Thread safety: safe for concurrent use.
 */
final class EmbeddedMesosDns implements Cluster {
  private static final long TTL = 1;

  private final String srvName;
  private final String appLabel;
  private final MesosDnsServer server;
  private final Map<AppInstance, String> targets = new LinkedHashMap<>();

  /** Serves {@code appId} (a Marathon id such as {@code /demo/web}). */
  EmbeddedMesosDns(String appId) throws IOException {
    List<String> parts = new ArrayList<>(Arrays.asList(appId.substring(1).split("/")));
    Collections.reverse(parts);
    this.appLabel = String.join("-", parts); // /demo/web -> web-demo, as Mesos-DNS mangles it
    this.srvName = "_" + appLabel + "._tcp.marathon.slave.mesos.";
    this.server = MesosDnsServer.start(List.of());
  }

  @Override
  public String backend() {
    return "dns";
  }

  @Override
  public String address() {
    return nameServer() + " (" + srvName + ")";
  }

  /** {@code 127.0.0.1:port}, as {@link MesosDnsSource.Builder#nameServer(String)} takes it. */
  String nameServer() {
    return server.hostPort();
  }

  @Override
  public ServiceSource newSource() {
    return MesosDnsSource.builder().nameServer(nameServer()).build();
  }

  @Override
  public synchronized void addHealthyTask(AppInstance app) {
    // Mesos-DNS names a target <task>-<5 zbase32 chars of the task id>-<agent id suffix>.
    String hash = Integer.toString(Math.abs(app.name().hashCode() % 33_554_432), 32);
    targets.put(app, appLabel + "-" + hash + "-s" + (targets.size() + 1)
        + ".marathon.slave.mesos.");
    publish();
  }

  @Override
  public void launchTask(AppInstance app) {
    addHealthyTask(app); // listed once running; health plays no part
  }

  @Override
  public void healthCheckPassed(AppInstance app) {
    // Mesos-DNS ignores health checks.
  }

  @Override
  public String healthCheckFailed(AppInstance app) {
    // Mesos-DNS ignores health; Marathon kills the task after maxConsecutiveFailures, and the
    // task's records go at Mesos-DNS's next reload.
    taskEnded(app, "TASK_KILLED");
    return "Mesos-DNS ignores health: Marathon kills the task, its SRV record goes";
  }

  @Override
  public synchronized void taskEnded(AppInstance app, String state) {
    targets.remove(app);
    publish();
  }

  /** Replaces the served records with the current tasks' SRV and A records (holding the lock). */
  private void publish() {
    List<MesosDnsFixtures.Rr> records = new ArrayList<>();
    for (Map.Entry<AppInstance, String> t : targets.entrySet()) {
      records.add(new MesosDnsFixtures.Rr(srvName, "SRV", TTL,
          "0 1 " + t.getKey().port() + " " + t.getValue()));
      records.add(new MesosDnsFixtures.Rr(t.getValue(), "A", TTL, "127.0.0.1"));
    }
    server.records(records);
  }

  @Override
  public void close() {
    server.close();
  }
}
