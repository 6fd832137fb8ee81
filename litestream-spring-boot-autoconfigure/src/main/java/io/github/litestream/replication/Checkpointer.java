package io.github.litestream.replication;

import java.io.IOException;
import java.time.Duration;

import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.wal.WalHeader;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database's checkpoints (DESIGN 4.4): decides when one is due, copies most of a
 * large WAL ahead of the write barrier, checkpoints behind the barrier and restarts the
 * WAL with the engine's own write, proving that nobody else wrote in between, and backs
 * off while readers keep the WAL from restarting. Each attempt answers one
 * {@link Outcome}. Runs on the sync thread under the replicator's lock; what it learns
 * about the WAL's continuity it tells the {@link WalCutter}.
 */
final class Checkpointer {

	private static final Logger logger = LoggerFactory.getLogger(Checkpointer.class);

	/** Most PASSIVE checkpoints run ahead of the barrier per checkpoint. */
	private static final int MAX_AHEAD_PASSES = 3;

	/** Fewest frames worth another pass ahead of the barrier, or a cut before it. */
	private static final int MIN_AHEAD_FRAMES = 64;

	/**
	 * Longest time SQLite's own TRUNCATE checkpoint may wait for readers. It holds the
	 * write lock while it waits, so this bounds how long a checkpoint attempt holds
	 * application writers, far below their busy timeout (at most a quarter of it).
	 */
	static final Duration MAX_TRUNCATE_WAIT = Duration.ofMillis(100);

	/**
	 * Wait before the next checkpoint attempt after one that could not restart the WAL.
	 */
	static final Duration CHECKPOINT_RETRY_INITIAL_BACKOFF = Duration.ofSeconds(1);

	/** Longest wait between two checkpoint attempts that cannot restart the WAL. */
	static final Duration CHECKPOINT_RETRY_MAX_BACKOFF = Duration.ofSeconds(30);

	/**
	 * What one checkpoint attempt did.
	 */
	enum Outcome {

		/** Nothing was due (or a backoff runs). */
		NOT_DUE,

		/** The checkpoint copied the WAL and the WAL restarted. */
		RESTARTED,

		/** The checkpoint ran but readers kept the WAL from restarting; backed off. */
		KEPT,

		/** The write barrier could not be taken within the busy timeout; backed off. */
		POSTPONED,

		/** The attempt failed (reported to the listener); backed off. */
		FAILED

	}

	/**
	 * Cuts an L0 file of everything committed so far, with the replicator's bookkeeping.
	 */
	@FunctionalInterface
	interface Cut {

		void run() throws IOException;

	}

	private final ReplicatorConfig config;

	private final String name;

	private final ReplicationListener listener;

	private final WalCutter cutter;

	private final Cut cut;

	private @Nullable EngineConnections connections;

	private long checkpointTxid = -1;

	private long lastCheckpointNanos;

	/** Whether the last checkpoint restarted the WAL with the engine's own write. */
	private boolean lastCheckpointRestarted;

	/**
	 * Backoff of checkpoint attempts that could not restart the WAL (readers kept it, or
	 * the database stayed busy): no attempt before {@link #nextCheckpointNanos}.
	 */
	private long checkpointBackoffNanos;

	/** Whether the WAL restarted at the last checkpoint, by the engine's write or not. */
	private boolean lastCheckpointWalRestarted;

	private long nextCheckpointNanos;

	/**
	 * Runs between a checkpoint and the engine's sequence write, the only moment the
	 * engine holds neither its read lock nor the write barrier. A test seam: tests run
	 * another process's checkpoint here to prove that the engine detects it.
	 */
	private Runnable checkpointWindow = () -> {
	};

	Checkpointer(ReplicatorConfig config, WalCutter cutter, Cut cut) {
		this.config = config;
		this.name = config.name();
		this.listener = config.listener();
		this.cutter = cutter;
		this.cut = cut;
	}

	/** Starts the checkpoint interval with the engine's connections. */
	void attach(EngineConnections connections) {
		this.connections = connections;
		this.lastCheckpointNanos = System.nanoTime();
	}

	void setCheckpointWindow(Runnable checkpointWindow) {
		this.checkpointWindow = checkpointWindow;
	}

