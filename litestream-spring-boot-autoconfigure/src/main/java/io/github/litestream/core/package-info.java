/**
 * The replication engine: one Replicator per database, checkpoints, restore and the
 * listener SPI.
 */
@NullMarked
package io.github.litestream.core;

import org.jspecify.annotations.NullMarked;
