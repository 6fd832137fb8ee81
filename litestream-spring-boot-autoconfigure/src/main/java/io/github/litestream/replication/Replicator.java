package io.github.litestream.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.core.EngineThreads;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.core.SyncResult;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.replica.LineageStore;
import io.github.litestream.replica.LocalHistory;
import io.github.litestream.replica.LocalStore;
import io.github.litestream.replica.ReplicaAttachment;
import io.github.litestream.restore.RestorePlanner;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicates one SQLite database: it reads every committed WAL frame into local L0 LTX
 * files, uploads them to each replica in TXID order and owns the database's checkpoints.
 * <p>
 * The engine follows the invariants of DESIGN section 4: it never opens and closes the
 * live database file in passing, it keeps a read transaction open so nobody can restart
 * the WAL behind it, it ships only committed frames, and it writes a full-database L0
 * file whenever it cannot prove that a delta continues the previous one.
 * <p>
 * Lifecycle: {@link #start()}, then {@link #stop()} (final sync bounded by the shutdown
 * timeout), then {@link #close()} once no SQLite connection of this process has the
 * database open any more.
 */
public final class Replicator implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(Replicator.class);

	private final ReplicatorConfig config;

	private final String name;

	private final ReplicationListener listener;

	private final LocalStore store;

	/** The view of this engine that its replicas' uploaders get. */
	private final LocalHistory history;

	/** One uploader and one compactor per replica, each under its replica's lease. */
	private final ReplicaSet replicas;

	/** Callers waiting until their commit is on every replica (issue 19, item 7). */
	private final CommitWaiters commitWaiters;

	/** Turns committed WAL frames into L0 files; owns the WAL cursor and the TXID. */
	private final WalCutter cutter;

	/** When the next cut is due, and the wake-ups of the sync loop. */
	private final CutSchedule schedule;

	/** The database's checkpoints and their backoff. */
	private final Checkpointer checkpointer;

	/** The replica files the local database continues (DESIGN section 4.12). */
	private final LineageStore lineage;

	/**
	 * The database's ownership: one lease per replica, the right to write it (DESIGN
	 * 4.14).
	 */
	private final DatabaseOwnership ownership;

	/**
	 * Whether this engine created {@link #ownership} and so takes and releases the
	 * leases.
	 */
	private final boolean ownsLeases;

	/** Guards the WAL and database state below; held while an L0 file is cut. */
	private final ReentrantLock lock = new ReentrantLock();

	/** The local files kept until every replica holds them, and their commit times. */
	private final LocalRetention retention;

	private @Nullable EngineConnections connections;

	private @Nullable DatabaseFile databaseFile;

	private volatile @Nullable Instant lastSyncAt;

	private volatile State state = State.NEW;

	/** Set by a stop after which every replica held the last TXID. */
	private volatile @Nullable Long finalTxid;

	/** Written only by the sync thread. */
	private volatile long loopPasses;

	private @Nullable Thread syncThread;

	private @Nullable String lastSyncError;

	/**
	 * Creates a replicator; nothing happens until {@link #start()}.
	 * @param config the settings
	 */
	public Replicator(ReplicatorConfig config) {
		this(config, ownershipOf(config), true);
	}

	/**
	 * Creates a replicator that writes under a database's ownership, which takes and
	 * releases the leases itself (they outlive this engine, e.g. across an in-place
	 * restore); nothing happens until {@link #start()}.
	 * @param config the settings
	 * @param ownership the ownership of the database
	 */
	public Replicator(ReplicatorConfig config, DatabaseOwnership ownership) {
		this(config, ownership, false);
	}

	/**
	 * Creates the ownership of a database from its engine settings.
	 * @param config the settings
	 * @return the ownership, not started
	 */
	public static DatabaseOwnership ownershipOf(ReplicatorConfig config) {
		return new DatabaseOwnership(config.name(), config.clock(), config.lease(),
				config.replicas().stream().map((r) -> new DatabaseOwnership.Replica(r.name(), r.client())).toList(),
				config.listener());
	}

	private Replicator(ReplicatorConfig config, DatabaseOwnership ownership, boolean ownsLeases) {
		this.config = config;
		this.ownership = ownership;
		this.ownsLeases = ownsLeases;
		this.name = config.name();
		this.listener = config.listener();
		this.store = new LocalStore(config.metaDirectory());
		this.lineage = new LineageStore(config.metaDirectory());
		this.cutter = new WalCutter(config, this.store, this.lineage);
		this.history = new EngineHistory(this, this.cutter, this.store, this.lineage);
		this.replicas = new ReplicaSet(config, this.history, ownership);
		this.commitWaiters = new CommitWaiters(this.name, this.replicas.uploaders());
		this.schedule = new CutSchedule(config, this.replicas.uploaders(), this.cutter);
		this.checkpointer = new Checkpointer(config, this.cutter, () -> syncLocked(false));
		this.retention = new LocalRetention(this.name, this.store, this.cutter, this.replicas, this.schedule);
	}

	/**
	 * Returns the ownership this engine writes under.
	 * @return the ownership
	 */
	public DatabaseOwnership ownership() {
		return this.ownership;
	}

	/**
	 * Returns the highest TXID every replica is known to hold.
	 * @return the lowest replica position, or -1 while one is unknown
	 */
	public long replicatedTxid() {
		return this.replicas.replicatedTxid();
	}

	/**
	 * Tells whether any replica holds a file after {@code finalTxid}: another instance
	 * wrote after it.
	 * @param config the engine settings (the replicas)
	 * @param finalTxid the TXID
	 * @return whether a replica moved past it
	 * @throws IOException if a replica cannot be listed
	 */
	public static boolean movedPast(ReplicatorConfig config, long finalTxid) throws IOException {
		for (ReplicaConfig replica : config.replicas()) {
			long max = ReplicaAttachment.maxTxid(RestorePlanner.listAll(replica.client()));
			if (Long.compareUnsigned(max, finalTxid) > 0) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Releases the leases after the last write when this engine owns them, so a successor
	 * need not wait for them to expire.
	 */
	private void releaseLeases(@Nullable Long finalTxid) {
		this.replicas.unwatchLeases();
		if (this.ownsLeases) {
			this.ownership.stop(finalTxid);
		}
	}

	/**
	 * Returns the settings.
	 * @return the settings
	 */
	public ReplicatorConfig config() {
		return this.config;
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Returns the TXID of the newest local L0 file.
	 * @return the local TXID, 0 before the first sync
	 */
	public long txid() {
		return this.cutter.txid();
	}

	/**
	 * Returns whether the engine is running.
	 * @return whether replication is active
	 */
	public boolean isRunning() {
		return this.state == State.RUNNING;
	}

	/**
	 * Opens the database, recovers the local position, and starts the sync and upload
	 * threads. A database file that does not exist yet is created by SQLite.
	 * @throws IOException if the database cannot be opened for replication
	 */
	public void start() throws IOException {
		this.lock.lock();
		try {
			if (this.state != State.NEW) {
				throw new IllegalStateException("Replicator '" + this.name + "' was already started");
			}
			Path parent = this.config.databasePath().getParent();
			if (parent != null && !Files.isDirectory(parent)) {
				throw new IOException("Directory of database '" + this.config.databasePath()
						+ "' does not exist; create it or fix the database path");
			}
			boolean existed = Files.exists(this.config.databasePath());
			this.connections = EngineConnections.open(this.config.databasePath(), this.config.busyTimeout());
			this.databaseFile = DatabaseFile.open(this.config.databasePath());
			this.cutter.attach(this.connections, this.databaseFile);
			this.connections.limitWalSize(this.config.truncatePageCount() * this.cutter.frameSize());
			this.store.open();
			if (!existed) {
				this.cutter.forgetLocalHistory();
			}
			this.cutter.recover();
			this.replicas.watchLeases();
			if (this.ownsLeases) {
				this.ownership.startLeases();
			}
			this.replicas.initialize();
			this.checkpointer.attach(this.connections);
			this.state = State.RUNNING;
		}
		catch (IOException | RuntimeException ex) {
			this.state = State.FAILED;
			releaseLeases(null);
			// The engine's SQLite connections may close now (SQLite keeps the locks of
			// the application's connections), but the descriptor of the database file
			// may not: closing it would drop every lock this process holds on the file
			// (DESIGN section 4.1). It stays open until close(), after the pool.
			closeConnections();
			throw ex;
		}
		finally {
			this.lock.unlock();
		}
		Thread thread = new Thread(this::runSyncLoop, "litestream-" + this.name + "-sync");
		thread.setDaemon(true);
		this.syncThread = thread;
		thread.start();
		this.replicas.start();
		logger.info("Replicating database '{}' ({}) from TXID {} to {}", this.name, this.config.databasePath(),
				LtxFileName.formatTxid(this.cutter.txid()), this.replicas.locations());
	}

	/**
	 * Tells the engine that a transaction committed in this JVM, so it cuts the next L0
	 * file without waiting for the monitor poll.
	 */
	public void notifyCommit() {
		this.schedule.commitSeen();
	}

	/**
	 * Copies everything committed so far into a local L0 file now, ignoring the sync
	 * cadence, and wakes the uploaders.
	 * @return the local TXID that covers every transaction committed before the call
	 * @throws IOException if the WAL could not be read or the file not written
	 */
	public long sync() throws IOException {
		requireRunning();
		this.lock.lock();
		try {
			syncLocked(false);
			return this.cutter.txid();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Writes a local L0 file that holds every page of the database, ignoring the cadence.
	 * @return the TXID of that file
	 * @throws IOException if the file could not be written
	 */
	public long snapshot() throws IOException {
		requireRunning();
		this.lock.lock();
		try {
			syncLocked(true);
			return this.cutter.txid();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Waits until every replica holds {@code txid}.
	 * @param txid the TXID to wait for
	 * @param timeout how long to wait at most
	 * @return whether every replica reached it in time
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public boolean awaitReplicated(long txid, Duration timeout) throws InterruptedException {
		return this.replicas.awaitReplicated(txid, timeout);
	}

	/**
	 * Waits until every commit that returned before the call is on every replica, without
	 * forcing an upload: the commit rides the next regular cut.
	 * @param timeout how long to wait at most
	 * @return the TXID waited for
	 * @throws ReplicationTimeoutException if a replica did not hold it in time
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public long awaitCommitsReplicated(Duration timeout) throws InterruptedException {
		requireRunning();
		return this.commitWaiters.await(timeout, this.schedule::commitSeen);
	}

	/**
	 * Returns a consistent view of the engine's state.
	 * @return the status
	 */
	public ReplicatorStatus status() {
		Instant now = this.config.clock().instant();
		List<ReplicaStatus> replicas = this.replicas.statuses(now);
		return new ReplicatorStatus(this.name, this.config.databasePath(), this.cutter.pageSize(), this.cutter.txid(),
				this.schedule.walSize(), this.lastSyncAt, this.state.name(), this.lastSyncError, replicas);
	}

	/**
	 * Stops replication: a final sync, then waits (bounded by the shutdown sync timeout)
	 * until every replica has it, then stops the threads and closes the engine's
	 * connections. The outcome is logged either way.
	 */
	public void stop() {
		stop(false);
	}

	/**
	 * Stops replication like {@link #stop()}. When every replica holds the final TXID,
	 * the released leases carry it as {@code final_txid}, the state a successor must
	 * restore.
	 * @param handover whether the stop hands the database over to another instance
	 * @return whether every replica had the final TXID in time
	 */
	public boolean stop(boolean handover) {
		if (this.state == State.NEW) {
			releaseLeases(null);
			return false;
		}
		if (this.state != State.RUNNING) {
			return false;
		}
		this.state = State.STOPPING;
		long target = this.cutter.txid();
		try {
			this.lock.lock();
			try {
				syncLocked(false);
				target = this.cutter.txid();
			}
			finally {
				this.lock.unlock();
			}
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Final sync of database '{}' failed: {}", this.name, ex.getMessage());
			this.listener.onSyncError(this.name, ex);
		}
		boolean replicated = this.replicas.awaitFinal(target, this.config.shutdownSyncTimeout());
		if (replicated) {
			this.finalTxid = target;
		}
		this.state = State.STOPPED;
		this.schedule.wake();
		this.replicas.stop();
		releaseLeases(replicated ? target : null);
		EngineThreads.stop(this.syncThread, EngineThreads.STOP_GRACE);
		this.lock.lock();
		try {
			if (this.connections != null) {
				this.connections.close();
				this.connections = null;
			}
		}
		finally {
			this.lock.unlock();
		}
		if (handover) {
			logger.info("Handed database '{}' over at TXID {}{}", this.name, LtxFileName.formatTxid(target),
					replicated ? "" : " before every replica had it");
		}
		return replicated;
	}

	/**
	 * Returns the final TXID of a stop after which every replica held it: the state a
	 * successor must restore ({@code final_txid} of the released leases).
	 * @return the TXID, or {@code null} before a stop or when a replica lacked it
	 */
	public @Nullable Long finalTxid() {
		return this.finalTxid;
	}

	/**
	 * Stops replication if needed and closes the read-only descriptor of the database
	 * file, also after a failed {@link #start()}. Call it only after every SQLite
	 * connection of this process to the database has closed: closing the descriptor
	 * earlier would drop SQLite's locks.
	 */
	@Override
	public void close() {
		stop();
		this.lock.lock();
		try {
			closeResources();
			if (this.state != State.FAILED) {
				this.state = State.CLOSED;
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	private void closeConnections() {
		if (this.connections != null) {
			this.connections.close();
			this.connections = null;
		}
	}

	private void closeResources() {
		closeConnections();
		if (this.databaseFile != null) {
			try {
				this.databaseFile.close();
			}
			catch (IOException ex) {
				logger.debug("Closing database file of '{}' failed", this.name, ex);
			}
			this.databaseFile = null;
		}
	}

	private void requireRunning() {
		if (this.state != State.RUNNING && this.state != State.STOPPING) {
			throw new IllegalStateException("Replicator '" + this.name + "' is not running (" + this.state + ")");
		}
	}

	/** Passes of the sync loop so far; tests count them to prove it does not spin. */
	long loopPasses() {
		return this.loopPasses;
	}

	/** Local TXIDs whose commit time the engine still tracks for lag. */
	int trackedChanges() {
		return this.retention.trackedChanges();
	}

	void setCheckpointWindow(Runnable checkpointWindow) {
		this.checkpointer.setCheckpointWindow(checkpointWindow);
	}

	// ---------------------------------------------------------------- sync loop

	/**
	 * One loop per database with explicit deadlines: it waits until the next cut is due
	 * (or a wake-up, or the monitor interval), never for zero time while nothing is due.
	 * Local cuts and checkpoints go on whatever the uploads do; uploads only shape when
	 * the next cut is due ({@link #cutDeadline()}).
	 */
	private void runSyncLoop() {
		while (this.state == State.RUNNING) {
			try {
				this.schedule.awaitWork();
				if (this.state != State.RUNNING) {
					break;
				}
				this.loopPasses++;
				this.schedule.pollWal();
				boolean cut = this.schedule.cutDue();
				this.lock.lock();
				try {
					if (cut) {
						syncLocked(false);
					}
					this.checkpointer.maybeCheckpoint();
				}
				finally {
					this.lock.unlock();
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			catch (IOException | RuntimeException ex) {
				recordSyncError(ex);
				try {
					// Back off a little so a persistent failure does not spin.
					this.schedule.pause(this.config.monitorInterval());
				}
				catch (InterruptedException ie) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	private void recordSyncError(Exception ex) {
		String message = String.valueOf(ex.getMessage());
		// Logged once per state change: the first failure at WARN, repeats at DEBUG.
		if (this.lastSyncError == null) {
			logger.warn("Sync of database '{}' failed: {}", this.name, message, ex);
		}
		else {
			logger.debug("Sync of database '{}' still failing: {}", this.name, message);
		}
		this.lastSyncError = message;
		this.listener.onSyncError(this.name, ex);
	}

	// ---------------------------------------------------------------- cutting L0 files

	/**
	 * Cuts one L0 file from everything committed since the previous one
	 * ({@link WalCutter#cut}), then records it for lag, tells the listener and wakes the
	 * uploaders. Must hold {@link #lock}.
	 * @param snapshotRequested whether to write every page whatever the WAL says
	 * @return the written file, or {@code null} when nothing was committed
	 */
	private @Nullable SyncResult syncLocked(boolean snapshotRequested) throws IOException {
		long started = System.nanoTime();
		Instant changedAt = this.schedule.takeChanges();
		SyncResult result = this.commitWaiters.around(() -> this.cutter.cut(snapshotRequested, started),
				this.cutter::txid, this.schedule::commitSeen);
		if (result == null) {
			this.schedule.markCut();
			return null;
		}
		this.retention.cut(result.txid(), changedAt);
		this.lastSyncAt = result.timestamp();
		if (this.lastSyncError != null) {
			logger.info("Sync of database '{}' recovered", this.name);
			this.lastSyncError = null;
		}
		this.schedule.markCut();
		if (this.replicas.isEmpty()) {
			// Nothing uploads, so nothing else prunes: keep only the newest file.
			pruneLocalFiles();
		}
		this.listener.onSync(this.name, result);
		logger.debug("Database '{}' synced TXID {} ({} pages{})", this.name, LtxFileName.formatTxid(result.txid()),
				result.pageCount(), result.snapshot() ? ", full" : "");
		this.replicas.wakeUploaders();
		return result;
	}

	// ---------------------------------------------------------------- uploads

	boolean acceptsUploads() {
		return this.state == State.RUNNING || this.state == State.STOPPING;
	}

	/**
	 * Called by an uploader that found a replica ahead of the local TXID (local state
	 * lost, or the database was restored): continue numbering after the replica with a
	 * full snapshot, and drop local files the replica already numbers differently.
	 */
	void adoptReplicaPosition(long replicaTxid) throws IOException {
		this.lock.lock();
		try {
			if (!this.cutter.adopt(replicaTxid)) {
				return;
			}
			this.schedule.requestCut();
		}
		finally {
			this.lock.unlock();
		}
		this.schedule.wake();
	}

	/**
	 * Called by an uploader that cannot continue a replica from local files: the next
	 * file is a full snapshot it can seed the replica with.
	 */
	void requestFullSnapshot() {
		this.lock.lock();
		try {
			this.cutter.requestSnapshot();
			this.schedule.requestCut();
		}
		finally {
			this.lock.unlock();
		}
		this.schedule.wake();
	}

	/** Wakes the sync loop (an uploader finished a file). */
	void wake() {
		this.schedule.wake();
	}

	long minSyncIntervalNanos() {
		return this.schedule.minSyncIntervalNanos();
	}

	/**
	 * Removes local files every replica holds, keeping the newest one
	 * ({@link LocalRetention#prune()}).
	 */
	void pruneLocalFiles() {
		this.retention.prune();
	}

	/**
	 * Returns the time of the oldest commit a replica at {@code position} does not hold,
	 * or {@code null} when it holds everything.
	 */
	@Nullable Instant oldestMissingChange(long position) {
		return this.retention.oldestMissingChange(position);
	}

	private enum State {

		NEW, RUNNING, STOPPING, STOPPED, CLOSED, FAILED

	}

}
