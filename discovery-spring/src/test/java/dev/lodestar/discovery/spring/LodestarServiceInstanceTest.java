package dev.lodestar.discovery.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lodestar.discovery.Instance;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The Spring view of an instance: its URI for IPv4 and IPv6 hosts. */
class LodestarServiceInstanceTest {

  @Test
  void theUriOfAnIpv4InstanceNamesItsHostAndPort() {
    URI uri = new LodestarServiceInstance("checkout.shop",
        Instance.of("/shop/checkout", "10.0.0.7", 31000), null, false).getUri();
    assertEquals(URI.create("http://10.0.0.7:31000"), uri);
  }

  @Test
  void theUriOfAnIpv6InstanceBracketsTheAddress() {
    // The Mesos-DNS source gives an agent's AAAA address when it has no A record.
    URI uri = new LodestarServiceInstance("checkout.shop",
        Instance.of("/shop/checkout", "fd00:0:0:0:0:0:0:7", 31000), null, false).getUri();
    assertEquals("[fd00:0:0:0:0:0:0:7]", uri.getHost());
    assertEquals(31000, uri.getPort());
    assertEquals(URI.create("http://[fd00:0:0:0:0:0:0:7]:31000"), uri);
  }
}
