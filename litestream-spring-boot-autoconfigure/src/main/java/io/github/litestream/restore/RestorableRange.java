package io.github.litestream.restore;

import java.time.Instant;
import java.util.List;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;

/**
 * The range a replica can restore: from its oldest snapshot to its newest file.
 *
 * @param earliestTimestamp when the oldest snapshot (a file starting at TXID 1) was
 * written
 * @param earliestTxid the TXID that snapshot reaches
 * @param latestTimestamp when the newest file was written
 * @param latestTxid the newest TXID the replica holds
 */
public record RestorableRange(Instant earliestTimestamp, long earliestTxid, Instant latestTimestamp, long latestTxid) {

	/**
	 * Returns the range of a replica's files.
	 * @param files every file of the replica
	 * @return the range, or {@code null} when no file starts at TXID 1
	 */
	public static @Nullable RestorableRange of(List<LtxFileInfo> files) {
		LtxFileInfo earliest = null;
		LtxFileInfo latest = null;
		for (LtxFileInfo file : files) {
			if (file.minTxid() == 1 && (earliest == null || file.createdAt().isBefore(earliest.createdAt()))) {
				earliest = file;
			}
			if (latest == null || Long.compareUnsigned(file.maxTxid(), latest.maxTxid()) > 0) {
				latest = file;
			}
		}
		if (earliest == null || latest == null) {
			return null;
		}
		return new RestorableRange(earliest.createdAt(), earliest.maxTxid(), latest.createdAt(), latest.maxTxid());
	}

	@Override
	public String toString() {
		return "the earliest restorable time is " + this.earliestTimestamp + " (TXID "
				+ LtxFileName.formatTxid(this.earliestTxid) + "), the newest TXID is "
				+ LtxFileName.formatTxid(this.latestTxid) + " at " + this.latestTimestamp;
	}

}
