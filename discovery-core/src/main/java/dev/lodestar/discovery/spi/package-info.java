/**
 * The backend SPI: implement {@link dev.lodestar.discovery.spi.ServiceSource} to feed a resolver
 * from a new kind of registry; push changes through {@link dev.lodestar.discovery.spi.SnapshotListener}.
 */
package dev.lodestar.discovery.spi;