	/**
	 * Runs a checkpoint when the WAL is big enough or the checkpoint interval passed with
	 * new frames, unless an attempt that could not restart the WAL is being backed off.
	 * Called by the sync loop under the replicator's lock, after a cut.
	 * @return what the attempt did
	 */
	Outcome maybeCheckpoint() {
		if (this.connections == null || this.cutter.position() == null
				|| System.nanoTime() - this.nextCheckpointNanos < 0) {
			return Outcome.NOT_DUE;
		}
		long frames = this.cutter.framesBeforePosition();
		String mode = null;
		if (frames >= this.config.truncatePageCount() && !this.lastCheckpointRestarted) {
			// The WAL grew this long because the last checkpoint could not restart it
			// (readers): truncate it. After a restart, a long WAL only means many writes,
			// and a PASSIVE checkpoint restarts it again; the engine's restarting write
			// then cuts the file back to the truncate size (journal_size_limit).
			mode = "TRUNCATE";
		}
		else if (frames >= this.config.minCheckpointPageCount()) {
			mode = "PASSIVE";
		}
		else if (frames > 0
				&& System.nanoTime() - this.lastCheckpointNanos >= this.config.checkpointInterval().toNanos()
				&& this.cutter.txid() > this.checkpointTxid + 1) {
			// The "+ 1" skips the file that holds only the engine's own sequence write,
			// so an idle database is not checkpointed (and uploaded) every interval.
			mode = "PASSIVE";
		}
		if (mode == null) {
			return Outcome.NOT_DUE;
		}
		Outcome outcome = Outcome.FAILED;
		try {
			if (frames >= this.config.minCheckpointPageCount()) {
				checkpointAhead(this.connections);
			}
			outcome = checkpoint(mode);
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("{} checkpoint of database '{}' failed: {}", mode, this.name, ex.getMessage());
			this.listener.onCheckpointError(this.name, mode, ex);
		}
		finally {
			this.lastCheckpointNanos = System.nanoTime();
			backOffCheckpoints(outcome == Outcome.RESTARTED);
		}
		return outcome;
	}

	/**
	 * Resets the checkpoint backoff after an attempt that restarted the WAL; otherwise
	 * (readers kept the WAL, the database stayed busy, the attempt failed) doubles it, up
	 * to {@link #CHECKPOINT_RETRY_MAX_BACKOFF}. Readers cannot be waited out by retrying
	 * on every pass: each attempt takes the write barrier, so it only costs writers.
	 */
	private void backOffCheckpoints(boolean restarted) {
		if (restarted) {
			this.checkpointBackoffNanos = 0;
			this.nextCheckpointNanos = System.nanoTime();
			return;
		}
		long initial = CHECKPOINT_RETRY_INITIAL_BACKOFF.toNanos();
		long max = CHECKPOINT_RETRY_MAX_BACKOFF.toNanos();
		this.checkpointBackoffNanos = (this.checkpointBackoffNanos == 0) ? initial
				: Math.min(max, this.checkpointBackoffNanos * 2);
		this.nextCheckpointNanos = System.nanoTime() + this.checkpointBackoffNanos;
		logger.debug("Checkpoint of database '{}' did not restart the WAL; next attempt in {} ms", this.name,
				this.checkpointBackoffNanos / 1_000_000);
	}

	/**
	 * How long SQLite's TRUNCATE checkpoint may wait for readers, and so hold writers:
	 * {@link #MAX_TRUNCATE_WAIT}, and at most a quarter of the busy timeout the
	 * application's connections wait.
	 * @param busyTimeout the busy timeout of the application's connections
	 * @return the bound
	 */
	static Duration truncateWait(Duration busyTimeout) {
		Duration quarter = busyTimeout.dividedBy(4);
		return (quarter.compareTo(MAX_TRUNCATE_WAIT) < 0) ? quarter : MAX_TRUNCATE_WAIT;
	}

	/**
	 * Copies most of a large WAL into the database file before the barrier is taken, so
	 * writers then wait only for a short tail. Each pass moves the engine's read mark to
	 * the end of the WAL ({@link EngineConnections#advanceReadLock()}) and runs a PASSIVE
	 * checkpoint beside the writers, which makes the WAL durable and copies the frames up
	 * to the mark; when the WAL has grown far past the engine's position, a cut follows,
	 * so the cut behind the barrier is short too. Passes repeat while the previous one
	 * let writers append many frames, since those are what the barrier's checkpoint would
	 * have to make durable and copy.
	 * <p>
	 * Runs only when the WAL holds at least the minimum checkpoint page count, which
	 * makes handing the mark over safe: frames past the old mark exist, so the new read
	 * transaction keeps a mark in the WAL (a reader that starts on a fully checkpointed
	 * WAL would not stop a restart). A later pass starts only when frames were appended
	 * after the previous one, for the same reason. Should the hand-over fail half-way,
	 * continuity is no longer proven and the next file holds every page.
	 */
	private void checkpointAhead(EngineConnections db) throws IOException {
		int enough = Math.max(MIN_AHEAD_FRAMES, this.config.minCheckpointPageCount() / 4);
		long previousEnd = -1;
		try {
			for (int pass = 0; pass < MAX_AHEAD_PASSES; pass++) {
				db.advanceReadLock();
				int[] result = db.checkpointPassiveAhead();
				long end = result[1];
				if (this.cutter.position() != null && end - this.cutter.framesBeforePosition() >= enough) {
					this.cut.run();
				}
				if (result[0] != 0 || (previousEnd >= 0 && end - previousEnd < enough)) {
					break;
				}
				previousEnd = end;
			}
		}
		catch (IOException | RuntimeException ex) {
			if (!db.readLockHeld()) {
				this.cutter.forgetPosition();
				db.acquireReadLock();
			}
			throw ex;
		}
	}

