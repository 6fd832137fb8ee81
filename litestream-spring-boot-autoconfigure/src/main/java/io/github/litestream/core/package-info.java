/**
 * The engine's shared vocabulary: a database's and a replica's configuration
 * ({@link ReplicatorConfig}, {@link ReplicaConfig}), the named defaults
 * ({@link ReplicationDefaults}), the {@link ReplicationListener} SPI with its result
 * records, the status records, and the small helpers every engine package uses. Uses
 * {@code ownership}, {@code storage} and {@code ltx} only; the engine's other packages
 * ({@code restore}, {@code replica}, {@code replication}) build on it.
 */
@NullMarked
package io.github.litestream.core;

import org.jspecify.annotations.NullMarked;
