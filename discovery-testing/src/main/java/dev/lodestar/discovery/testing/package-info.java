/**
 * Test fakes shared by every Lodestar module, for tests, benchmarks and examples only (depend on
 * this module in test scope): {@link dev.lodestar.discovery.testing.FakeMarathon} (Marathon's REST
 * API and {@code /v2/events} on loopback, with fault switches), {@link
 * dev.lodestar.discovery.testing.MesosDnsServer} (an in-process DNS server that answers as
 * Mesos-DNS does) with {@link dev.lodestar.discovery.testing.MesosDnsFixtures} (the records of the
 * fixtures in {@code testdata/mesos-dns}), and {@link
 * dev.lodestar.discovery.testing.ServiceSourceContract} (the tests every {@code ServiceSource}
 * implementation extends). Every server binds to 127.0.0.1 only.
 */
package dev.lodestar.discovery.testing;
