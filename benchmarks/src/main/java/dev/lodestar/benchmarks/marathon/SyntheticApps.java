package dev.lodestar.benchmarks.marathon;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Builds a synthetic {@code GET /v2/apps?embed=apps.tasks} body shaped like Marathon 1.5+: every
 * app has labels, a container, a health check, an upgrade strategy and the other fields Marathon
 * returns (which the parser must skip), and every task has ids, host, ports, state, IP addresses,
 * one health-check result and timestamps. A third of the apps use host networking, a third
 * Docker bridge, a third IP per task.
 */
public final class SyntheticApps {
  private SyntheticApps() {}

  /** The id of app number {@code a} in {@link #appsWithTasks}. */
  public static String appId(int a) {
    return "/team-" + (a % 50) + "/service-" + a;
  }

  /** The JSON bytes of {@code apps} apps with {@code tasksPerApp} tasks each. */
  public static byte[] appsWithTasks(int apps, int tasksPerApp, long seed) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder(apps * tasksPerApp * 900);
    sb.append("{\"apps\":[");
    for (int a = 0; a < apps; a++) {
      if (a > 0) {
        sb.append(',');
      }
      String id = appId(a);
      String safe = id.substring(1).replace('/', '_');
      int mode = a % 3;
      sb.append("{\"id\":\"").append(id).append("\",")
          .append("\"cmd\":\"./run --port $PORT0 --flag value\",\"args\":null,\"user\":null,")
          .append("\"env\":{\"JAVA_OPTS\":\"-Xmx512m\",\"ENV\":\"prod\"},")
          .append("\"instances\":").append(tasksPerApp).append(',')
          .append("\"cpus\":0.5,\"mem\":512,\"disk\":0,\"gpus\":0,\"executor\":\"\",")
          .append("\"constraints\":[[\"hostname\",\"UNIQUE\"]],\"uris\":[],\"fetch\":[],")
          .append("\"storeUrls\":[],\"backoffSeconds\":1,\"backoffFactor\":1.15,")
          .append("\"maxLaunchDelaySeconds\":3600,")
          .append("\"labels\":{\"HAPROXY_GROUP\":\"external\",\"owner\":\"team-")
          .append(a % 50).append("\"},");
      if (mode == 0) {
        sb.append("\"container\":null,\"networks\":[{\"mode\":\"host\"}],")
            .append("\"portDefinitions\":[{\"port\":").append(10000 + a)
            .append(",\"protocol\":\"tcp\",\"name\":\"http\",\"labels\":{}}],");
      } else if (mode == 1) {
        sb.append("\"container\":{\"type\":\"DOCKER\",\"volumes\":[],\"docker\":{\"image\":")
            .append("\"registry/service:1.2.3\",\"forcePullImage\":false,\"privileged\":false,")
            .append("\"parameters\":[]},\"portMappings\":[{\"containerPort\":8080,\"hostPort\":0,")
            .append("\"servicePort\":").append(10000 + a)
            .append(",\"protocol\":\"tcp\",\"name\":\"http\",\"labels\":{}}]},")
            .append("\"networks\":[{\"mode\":\"container/bridge\"}],");
      } else {
        sb.append("\"container\":{\"type\":\"MESOS\",\"volumes\":[],\"portMappings\":[")
            .append("{\"containerPort\":8080,\"protocol\":\"tcp\",\"name\":\"http\",")
            .append("\"labels\":{}}]},\"networks\":[{\"name\":\"dcos\",\"mode\":\"container\"}],");
      }
      sb.append("\"healthChecks\":[{\"gracePeriodSeconds\":300,\"intervalSeconds\":60,")
          .append("\"maxConsecutiveFailures\":3,\"path\":\"/health\",\"portIndex\":0,")
          .append("\"protocol\":\"MESOS_HTTP\",\"timeoutSeconds\":20,\"delaySeconds\":15}],")
          .append("\"readinessChecks\":[],\"dependencies\":[],")
          .append("\"upgradeStrategy\":{\"minimumHealthCapacity\":1,\"maximumOverCapacity\":1},")
          .append("\"unreachableStrategy\":{\"inactiveAfterSeconds\":300,")
          .append("\"expungeAfterSeconds\":600},\"killSelection\":\"YOUNGEST_FIRST\",")
          .append("\"requirePorts\":false,\"version\":\"2017-07-14T15:13:34.402Z\",")
          .append("\"versionInfo\":{\"lastScalingAt\":\"2017-07-14T15:13:34.402Z\",")
          .append("\"lastConfigChangeAt\":\"2017-07-14T15:13:34.402Z\"},")
          .append("\"tasksStaged\":0,\"tasksRunning\":").append(tasksPerApp)
          .append(",\"tasksHealthy\":").append(tasksPerApp)
          .append(",\"tasksUnhealthy\":0,\"deployments\":[],\"tasks\":[");
      for (int t = 0; t < tasksPerApp; t++) {
        if (t > 0) {
          sb.append(',');
        }
        String uuid = new java.util.UUID(r.nextLong(), r.nextLong()).toString();
        int agent = r.nextInt(2000);
        sb.append("{\"ipAddresses\":[{\"ipAddress\":\"172.").append(16 + agent % 16).append('.')
            .append(agent % 256).append('.').append(2 + t)
            .append("\",\"protocol\":\"IPv4\"}],")
            .append("\"stagedAt\":\"2017-07-14T15:13:35.804Z\",\"state\":\"TASK_RUNNING\",")
            .append("\"ports\":[").append(mode == 2 ? "" : String.valueOf(31000 + r.nextInt(1000)))
            .append("],\"startedAt\":\"2017-07-14T15:13:58.326Z\",")
            .append("\"version\":\"2017-07-14T15:13:34.402Z\",")
            .append("\"id\":\"").append(safe).append(".instance-").append(uuid)
            .append("._app.1\",\"appId\":\"").append(id).append("\",")
            .append("\"slaveId\":\"c28a2184-c702-482c-91c8-5af9318434d4-S").append(agent)
            .append("\",\"host\":\"10.0.").append(agent / 256).append('.').append(agent % 256)
            .append("\",\"healthCheckResults\":[{\"alive\":true,\"consecutiveFailures\":0,")
            .append("\"firstSuccess\":\"2017-07-14T15:14:18.395Z\",\"lastFailure\":null,")
            .append("\"lastSuccess\":\"2017-07-14T15:14:18.395Z\",\"lastFailureCause\":null,")
            .append("\"instanceId\":\"").append(safe).append(".marathon-").append(uuid)
            .append("\"}],\"region\":\"eu-west\",\"zone\":\"eu-west-1a\",\"role\":\"*\"}");
      }
      sb.append("]}");
    }
    sb.append("]}");
    ByteArrayOutputStream out = new ByteArrayOutputStream(sb.length());
    out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }
}
