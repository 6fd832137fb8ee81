package io.github.litestream.core;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A point-in-time view of one replica of a database.
 *
 * @param name the replica name
 * @param location where the replica is (never with credentials)
 * @param txid the highest TXID the replica holds, -1 while unknown
 * @param lagSeconds seconds since the oldest commit the replica does not hold yet, 0 when
 * caught up
 * @param lastSyncAt when the last upload finished
 * @param lastError the message of the last failure, {@code null} after a success
 */
public record ReplicaStatus(String name, String location, long txid, double lagSeconds, @Nullable Instant lastSyncAt,
		@Nullable String lastError) {
}
