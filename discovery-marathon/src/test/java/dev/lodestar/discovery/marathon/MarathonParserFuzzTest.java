package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lodestar.discovery.Instance;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * Jazzer fuzz test of the Marathon JSON parser ({@link MarathonParser}) and of the mapping of what
 * it returns to instances ({@link InstanceMapper}).
 *
 * <p>Without {@code JAZZER_FUZZ} only the seed corpus in {@code
 * src/test/resources/dev/lodestar/discovery/marathon/MarathonParserFuzzTestInputs/} runs: the
 * Marathon and marathon-lb JSON fixtures in testdata/, copied byte for byte. {@code docs/fuzzing.md} has
 * the command for a long run.
 *
 * <p>What no input may break: the parser returns a document or throws {@link IOException} (its
 * documented failure for a document that is not well-formed JSON), the same way from bytes and
 * from a stream; the mapper turns any parsed app into instances with a valid host and port, or
 * skips the task, and never throws.
 */
class MarathonParserFuzzTest {
  private static final InstanceMapper BY_INDEX =
      new InstanceMapper(MarathonHealthPolicy.ofDefaults(), 0, null, 0);
  private static final InstanceMapper BY_NAME =
      new InstanceMapper(MarathonHealthPolicy.marathonLb(), 0, "http", 0);

  @FuzzTest(maxDuration = "2m")
  void parsesOrFailsWithIoException(byte[] input) {
    MarathonParser.Document fromBytes;
    try {
      fromBytes = MarathonParser.parse(input);
    } catch (IOException documented) {
      // The stream entry point must refuse the same document.
      try {
        MarathonParser.parse(new ByteArrayInputStream(input));
      } catch (IOException alsoRefused) {
        return;
      }
      throw new AssertionError("bytes refused (" + documented + ") but the stream accepted");
    }
    MarathonParser.Document fromStream;
    try {
      fromStream = MarathonParser.parse(new ByteArrayInputStream(input));
    } catch (IOException e) {
      throw new AssertionError("bytes accepted but the stream refused: " + e, e);
    }
    assertEquals(fromBytes.apps().size(), fromStream.apps().size());
    assertNotNull(fromBytes.looseTasks());
    for (MarathonApp app : fromBytes.apps()) {
      assertNotNull(app, "app");
      map(BY_INDEX, app);
      map(BY_NAME, app);
    }
  }

  private static void map(InstanceMapper mapper, MarathonApp app) {
    int slot;
    try {
      slot = mapper.slotOf(app);
    } catch (InstanceMapper.NoSuchPortException documented) {
      return; // the source reports it as DiscoveryUnavailableException
    }
    String serviceId = app.id() == null || app.id().isBlank() ? "/fuzz" : app.id();
    List<Instance> out = mapper.map(serviceId, app, slot, new HashSet<>(), new ArrayList<>());
    for (Instance instance : out) {
      assertTrue(instance.port() >= 1 && instance.port() <= 65535, instance::toString);
      assertTrue(!instance.host().isBlank(), instance::toString);
    }
  }
}
