package io.github.litestream.core;

import java.time.Instant;

import io.github.litestream.ownership.LeaseStatus;
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
 * @param lease the replica's lease as this engine sees it
 * @param attachment whether the engine continues the replica's history (DESIGN 4.12):
 * {@code READING} while its position is not known yet, {@code ATTACHED} once proven,
 * {@code NEW_HISTORY} while a full snapshot above its position is pending, and
 * {@code REFUSED} while it is ahead in a history the database does not continue
 */
public record ReplicaStatus(String name, String location, long txid, double lagSeconds, @Nullable Instant lastSyncAt,
		@Nullable String lastError, LeaseStatus lease, String attachment) {

	/**
	 * Creates a status with an attachment state of {@code ATTACHED} when the position is
	 * known, {@code READING} otherwise.
	 * @param name the replica name
	 * @param location where the replica is
	 * @param txid the highest TXID the replica holds, -1 while unknown
	 * @param lagSeconds seconds since the oldest commit the replica does not hold yet
	 * @param lastSyncAt when the last upload finished
	 * @param lastError the message of the last failure
	 * @param lease the replica's lease as this engine sees it
	 */
	public ReplicaStatus(String name, String location, long txid, double lagSeconds, @Nullable Instant lastSyncAt,
			@Nullable String lastError, LeaseStatus lease) {
		this(name, location, txid, lagSeconds, lastSyncAt, lastError, lease, (txid >= 0) ? "ATTACHED" : "READING");
	}

	/**
	 * Creates a status without a lease ({@link LeaseStatus#DISABLED}).
	 * @param name the replica name
	 * @param location where the replica is
	 * @param txid the highest TXID the replica holds, -1 while unknown
	 * @param lagSeconds seconds since the oldest commit the replica does not hold yet
	 * @param lastSyncAt when the last upload finished
	 * @param lastError the message of the last failure
	 */
	public ReplicaStatus(String name, String location, long txid, double lagSeconds, @Nullable Instant lastSyncAt,
			@Nullable String lastError) {
		this(name, location, txid, lagSeconds, lastSyncAt, lastError, LeaseStatus.DISABLED);
	}

	/**
	 * Whether the engine writes this replica: its lease is held or disabled.
	 * @return {@code false} while waiting for the lease, fenced or in conflict
	 */
	public boolean writable() {
		return this.lease.held() && "HELD".equals(this.lease.state()) || "DISABLED".equals(this.lease.state());
	}

}
