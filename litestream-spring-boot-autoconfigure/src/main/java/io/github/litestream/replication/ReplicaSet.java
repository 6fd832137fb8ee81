package io.github.litestream.replication;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.ownership.ReplicaLease;
import io.github.litestream.replica.LocalHistory;
import io.github.litestream.replica.ReplicaCompactor;
import io.github.litestream.replica.ReplicaUploader;
import io.github.litestream.restore.RestoreReservations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database's replicas as the engine drives them: one uploader and one compactor per
 * replica, each under that replica's lease (DESIGN 4.14), created, started and stopped
 * together, and what every replica holds.
 */
final class ReplicaSet {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaSet.class);

	private final String name;

	private final DatabaseOwnership ownership;

	private final List<ReplicaUploader> uploaders = new ArrayList<>();

	/** Compaction, snapshots and retention, one thread per replica. */
	private final List<ReplicaCompactor> compactors = new ArrayList<>();

	/**
	 * Creates an uploader and a compactor per replica and puts every writer of a replica
	 * (uploads, compaction, snapshots, retention) under that replica's lease.
	 */
	ReplicaSet(ReplicatorConfig config, LocalHistory history, DatabaseOwnership ownership) {
		this.name = config.name();
		this.ownership = ownership;
		List<ReplicaConfig> replicas = config.replicas();
		for (int i = 0; i < replicas.size(); i++) {
			ReplicaUploader uploader = new ReplicaUploader(history, replicas.get(i));
			ReplicaCompactor compactor = new ReplicaCompactor(config, replicas.get(i), RestoreReservations.jvm(),
					uploader::position);
			ReplicaLease lease = ownership.lease(i);
			uploader.guardedBy(lease);
			compactor.guardedBy(lease);
			this.uploaders.add(uploader);
			this.compactors.add(compactor);
		}
	}

	/** The uploaders, in the order of the configured replicas (read-only use). */
	List<ReplicaUploader> uploaders() {
		return this.uploaders;
	}

	boolean isEmpty() {
		return this.uploaders.isEmpty();
	}

	/** A change of a replica's lease wakes its uploader. */
	void watchLeases() {
		for (int i = 0; i < this.uploaders.size(); i++) {
			this.ownership.onLeaseChange(i, this.uploaders.get(i)::wake);
		}
	}

	void unwatchLeases() {
		for (int i = 0; i < this.uploaders.size(); i++) {
			this.ownership.onLeaseChange(i, () -> {
			});
		}
	}

	/** Reads each replica's position (under its lease) before the threads start. */
	void initialize() {
		for (ReplicaUploader uploader : this.uploaders) {
			uploader.initialize();
		}
	}

	void start() {
		for (ReplicaUploader uploader : this.uploaders) {
			uploader.startThread();
		}
		for (ReplicaCompactor compactor : this.compactors) {
			compactor.start();
		}
	}

	void stop() {
		for (ReplicaUploader uploader : this.uploaders) {
			uploader.stopThread();
		}
		for (ReplicaCompactor compactor : this.compactors) {
			compactor.stop();
		}
	}

	void wakeUploaders() {
		for (ReplicaUploader uploader : this.uploaders) {
			uploader.wake();
		}
	}

	List<String> locations() {
		return this.uploaders.stream().map(ReplicaUploader::location).toList();
	}

	List<ReplicaStatus> statuses(Instant now) {
		List<ReplicaStatus> statuses = new ArrayList<>();
		for (ReplicaUploader uploader : this.uploaders) {
			statuses.add(uploader.status(now));
		}
		return statuses;
	}

	/**
	 * The highest TXID every replica is known to hold.
	 * @return the lowest replica position, or -1 while one is unknown or without replicas
	 */
	long replicatedTxid() {
		long lowest = Long.MAX_VALUE;
		for (ReplicaUploader uploader : this.uploaders) {
			lowest = Math.min(lowest, uploader.position());
		}
		return this.uploaders.isEmpty() ? -1 : lowest;
	}

	/** The replicas that do not hold {@code txid}, with their positions, for logs. */
	List<String> behind(long txid) {
		return this.uploaders.stream()
			.filter((u) -> u.position() < 0 || Long.compareUnsigned(u.position(), txid) < 0)
			.map((u) -> u.name() + "=" + ((u.position() < 0) ? "unknown" : LtxFileName.formatTxid(u.position())))
			.toList();
	}

	/** Waits until every replica holds {@code txid}. */
	boolean awaitReplicated(long txid, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		for (ReplicaUploader uploader : this.uploaders) {
			if (!uploader.awaitPosition(txid, deadline)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * The last wait of a stopping engine: until every replica it may write holds the
	 * final TXID, bounded by the shutdown sync timeout; the outcome is logged either way.
	 * @param target the final TXID
	 * @param timeout the shutdown sync timeout
	 * @return whether every replica it may write had it in time
	 */
	boolean awaitFinal(long target, Duration timeout) {
		boolean replicated;
		try {
			replicated = awaitReplicatedWhereWritable(target, timeout);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			replicated = false;
		}
		List<String> behind = behind(target);
		if (replicated && behind.isEmpty()) {
			logger.info("Stopped replicating database '{}' at TXID {}; every replica has it", this.name,
					LtxFileName.formatTxid(target));
		}
		else if (replicated) {
			logger.warn("Stopped replicating database '{}' at TXID {}; replicas this instance may not write "
					+ "lack it: {}", this.name, LtxFileName.formatTxid(target), behind);
		}
		else {
			logger.warn(
					"Stopped replicating database '{}' at TXID {} before every replica had it "
							+ "(shutdown sync timeout {}): {}",
					this.name, LtxFileName.formatTxid(target), timeout, behind);
		}
		return replicated;
	}

	/**
	 * Waits until every replica this engine may write holds {@code txid}; replicas whose
	 * lease it does not hold are not waited for.
	 */
	boolean awaitReplicatedWhereWritable(long txid, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		for (ReplicaUploader uploader : this.uploaders) {
			if (!uploader.lease().mayWrite() && uploader.lease().isFenced()) {
				// Cut off a moment ago: the lease thread takes its untouched lease
				// again as soon as the replica answers, and the backlog goes up before
				// the stop
				uploader.lease().awaitNotFenced(deadline);
			}
			if (!uploader.lease().mayWrite()) {
				logger.warn("Database '{}' stops without a final upload to replica '{}': {}", this.name,
						uploader.name(), uploader.lease().status().detail());
				continue;
			}
			if (uploader.isRefused()) {
				logger.warn("Database '{}' stops without a final upload to replica '{}': it holds a history this "
						+ "database does not continue", this.name, uploader.name());
				continue;
			}
			if (!uploader.awaitPosition(txid, deadline)) {
				return false;
			}
		}
		return true;
	}

}
