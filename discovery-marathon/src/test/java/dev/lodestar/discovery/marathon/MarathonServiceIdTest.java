package dev.lodestar.discovery.marathon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lodestar.discovery.ServiceIds;
import dev.lodestar.discovery.ServiceResolver;
import dev.lodestar.discovery.testing.FakeMarathon;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link ServiceIds} rule with the Marathon backend: a bad id never becomes a request (the
 * issue saw {@code /../x} sent as {@code GET /v2/apps/../x}).
 */
@Timeout(60)
class MarathonServiceIdTest {
  static final List<String> BAD = List.of("/../x", "/shop/checkout/../checkout", "/./x", "/a//b",
      "/a/", "/", "", "  ", "/a\nb", "/a\u0000", "/" + "x".repeat(9_999));

  private FakeMarathon marathon;
  private MarathonSource source;

  @BeforeEach
  void start() throws Exception {
    marathon = new FakeMarathon();
    source = MarathonSource.builder().url(marathon.url()).eventStream(false).build();
  }

  @AfterEach
  void stop() {
    source.close();
    marathon.close();
  }

  @Test
  void theSourceRefusesBadIdsWithoutARequest() throws Exception {
    for (String id : BAD) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> source.load(id).get(20, TimeUnit.SECONDS), id);
      assertInstanceOf(IllegalArgumentException.class, e.getCause(), id);
      assertTrue(e.getCause().getMessage().length() < 350, e.getCause().getMessage());
    }
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> source.load(null).get(20, TimeUnit.SECONDS));
    assertInstanceOf(NullPointerException.class, e.getCause());
    assertTrue(e.getCause().getMessage().startsWith("service id is null"));
    assertEquals(List.of(), marathon.requests());
  }

  @Test
  void theResolverRefusesBadIdsWithoutARequest() {
    try (ServiceResolver resolver = ServiceResolver.builder().source(source).build()) {
      for (String id : BAD) {
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> resolver.pick(id), id);
        assertTrue(e.getMessage().length() < 350, e.getMessage());
      }
      assertThrows(NullPointerException.class, () -> resolver.pick(null));
      assertEquals(List.of(), marathon.requests());
    }
  }
}
