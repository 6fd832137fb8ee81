package io.github.litestream.core;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A point-in-time view of one replicated database.
 *
 * @param name the database name
 * @param path the database file
 * @param pageSize the page size, 0 before the engine started
 * @param txid the TXID of the newest local L0 file
 * @param walSize the size of the WAL file in bytes
 * @param lastSyncAt when the newest local L0 file was written
 * @param state the engine state ({@code RUNNING}, {@code STOPPING}, ...)
 * @param lastError the message of the last sync failure, {@code null} after a success
 * @param replicas the replicas
 */
public record ReplicatorStatus(String name, Path path, int pageSize, long txid, long walSize,
		@Nullable Instant lastSyncAt, String state, @Nullable String lastError, List<ReplicaStatus> replicas) {
}
