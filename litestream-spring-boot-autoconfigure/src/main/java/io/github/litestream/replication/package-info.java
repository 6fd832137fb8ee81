/**
 * One database's replication: the {@link Replicator} (lifecycle and the loop that turns
 * committed WAL frames into L0 LTX files and checkpoints the WAL), the engine's own
 * SQLite connections, and {@link StartupRestore}, which decides at startup whether the
 * database is restored from a replica. The top of the engine: uses {@code core},
 * {@code replica}, {@code restore}, {@code ownership}, {@code storage}, {@code wal} and
 * {@code ltx}; the Spring side ({@code jdbc}, {@code autoconfigure}) uses it.
 */
@NullMarked
package io.github.litestream.replication;

import org.jspecify.annotations.NullMarked;
