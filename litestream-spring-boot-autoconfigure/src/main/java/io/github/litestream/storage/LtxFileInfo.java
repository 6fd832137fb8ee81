package io.github.litestream.storage;

import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;

import io.github.litestream.ltx.LtxFileName;

/**
 * One LTX file on a replica, as a {@link ReplicaClient} lists it.
 * <p>
 * TXIDs are unsigned 64-bit values held in a {@code long}, as in Litestream; they are
 * compared with {@link Long#compareUnsigned(long, long)}, which is also the order of
 * their fixed-width hex file names.
 *
 * @param level the compaction level, {@value #MIN_LEVEL} to {@value #MAX_LEVEL};
 * {@value #SNAPSHOT_LEVEL} holds snapshots
 * @param minTxid the first transaction ID the file covers
 * @param maxTxid the last transaction ID the file covers, not below {@code minTxid}
 * @param size the size of the file in bytes
 * @param createdAt the LTX header timestamp of the file, as the replica records it (file
 * modification time, S3 metadata), with millisecond precision
 */
public record LtxFileInfo(int level, long minTxid, long maxTxid, long size, Instant createdAt) {

	/**
	 * The lowest level: one file per sync.
	 */
	public static final int MIN_LEVEL = 0;

	/**
	 * The highest level a replica holds.
	 */
	public static final int MAX_LEVEL = 9;

	/**
	 * The level of full snapshots, as in Litestream.
	 */
	public static final int SNAPSHOT_LEVEL = 9;

	private static final Comparator<LtxFileInfo> TXID_ORDER = (a, b) -> {
		int byMin = Long.compareUnsigned(a.minTxid, b.minTxid);
		return (byMin != 0) ? byMin : Long.compareUnsigned(a.maxTxid, b.maxTxid);
	};

	/**
	 * Creates a file info, rejecting values no replica can hold.
	 * @param level the compaction level
	 * @param minTxid the first transaction ID
	 * @param maxTxid the last transaction ID
	 * @param size the size in bytes
	 * @param createdAt the header timestamp
	 */
	public LtxFileInfo {
		checkLevel(level);
		checkTxidRange(minTxid, maxTxid);
		if (size < 0) {
			throw new IllegalArgumentException("LTX file size must not be negative, got " + size);
		}
		Objects.requireNonNull(createdAt, "createdAt");
	}

	/**
	 * Returns the file name, {@code <minTxid>-<maxTxid>.ltx} in 16 lower-case hex digits
	 * each.
	 * @return the file name without directory
	 */
	public String fileName() {
		return LtxFileName.format(this.minTxid, this.maxTxid);
	}

	/**
	 * Returns whether this file is a snapshot (level {@value #SNAPSHOT_LEVEL}).
	 * @return {@code true} for a snapshot
	 */
	public boolean isSnapshot() {
		return this.level == SNAPSHOT_LEVEL;
	}

	/**
	 * Orders files by {@code minTxid}, then {@code maxTxid}, both unsigned: the order of
	 * {@link ReplicaClient#listFiles(int, long)} and of the file names.
	 * @return the comparator
	 */
	public static Comparator<LtxFileInfo> txidOrder() {
		return TXID_ORDER;
	}

	/**
	 * Checks that a level is one a replica can hold.
	 * @param level the level
	 * @return the level
	 * @throws IllegalArgumentException if it is outside {@value #MIN_LEVEL} to
	 * {@value #MAX_LEVEL}
	 */
	public static int checkLevel(int level) {
		if (level < MIN_LEVEL || level > MAX_LEVEL) {
			throw new IllegalArgumentException(
					"LTX level must be between " + MIN_LEVEL + " and " + MAX_LEVEL + ", got " + level);
		}
		return level;
	}

	/**
	 * Checks that {@code minTxid} is not above {@code maxTxid} (unsigned).
	 * @param minTxid the first transaction ID
	 * @param maxTxid the last transaction ID
	 * @throws IllegalArgumentException if the range is reversed
	 */
	public static void checkTxidRange(long minTxid, long maxTxid) {
		if (Long.compareUnsigned(minTxid, maxTxid) > 0) {
			throw new IllegalArgumentException("LTX minTxid " + LtxFileName.formatTxid(minTxid)
					+ " must not be above maxTxid " + LtxFileName.formatTxid(maxTxid));
		}
	}

	@Override
	public String toString() {
		// Hex names, as on the replica, so log lines can be matched with the files
		return "LtxFileInfo[level=" + this.level + ", " + fileName() + ", size=" + this.size + ", createdAt="
				+ this.createdAt + "]";
	}

}
