package io.github.litestream.core;

import java.time.Duration;

import io.github.litestream.ownership.OwnershipListener;
import io.github.litestream.storage.LtxFileInfo;

/**
 * Callbacks through which the engine reports what it does. Every method has a no-op
 * default; implementations must be thread-safe and fast, since they run on the engine's
 * threads. Metrics and health are built on this interface; the ownership events come from
 * {@link OwnershipListener}.
 */
public interface ReplicationListener extends OwnershipListener {

	/** A listener that ignores every event. */
	ReplicationListener NO_OP = new ReplicationListener() {
	};

	/**
	 * Called after a local L0 file has been written.
	 * @param database the database name
	 * @param sync what was written
	 */
	default void onSync(String database, SyncResult sync) {
	}

	/**
	 * Called when reading the WAL or writing a local L0 file failed.
	 * @param database the database name
	 * @param error the failure
	 */
	default void onSyncError(String database, Throwable error) {
	}

	/**
	 * Called after a checkpoint.
	 * @param database the database name
	 * @param mode {@code PASSIVE} or {@code TRUNCATE}
	 * @param duration how long it took
	 * @param walRestarted whether the WAL restarted at a known point afterwards
	 */
	default void onCheckpoint(String database, String mode, Duration duration, boolean walRestarted) {
	}

	/**
	 * Called when a checkpoint failed or could not take its write barrier.
	 * @param database the database name
	 * @param mode {@code PASSIVE} or {@code TRUNCATE}
	 * @param error the failure
	 */
	default void onCheckpointError(String database, String mode, Throwable error) {
	}

	/**
	 * Called after a file has been written to a replica.
	 * @param database the database name
	 * @param replica the replica name
	 * @param upload what was uploaded
	 */
	default void onUpload(String database, String replica, UploadResult upload) {
	}

	/**
	 * Called when an upload failed; it is retried after a capped backoff.
	 * @param database the database name
	 * @param replica the replica name
	 * @param error the failure
	 * @param attempt the number of consecutive failures so far
	 */
	default void onUploadError(String database, String replica, Throwable error, int attempt) {
	}

	/**
	 * Called after a restore finished.
	 * @param database the database name (or the output path for standalone restores)
	 * @param result what was restored
	 */
	default void onRestore(String database, RestoreResult result) {
	}

	/**
	 * Called after compaction wrote a file to a replica: a level 1..8 file merged from
	 * the level below, or a level-9 snapshot.
	 * @param database the database name
	 * @param replica the replica name
	 * @param file the written file
	 * @param duration how long it took
	 */
	default void onCompaction(String database, String replica, LtxFileInfo file, Duration duration) {
	}

	/**
	 * Called when compacting a level or writing a snapshot failed; it is retried at the
	 * next interval.
	 * @param database the database name
	 * @param replica the replica name
	 * @param level the level that was to be written
	 * @param error the failure
	 */
	default void onCompactionError(String database, String replica, int level, Throwable error) {
	}

	/**
	 * Called after retention removed files from a replica.
	 * @param database the database name
	 * @param replica the replica name
	 * @param level the level the files were removed from
	 * @param deleted the number of files removed
	 */
	default void onRetention(String database, String replica, int level, int deleted) {
	}

	/**
	 * Called when an upload was refused because a different file of the same name exists
	 * on the replica (another writer's history); the engine stops writing that replica.
	 * @param database the database name
	 * @param replica the replica name
	 * @param reason what was met
	 */
	default void onUploadRejected(String database, String replica, String reason) {
	}

}
