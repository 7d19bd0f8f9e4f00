package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The service-id rule: {@link ServiceIds} itself, and the resolver applying it before a load. */
@Timeout(30)
class ServiceIdsTest {
  private static final String LONG = "/" + "x".repeat(9_999);
  private final ScriptedSource source = new ScriptedSource();
  private ServiceResolver resolver;

  @AfterEach
  void close() {
    if (resolver != null) {
      resolver.close();
    }
  }

  @Test
  void acceptsEveryBackendsForms() {
    for (String id : List.of("/shop/checkout", "shop/checkout", "/my-app", "my-app",
        "port:10000", "_web._tcp.marathon.mesos.", "/a.b/c_d", "/" + "y".repeat(252))) {
      assertSame(id, ServiceIds.check(id), id);
    }
  }

  @Test
  void rejectsDotSegmentsEmptySegmentsAndTrailingSlashes() {
    for (String id : List.of("/../x", "/shop/checkout/../checkout", "/./x", "/a/.", "..",
        "/a//b", "//a", "/", "/a/", "a/")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ServiceIds.check(id), id);
      assertTrue(e.getMessage().contains("segment"), e.getMessage());
      assertTrue(e.getMessage().endsWith("'" + id + "'"), e.getMessage());
    }
  }

  @Test
  void rejectsControlCharactersAndQuotesThemEscaped() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServiceIds.check("/a\nb"));
    assertEquals("service id has a control character (U+000A at index 2): '/a\\nb'",
        e.getMessage());
    for (String id : List.of("/a\u0000", "/\tx", "/x\u007f", "/x\u0085")) {
      assertThrows(IllegalArgumentException.class, () -> ServiceIds.check(id), id);
    }
  }

  @Test
  void rejectsBlankAndNull() {
    assertThrows(IllegalArgumentException.class, () -> ServiceIds.check(""));
    assertThrows(IllegalArgumentException.class, () -> ServiceIds.check("   "));
    NullPointerException e = assertThrows(NullPointerException.class,
        () -> ServiceIds.check(null));
    assertTrue(e.getMessage().startsWith("service id is null"), e.getMessage());
  }

  @Test
  void rejectsOverLengthIdsAndQuotesAtMost200Characters() {
    assertThrows(IllegalArgumentException.class,
        () -> ServiceIds.check("/" + "y".repeat(ServiceIds.MAX_LENGTH)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ServiceIds.check(LONG));
    assertTrue(e.getMessage().length() < 300, e.getMessage());
    assertTrue(e.getMessage().contains("10000 characters"), e.getMessage());
    assertEquals(ServiceIds.QUOTE_LENGTH + "... (10000 characters)".length(),
        ServiceIds.quote(LONG).length());
    // Exceptions built with any id quote it the same way.
    String message = new UnknownServiceException(LONG, "gone").getMessage();
    assertTrue(message.length() < 300, message);
    assertEquals(LONG, new UnknownServiceException(LONG, "gone").serviceId());
  }

  @Test
  void theNoInstanceErrorOfAPickQuotesALongIdLikeEveryOtherMessage() {
    String longest = "/" + "z".repeat(ServiceIds.MAX_LENGTH - 1); // valid: 253 characters
    source.answer(longest, List.of());
    resolver = ServiceResolver.builder().source(source).build();
    NoInstanceAvailableException e =
        assertThrows(NoInstanceAvailableException.class, () -> resolver.pick(longest));
    assertTrue(e.getMessage().contains(ServiceIds.quote(longest)), e.getMessage());
    assertFalse(e.getMessage().contains(longest), "quotes at most 200 characters of the id");
    assertEquals(longest, e.serviceId());
  }

  @Test
  void theResolverChecksBeforeAnyLoad() {
    resolver = ServiceResolver.builder().source(source).build();
    for (String id : List.of("/../x", "/shop/checkout/../checkout", "/a//b", "/a\nb", LONG,
        "", " ")) {
      assertThrows(IllegalArgumentException.class, () -> resolver.pick(id), id);
      assertThrows(IllegalArgumentException.class, () -> resolver.select(id), id);
      assertThrows(IllegalArgumentException.class, () -> resolver.call(id, i -> i), id);
      assertThrows(IllegalArgumentException.class, () -> resolver.instances(id), id);
      assertThrows(IllegalArgumentException.class, () -> resolver.status(id), id);
    }
    NullPointerException e = assertThrows(NullPointerException.class, () -> resolver.pick(null));
    assertTrue(e.getMessage().startsWith("service id is null"), e.getMessage());
    assertThrows(NullPointerException.class, () -> resolver.status(null));
    assertEquals(0, source.loads.get(), "no load may reach the source");
    assertFalse(resolver.cachedServices().iterator().hasNext());
  }
}
