package io.github.litestream.restore;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * Chooses the files a restore reads. It starts from the newest file that begins at TXID 1
 * (a level-9 snapshot, or the first L0 file) within the target, then repeatedly takes the
 * file that reaches furthest while starting no later than right after the current end.
 * This greedy choice uses the fewest files that cover the range. A gap in the chain, or a
 * target outside the restorable range, fails with a message that says what is available.
 */
public final class RestorePlanner {

	private static final int MAX_LEVEL = ReplicationDefaults.SNAPSHOT_LEVEL;

	private RestorePlanner() {
	}

	/**
	 * Lists every level of a replica.
	 * @param client the replica
	 * @return all LTX files, in level then TXID order
	 * @throws IOException if listing fails
	 */
	public static List<LtxFileInfo> listAll(ReplicaClient client) throws IOException {
		List<LtxFileInfo> files = new ArrayList<>();
		for (int level = 0; level <= MAX_LEVEL; level++) {
			files.addAll(client.listFiles(level));
		}
		return files;
	}

	/**
	 * Plans a restore from the files of a replica.
	 * @param files every file of the replica
	 * @param target what to restore
	 * @param location the replica's location, for messages
	 * @return the plan
	 * @throws RestoreException if the target cannot be restored exactly
	 */
	public static RestorePlan plan(List<LtxFileInfo> files, RestoreTarget target, String location)
			throws RestoreException {
		if (files.isEmpty()) {
			throw new NoBackupException("Replica " + location + " holds no backup");
		}
		List<LtxFileInfo> eligible = files.stream().filter((file) -> within(file, target)).toList();
		LtxFileInfo start = null;
		for (LtxFileInfo file : eligible) {
			if (file.minTxid() == 1 && (start == null || better(file, start))) {
				start = file;
			}
		}
		if (start == null) {
			throw new RestoreTargetException("Cannot restore " + target + " from replica " + location
					+ ": no snapshot at or before it; " + describeRange(files), target, RestorableRange.of(files));
		}
		List<LtxFileInfo> plan = new ArrayList<>();
		plan.add(start);
		long current = start.maxTxid();
		while (true) {
			LtxFileInfo next = null;
			for (LtxFileInfo file : eligible) {
				if (file.level() == MAX_LEVEL || Long.compareUnsigned(file.minTxid(), current + 1) > 0
						|| Long.compareUnsigned(file.maxTxid(), current) <= 0) {
					continue;
				}
				if (next == null || better(file, next)) {
					next = file;
				}
			}
			if (next == null) {
				break;
			}
			plan.add(next);
			current = next.maxTxid();
		}
		LtxFileInfo afterGap = null;
		for (LtxFileInfo file : eligible) {
			if (Long.compareUnsigned(file.maxTxid(), current) > 0
					&& (afterGap == null || Long.compareUnsigned(file.minTxid(), afterGap.minTxid()) < 0)) {
				afterGap = file;
			}
		}
		if (afterGap != null) {
			// The gap ends right before the lowest TXID any later file starts at.
			throw new RestoreException("Cannot restore " + target + " from replica " + location
					+ ": files are missing from TXID " + LtxFileName.formatTxid(current + 1) + " to "
					+ LtxFileName.formatTxid(afterGap.minTxid() - 1) + " (next file: level " + afterGap.level() + " "
					+ afterGap.fileName() + "); the chain of backups is broken");
		}
		if (target.timestamp() != null) {
			requireExactTime(files, plan, current, target, location);
		}
		if (target.txid() != null && current != target.txid()) {
			throw new RestoreTargetException(
					"Cannot restore " + target + " from replica " + location
							+ ": it is not a TXID the replica can restore to exactly; " + describeRange(files),
					target, RestorableRange.of(files));
		}
		Instant timestamp = plan.stream().map(LtxFileInfo::createdAt).max(Comparator.naturalOrder()).orElseThrow();
		return new RestorePlan(List.copyOf(plan), current, timestamp);
	}

	/**
	 * A point in time is restored exactly when the plan ends at the newest TXID stamped
	 * at or before it. A compacted file is stamped with its newest input's time, so once
	 * the finer files of a range are gone (L0 retention), a time inside that range can no
	 * longer be told apart from the range's ends: the replica cannot prove which
	 * transactions of the range came before the target. Restoring the range's start would
	 * silently return an older state than asked for, so such a target is refused with the
	 * nearest times that can be restored exactly.
	 */
	private static void requireExactTime(List<LtxFileInfo> files, List<LtxFileInfo> plan, long current,
			RestoreTarget target, String location) throws RestoreException {
		long next = current + 1;
		LtxFileInfo covering = null;
		for (LtxFileInfo file : files) {
			if (file.maxTxid() == next) {
				// Stamped with the time of TXID next itself, which is after the target
				// (otherwise the plan would have taken it): the plan is exact.
				return;
			}
			if (Long.compareUnsigned(file.minTxid(), next) <= 0 && Long.compareUnsigned(file.maxTxid(), next) > 0
					&& (covering == null || file.createdAt().isBefore(covering.createdAt()))) {
				covering = file;
			}
		}
		if (covering == null) {
			// Nothing newer exists: the plan is the latest state.
			return;
		}
		Instant reached = plan.stream().map(LtxFileInfo::createdAt).max(Comparator.naturalOrder()).orElseThrow();
		if (!reached.isBefore(target.timestamp())) {
			// The target is the plan's own boundary: the state right after its last file.
			return;
		}
		throw new RestoreTargetException("Cannot restore " + target + " from replica " + location
				+ " exactly: the transactions after TXID " + LtxFileName.formatTxid(current) + " (" + reached
				+ ") up to TXID " + LtxFileName.formatTxid(covering.maxTxid()) + " (" + covering.createdAt()
				+ ") survive only compacted into level " + covering.level() + " " + covering.fileName()
				+ ", so the state in between is no longer known; restore to " + reached + " or to "
				+ covering.createdAt() + " or later instead", target, RestorableRange.of(files));
	}

	/**
	 * Returns the range a replica can restore, for messages and the endpoint.
	 * @param files every file of the replica
	 * @return a sentence naming the earliest and latest restorable points
	 */
	static String describeRange(List<LtxFileInfo> files) {
		RestorableRange range = RestorableRange.of(files);
		if (range != null) {
			return range.toString();
		}
		long newest = files.stream()
			.mapToLong(LtxFileInfo::maxTxid)
			.reduce(0, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
		return "the replica holds no snapshot (newest TXID " + LtxFileName.formatTxid(newest) + ")";
	}

	private static boolean within(LtxFileInfo file, RestoreTarget target) {
		if (target.txid() != null) {
			return Long.compareUnsigned(file.maxTxid(), target.txid()) <= 0;
		}
		if (target.timestamp() != null) {
			return !file.createdAt().isAfter(target.timestamp());
		}
		return true;
	}

	/**
	 * Whether {@code candidate} is a better next step than {@code current}: it reaches
	 * further; on a tie it starts earlier, sits on a higher level (fewer pages to read),
	 * or is older.
	 */
	private static boolean better(LtxFileInfo candidate, @Nullable LtxFileInfo current) {
		int reach = Long.compareUnsigned(candidate.maxTxid(), current.maxTxid());
		if (reach != 0) {
			return reach > 0;
		}
		int start = Long.compareUnsigned(candidate.minTxid(), current.minTxid());
		if (start != 0) {
			return start < 0;
		}
		if (candidate.level() != current.level()) {
			return candidate.level() > current.level();
		}
		return candidate.createdAt().isBefore(current.createdAt());
	}

}
