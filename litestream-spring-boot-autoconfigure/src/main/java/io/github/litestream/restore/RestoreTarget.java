package io.github.litestream.restore;

import java.time.Instant;

import io.github.litestream.ltx.LtxFileName;
import org.jspecify.annotations.Nullable;

/**
 * What a restore aims for: the latest state, the state at a point in time, or the state
 * right after one TXID.
 *
 * @param timestamp restore every file stamped at or before this time, or {@code null}
 * @param txid restore exactly up to this TXID, or {@code null}
 */
public record RestoreTarget(@Nullable Instant timestamp, @Nullable Long txid) {

	private static final RestoreTarget LATEST = new RestoreTarget(null, null);

	/**
	 * Validates that at most one target is set.
	 * @param timestamp the time target
	 * @param txid the TXID target
	 */
	public RestoreTarget {
		if (timestamp != null && txid != null) {
			throw new IllegalArgumentException("A restore targets either a timestamp or a TXID, not both");
		}
		if (txid != null && txid == 0) {
			throw new IllegalArgumentException("TXID 0 does not exist; TXIDs start at 1");
		}
	}

	/**
	 * Targets the newest state the replica holds.
	 * @return the target
	 */
	public static RestoreTarget latest() {
		return LATEST;
	}

	/**
	 * Targets the state at a point in time.
	 * @param timestamp the point in time
	 * @return the target
	 */
	public static RestoreTarget at(Instant timestamp) {
		return new RestoreTarget(timestamp, null);
	}

	/**
	 * Targets the state right after a TXID.
	 * @param txid the TXID
	 * @return the target
	 */
	public static RestoreTarget txid(long txid) {
		return new RestoreTarget(null, txid);
	}

	/**
	 * Returns whether this is the latest state.
	 * @return whether neither a timestamp nor a TXID is set
	 */
	public boolean isLatest() {
		return this.timestamp == null && this.txid == null;
	}

	@Override
	public String toString() {
		if (this.timestamp != null) {
			return "timestamp " + this.timestamp;
		}
		if (this.txid != null) {
			return "TXID " + LtxFileName.formatTxid(this.txid);
		}
		return "latest";
	}

}
