package dev.lodestar.discovery.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the README's lodestar-policy example and checks that the README shows it verbatim. */
@Timeout(120)
class LodestarPolicyExampleTest {

  @Test
  void theReadmeExampleReachesTheApp() throws Exception {
    try (LoopbackMarathon marathon = new LoopbackMarathon();
        EchoServer server = new EchoServer("checkout")) {
      marathon.setTasks("/shop/checkout", List.of(server.port()));
      LodestarPolicyExample.Built built = LodestarPolicyExample.build(marathon.url());
      ManagedChannel channel = built.channel();
      try {
        String answer = ClientCalls.blockingUnaryCall(channel, EchoServer.WHO,
            CallOptions.DEFAULT.withWaitForReady().withDeadlineAfter(60, TimeUnit.SECONDS), "hi");
        assertEquals("checkout", answer);
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        built.resolver().close();
      }
    }
  }

  @Test
  void theReadmeShowsTheExampleVerbatim() throws Exception {
    Path root = Path.of(System.getProperty("lodestar.testdata")).getParent();
    String source = Files.readString(root.resolve(
        "discovery-grpc/src/test/java/dev/lodestar/discovery/grpc/LodestarPolicyExample.java"));
    String example = source.substring(
        source.indexOf("// README example start\n") + "// README example start\n".length(),
        source.indexOf("// README example end"));
    String readme = Files.readString(root.resolve("README.md"));
    assertTrue(readme.contains(example.stripIndent()),
        "README.md's gRPC section must show LodestarPolicyExample verbatim:\n" + example.stripIndent());
  }
}
