/**
 * Mesos-DNS backends for Lodestar: {@link dev.lodestar.discovery.dns.MesosDnsSource} asks DNS SRV
 * records (dnsjava, UDP with TCP on truncation, name-server failover) under the names Mesos-DNS
 * gives Marathon apps, and {@link dev.lodestar.discovery.dns.MesosDnsHttpSource} reads the same
 * records from Mesos-DNS's HTTP API. Everything else in this package (name mangling, transport) is
 * package-private. Nothing public returns null.
 */
package dev.lodestar.discovery.dns;
