package io.github.litestream.replication;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.replica.LocalStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long the local L0 files of one database are kept, and the commit time of each for
 * the replicas' lag: a file stays in the meta directory until every replica holds it, and
 * the newest one always stays (it proves where the WAL continues after a restart). Apart
 * from the {@link Replicator} because the uploaders drive it (after each upload) while
 * the sync loop feeds it (after each cut).
 */
final class LocalRetention {

	private static final Logger logger = LoggerFactory.getLogger(LocalRetention.class);

	private final String name;

	private final LocalStore store;

	private final WalCutter cutter;

	private final ReplicaSet replicas;

	private final CutSchedule schedule;

	/** Local TXID to the time of the oldest commit the file holds, for lag. */
	private final ConcurrentSkipListMap<Long, Instant> changeTimes = new ConcurrentSkipListMap<>();

	LocalRetention(String name, LocalStore store, WalCutter cutter, ReplicaSet replicas, CutSchedule schedule) {
		this.name = name;
		this.store = store;
		this.cutter = cutter;
		this.replicas = replicas;
		this.schedule = schedule;
	}

	/**
	 * Records a file just cut.
	 * @param txid the file's TXID
	 * @param changedAt the time of the oldest commit it holds
	 */
	void cut(long txid, Instant changedAt) {
		this.changeTimes.put(txid, changedAt);
	}

	/**
	 * Removes local files every replica holds, keeping the newest one.
	 */
	void prune() {
		long min = this.replicas.isEmpty() ? this.cutter.txid() : this.replicas.replicatedTxid();
		if (min < 0) {
			return;
		}
		try {
			List<LtxFileName> files = this.store.list();
			for (int i = 0; i < files.size() - 1; i++) {
				LtxFileName file = files.get(i);
				if (file.maxTxid() <= min) {
					this.store.delete(file);
					this.cutter.pruned(file.maxTxid());
				}
			}
			this.changeTimes.headMap(min, true).clear();
		}
		catch (IOException ex) {
			logger.debug("Pruning local files of database '{}' failed", this.name, ex);
		}
	}

	/**
	 * Returns the time of the oldest commit a replica at {@code position} does not hold.
	 * @param position the replica's TXID
	 * @return the time, or {@code null} when it holds everything
	 */
	@Nullable Instant oldestMissingChange(long position) {
		Map.Entry<Long, Instant> entry = this.changeTimes.higherEntry(position);
		if (entry != null && entry.getKey() <= this.cutter.txid()) {
			return entry.getValue();
		}
		return this.schedule.dirtySince();
	}

	/**
	 * Returns how many local TXIDs' commit times are still tracked.
	 * @return the count
	 */
	int trackedChanges() {
		return this.changeTimes.size();
	}

}
