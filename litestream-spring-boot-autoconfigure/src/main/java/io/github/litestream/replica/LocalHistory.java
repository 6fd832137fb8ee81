package io.github.litestream.replica;

import java.io.IOException;
import java.time.Instant;

import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import org.jspecify.annotations.Nullable;

/**
 * What a replica's uploader needs from its database's engine: the local LTX history it
 * uploads from, and the engine's answers and reactions about that history. The
 * replication package implements it; an uploader never sees the replicator itself.
 */
public interface LocalHistory {

	/**
	 * Returns the database's configuration.
	 * @return the configuration
	 */
	ReplicatorConfig config();

	/**
	 * Returns the database's name, for logs and events.
	 * @return the name
	 */
	default String name() {
		return config().name();
	}

	/**
	 * Returns the newest local TXID (the last L0 file cut).
	 * @return the TXID
	 */
	long txid();

	/**
	 * Returns the local LTX files in the meta directory.
	 * @return the local store
	 */
	LocalStore store();

	/**
	 * Returns the records of what each replica was last seen to hold.
	 * @return the lineage store
	 */
	LineageStore lineage();

	/**
	 * Returns the listener that receives the replica's events.
	 * @return the listener
	 */
	ReplicationListener listener();

	/**
	 * Returns whether the engine runs.
	 * @return whether it runs
	 */
	boolean isRunning();

	/**
	 * Returns whether uploads may go on (the engine runs, or stops and drains).
	 * @return whether uploads may go on
	 */
	boolean acceptsUploads();

	/**
	 * Returns whether the local file ending at {@code txid} is a full snapshot.
	 * @param txid the file's max TXID
	 * @return whether it is a full snapshot
	 */
	boolean isFullFile(long txid);

	/**
	 * Called by an uploader that found a replica ahead of the local TXID (local state
	 * lost, or the database was restored): continue numbering after the replica with a
	 * full snapshot, and drop local files the replica already numbers differently.
	 * @param replicaTxid the replica's newest TXID
	 * @throws IOException if local files cannot be dropped
	 */
	void adoptReplicaPosition(long replicaTxid) throws IOException;

	/**
	 * Called by an uploader that cannot continue a replica from local files: the next
	 * file is a full snapshot it can seed the replica with.
	 */
	void requestFullSnapshot();

	/**
	 * Removes local files every replica holds, keeping the newest one (it proves where
	 * the WAL continues after a restart).
	 */
	void pruneLocalFiles();

	/**
	 * Wakes the engine's loop (an upload finished, so a checkpoint may be due).
	 */
	void wake();

	/**
	 * Returns the shortest sync interval over all replicas; without replicas, the monitor
	 * interval.
	 * @return the interval in nanoseconds
	 */
	long minSyncIntervalNanos();

	/**
	 * Returns the time of the oldest commit a replica at {@code position} does not hold,
	 * or {@code null} when it holds everything.
	 * @param position the replica's TXID
	 * @return the time, or {@code null}
	 */
	@Nullable Instant oldestMissingChange(long position);

}