	/**
	 * Checkpoints the database the way DESIGN section 4.4 describes: take the write
	 * barrier so nobody appends, copy the WAL tail, checkpoint, then write
	 * {@code _litestream_seq} in a transaction that starts after the checkpoint, so the
	 * WAL restarts with the engine's own write. {@code PRAGMA data_version} of the
	 * barrier connection, read before and after, proves that no other connection wrote or
	 * restarted the WAL in between; only then may the next WAL generation be read as a
	 * continuation. Without that proof the next file holds every page.
	 * <p>
	 * A TRUNCATE checkpoint takes the same path and shrinks the WAL file with the
	 * engine's restarting write ({@code journal_size_limit} 0 for that write), so writers
	 * wait only for the barrier. SQLite's own TRUNCATE checkpoint, which holds the write
	 * lock while it waits for readers, runs only when readers kept the first attempt from
	 * restarting the WAL.
	 */
	private Outcome checkpoint(String mode) throws IOException {
		long started = System.nanoTime();
		boolean truncate = "TRUNCATE".equals(mode);
		int[] result = checkpointBehindBarrier(mode, false, truncate);
		if (result != null && truncate && !this.lastCheckpointRestarted) {
			logger.debug("Readers kept the WAL of database '{}' from restarting; waiting {} for them", this.name,
					truncateWait(this.config.busyTimeout()));
			result = checkpointBehindBarrier(mode, true, true);
		}
		if (result == null) {
			return Outcome.POSTPONED;
		}
		Duration took = Duration.ofNanos(System.nanoTime() - started);
		logger.debug("{} checkpoint of database '{}': busy={}, log={}, checkpointed={}, restarted={}", mode, this.name,
				result[0], result[1], result[2], this.lastCheckpointRestarted);
		this.listener.onCheckpoint(this.name, mode, took, this.lastCheckpointRestarted);
		return this.lastCheckpointWalRestarted ? Outcome.RESTARTED : Outcome.KEPT;
	}

	/**
	 * One checkpoint behind the barrier, setting {@link #lastCheckpointRestarted}.
	 * <p>
	 * The engine's sequence write follows only a checkpoint that could restart the WAL:
	 * every frame copied and, for SQLite's TRUNCATE, no reader left. After any other, the
	 * write could only append to the WAL, and it would make a new TXID and an upload on
	 * every attempt while a reader stays open, an idle database included.
	 * @param waitForReaders run SQLite's TRUNCATE checkpoint, which takes the write lock
	 * itself and waits for readers (at most {@link #truncateWait(Duration)}), instead of
	 * a PASSIVE one behind the barrier
	 * @param shrink whether the engine's restarting write truncates the WAL file
	 * @return SQLite's checkpoint results, or {@code null} when the barrier could not be
	 * taken
	 */
	private int @Nullable [] checkpointBehindBarrier(String mode, boolean waitForReaders, boolean shrink)
			throws IOException {
		EngineConnections db = this.connections;
		Duration timeout = this.config.busyTimeout();
		if (!db.acquireBarrier(timeout)) {
			this.listener.onCheckpointError(this.name, mode, new IOException(
					"Database '" + this.name + "' stayed busy for " + timeout + "; checkpoint postponed"));
			return null;
		}
		long versionBefore;
		int[] result;
		boolean wrote = false;
		try {
			versionBefore = db.barrierDataVersion();
			this.cut.run();
			db.releaseReadLock();
			if (waitForReaders) {
				// TRUNCATE takes the write lock itself, so the barrier steps aside for
				// it.
				db.releaseBarrier();
				result = db.checkpointTruncate(truncateWait(timeout));
			}
			else {
				result = db.checkpointPassive();
				db.releaseBarrier();
			}
			this.checkpointWindow.run();
			boolean complete = result[0] == 0 && result[2] >= result[1];
			if (complete) {
				wrote = db.bumpSequence(timeout, shrink);
			}
		}
		catch (IOException | RuntimeException ex) {
			db.releaseBarrier();
			// The read lock was released: continuity is no longer proven.
			this.cutter.forgetPosition();
			throw ex;
		}
		finally {
			db.acquireReadLock();
		}
		boolean proven = wrote && versionBefore == db.barrierDataVersion();
		WalHeader after = this.cutter.readWalHeader();
		this.checkpointTxid = this.cutter.txid();
		boolean restarted = this.cutter.checkpointed(after, proven);
		this.lastCheckpointRestarted = restarted && proven;
		this.lastCheckpointWalRestarted = restarted;
		return result;
	}

}
