package dev.lodestar.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstanceTest {

  @Test
  void rejectsHostsThatWouldMakeAUrlForAnotherHost() {
    // http://evil.example/x@10.0.0.1:8080/ goes to evil.example; a@b to b; and so on.
    for (String bad : List.of("evil.example/x", "user@10.0.0.1", "a?b", "a#b", "a\\b", "tab\there",
        "new\nline", "[::1]", "::1]", "del\u007f")) {
      assertThrows(IllegalArgumentException.class, () -> Instance.of("/a", bad, 80), bad);
    }
    for (String good : List.of("10.0.0.1", "::1", "fe80::1%eth0", "agent-1.mesos", "my_host",
        "xn--bcher-kva.example", "UPPER.example")) {
      assertEquals(good, Instance.of("/a", good, 80).host());
    }
  }

  @Test
  void rejectsInvalidPortsAndHosts() {
    assertThrows(IllegalArgumentException.class, () -> Instance.of("/a", "h", 0));
    assertThrows(IllegalArgumentException.class, () -> Instance.of("/a", "h", 65536));
    assertThrows(IllegalArgumentException.class, () -> Instance.of("/a", "", 80));
    assertThrows(IllegalArgumentException.class, () -> Instance.of("/a", "bad host", 80));
    assertThrows(NullPointerException.class, () -> Instance.of("/a", null, 80));
    IllegalArgumentException badNamedPort = assertThrows(IllegalArgumentException.class,
        () -> Instance.builder("/a", "t", "h", 80).namedPort("http", -1));
    assertEquals("port http must be in 1..65535, was -1", badNamedPort.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Instance.builder("/a", "t", "h", 80).namedPort("http", 65536));
    assertEquals(Map.of("http", 65535),
        Instance.builder("/a", "t", "h", 80).namedPort("http", 65535).build().namedPorts());
    assertThrows(IllegalArgumentException.class,
        () -> Instance.builder("/a", "t", "h", 80).weight(0));
  }

  @Test
  void equalityUsesIdentityFieldsOnly() {
    Instance healthy = Instance.builder("/a", "t1", "10.0.0.1", 80)
        .health(HealthStatus.HEALTHY).build();
    Instance unhealthy = healthy.withHealth(HealthStatus.UNHEALTHY);
    assertEquals(healthy, unhealthy);
    assertEquals(healthy.hashCode(), unhealthy.hashCode());
    assertFalse(healthy.sameAs(unhealthy));
    assertNotEquals(healthy, Instance.builder("/a", "t1", "10.0.0.1", 81).build());
  }

  @Test
  void addressBracketsIpv6() {
    assertEquals("10.0.0.1:80", Instance.of("/a", "10.0.0.1", 80).address());
    assertEquals("[2001:db8::1]:80", Instance.of("/a", "2001:db8::1", 80).address());
  }

  @Test
  void addressIsMadeOnceAndKept() {
    Instance instance = Instance.of("/a", "10.0.0.1", 80);
    String first = instance.address();
    assertSame(first, instance.address());
    assertTrue(instance.toString().contains("10.0.0.1:80"), instance.toString());
    assertSame(first, instance.address());
  }

  @Test
  void snapshotSortsAndComparesContent() {
    Instance a = Instance.builder("/a", "a", "h1", 1).build();
    Instance b = Instance.builder("/a", "b", "h2", 2).build();
    ServiceSnapshot s1 = ServiceSnapshot.of("/a", List.of(b, a), "test");
    ServiceSnapshot s2 = ServiceSnapshot.of("/a", List.of(a, b), "test");
    assertEquals(List.of(a, b), s1.instances());
    assertEquals(s1, s2);
    ServiceSnapshot s3 = ServiceSnapshot.of(
        "/a", List.of(a, b.withHealth(HealthStatus.UNHEALTHY)), "test");
    assertNotEquals(s1, s3);
    assertTrue(ServiceSnapshot.of("/a", List.of(), "test", Duration.ofSeconds(5)).ttl().isPresent());
  }

  @Test
  void snapshotRejectsForeignAndDuplicateInstances() {
    Instance a = Instance.builder("/a", "a", "h1", 1).build();
    Instance other = Instance.builder("/b", "x", "h1", 1).build();
    assertThrows(IllegalArgumentException.class,
        () -> ServiceSnapshot.of("/a", List.of(a, other), "test"));
    assertThrows(IllegalArgumentException.class,
        () -> ServiceSnapshot.of("/a", List.of(a, Instance.builder("/a", "a", "h2", 2).build()),
            "test"));
  }
}
