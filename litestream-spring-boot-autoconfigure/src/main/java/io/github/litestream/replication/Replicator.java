package io.github.litestream.replication;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.core.EngineThreads;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.core.SyncResult;
import io.github.litestream.ltx.LtxChecksum;
import io.github.litestream.ltx.LtxEncoder;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.ownership.ReplicaLease;
import io.github.litestream.replica.LineageStore;
import io.github.litestream.replica.LocalHistory;
import io.github.litestream.replica.LocalStore;
import io.github.litestream.replica.ReplicaAttachment;
import io.github.litestream.replica.ReplicaCompactor;
import io.github.litestream.replica.ReplicaUploader;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreReservations;
import io.github.litestream.wal.WalFrameHeader;
import io.github.litestream.wal.WalHeader;
import io.github.litestream.wal.WalReader;
import io.github.litestream.wal.WalSegment;
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

	private final ReplicatorConfig config;

	private final String name;

	private final ReplicationListener listener;

	private final LocalStore store;

	/** The view of this engine that its replicas' uploaders get. */
	private final LocalHistory history = new History();

	/** The replica files the local database continues (DESIGN section 4.12). */
	private final LineageStore lineage;

	private final List<ReplicaUploader> uploaders = new ArrayList<>();

	/** Compaction, snapshots and retention, one thread per replica (issue 3). */
	private final List<ReplicaCompactor> compactors = new ArrayList<>();

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

	/** Wakes the sync thread; also signalled by uploaders when they finish a file. */
	private final ReentrantLock signalLock = new ReentrantLock();

	private final Condition signal = this.signalLock.newCondition();

	/** Counts wake-ups, guarded by {@link #signalLock}. */
	private long wakeups;

	/** TXIDs of local L0 files that hold every page (usable to seed a replica). */
	private final ConcurrentSkipListSet<Long> fullFiles = new ConcurrentSkipListSet<>();

	/** Local TXID to the time of the oldest commit the file holds, for lag. */
	private final ConcurrentSkipListMap<Long, Instant> changeTimes = new ConcurrentSkipListMap<>();

	private @Nullable EngineConnections connections;

	private @Nullable DatabaseFile databaseFile;

	private int pageSize;

	private volatile long txid;

	private int commit;

	private @Nullable WalPosition position;

	/** Set when a new WAL generation is known to continue {@link #position}. */
	private @Nullable RestartProof restartProof;

	private boolean forceSnapshot;

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

	private volatile @Nullable Instant lastSyncAt;

	private volatile @Nullable Instant dirtySince;

	private volatile boolean dirty;

	private volatile boolean syncRequested;

	private long lastCutNanos;

	private long lastWalSize = -2;

	/** Size of the WAL file at the last cut; growth past it counts appended frames. */
	private long walSizeAtCut;

	private @Nullable FileTime lastWalModified;

	private volatile State state = State.NEW;

	/** Set by a stop after which every replica held the last TXID. */
	private volatile @Nullable Long finalTxid;

	/** Written only by the sync thread. */
	private volatile long loopPasses;

	/**
	 * Runs between a checkpoint and the engine's sequence write, the only moment the
	 * engine holds neither its read lock nor the write barrier. A test seam: tests run
	 * another process's checkpoint here to prove that the engine detects it.
	 */
	private Runnable checkpointWindow = () -> {
	};

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
		for (ReplicaConfig replica : config.replicas()) {
			ReplicaUploader uploader = new ReplicaUploader(this.history, replica);
			this.uploaders.add(uploader);
			this.compactors.add(new ReplicaCompactor(config, replica, RestoreReservations.jvm(), uploader::position));
		}
		guardWritesWithLeases();
	}

	/**
	 * Puts every replica's writers (uploads, compaction, snapshots, retention) under that
	 * replica's lease; a change of the lease wakes the uploader.
	 */
	private void guardWritesWithLeases() {
		for (int i = 0; i < this.uploaders.size(); i++) {
			ReplicaUploader uploader = this.uploaders.get(i);
			ReplicaLease lease = this.ownership.lease(i);
			uploader.guardedBy(lease);
			this.compactors.get(i).guardedBy(lease);
		}
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
		long lowest = Long.MAX_VALUE;
		for (ReplicaUploader uploader : this.uploaders) {
			lowest = Math.min(lowest, uploader.position());
		}
		return this.uploaders.isEmpty() ? -1 : lowest;
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
	 * Takes (or starts waiting for) every replica's lease, before the replicas' positions
	 * are read, when this engine owns its leases.
	 */
	private void startLeases() {
		for (int i = 0; i < this.uploaders.size(); i++) {
			this.ownership.onLeaseChange(i, this.uploaders.get(i)::wake);
		}
		if (this.ownsLeases) {
			this.ownership.startLeases();
		}
	}

	/**
	 * Releases the leases after the last write when this engine owns them, so a successor
	 * need not wait for them to expire.
	 */
	private void releaseLeases(@Nullable Long finalTxid) {
		for (int i = 0; i < this.uploaders.size(); i++) {
			this.ownership.onLeaseChange(i, () -> {
			});
		}
		if (this.ownsLeases) {
			this.ownership.stop(finalTxid);
		}
	}

	/**
	 * Waits until every replica this engine may write holds {@code txid}; replicas whose
	 * lease it does not hold are not waited for.
	 */
	private boolean awaitReplicatedWhereWritable(long txid, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		for (ReplicaUploader uploader : this.uploaders) {
			if (!uploader.lease().mayWrite() && uploader.lease().isFenced()) {
				// Cut off a moment ago: the lease thread takes its untouched lease again
				// as
				// soon as the replica answers, and the backlog goes up before the stop
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
		return this.txid;
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
			this.pageSize = this.connections.pageSize();
			this.connections.limitWalSize(this.config.truncatePageCount() * frameSize());
			this.store.open();
			if (!existed) {
				forgetLocalHistory();
			}
			recoverLocalState();
			startLeases();
			for (ReplicaUploader uploader : this.uploaders) {
				uploader.initialize();
			}
			this.lastCheckpointNanos = System.nanoTime();
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
		for (ReplicaUploader uploader : this.uploaders) {
			uploader.startThread();
		}
		for (ReplicaCompactor compactor : this.compactors) {
			compactor.start();
		}
		logger.info("Replicating database '{}' ({}) from TXID {} to {}", this.name, this.config.databasePath(),
				LtxFileName.formatTxid(this.txid), this.uploaders.stream().map(ReplicaUploader::location).toList());
	}

	/**
	 * Tells the engine that a transaction committed in this JVM, so it cuts the next L0
	 * file without waiting for the monitor poll.
	 */
	public void notifyCommit() {
		markDirty();
		wake();
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
			return this.txid;
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
			return this.txid;
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
		long deadline = System.nanoTime() + timeout.toNanos();
		for (ReplicaUploader uploader : this.uploaders) {
			if (!uploader.awaitPosition(txid, deadline)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Returns a consistent view of the engine's state.
	 * @return the status
	 */
	public ReplicatorStatus status() {
		Instant now = this.config.clock().instant();
		List<ReplicaStatus> replicas = new ArrayList<>();
		for (ReplicaUploader uploader : this.uploaders) {
			replicas.add(uploader.status(now));
		}
		return new ReplicatorStatus(this.name, this.config.databasePath(), this.pageSize, this.txid, walSize(),
				this.lastSyncAt, this.state.name(), this.lastSyncError, replicas);
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
		long target = this.txid;
		try {
			this.lock.lock();
			try {
				syncLocked(false);
				target = this.txid;
			}
			finally {
				this.lock.unlock();
			}
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Final sync of database '{}' failed: {}", this.name, ex.getMessage());
			this.listener.onSyncError(this.name, ex);
		}
		boolean replicated;
		try {
			replicated = awaitReplicatedWhereWritable(target, this.config.shutdownSyncTimeout());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			replicated = false;
		}
		long last = target;
		List<String> behind = this.uploaders.stream()
			.filter((u) -> u.position() < 0 || Long.compareUnsigned(u.position(), last) < 0)
			.map((u) -> u.name() + "=" + ((u.position() < 0) ? "unknown" : LtxFileName.formatTxid(u.position())))
			.toList();
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
					this.name, LtxFileName.formatTxid(target), this.config.shutdownSyncTimeout(), behind);
		}
		if (replicated) {
			this.finalTxid = target;
		}
		this.state = State.STOPPED;
		wake();
		for (ReplicaUploader uploader : this.uploaders) {
			uploader.stopThread();
		}
		for (ReplicaCompactor compactor : this.compactors) {
			compactor.stop();
		}
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
		return this.changeTimes.size();
	}

	void setCheckpointWindow(Runnable checkpointWindow) {
		this.checkpointWindow = checkpointWindow;
	}

	// ---------------------------------------------------------------- recovery

	/**
	 * Restores the position from the newest local L0 file when the WAL still proves that
	 * it continues; otherwise the next file is a full snapshot.
	 */
	private void recoverLocalState() throws IOException {
		LtxFileName latest = this.store.latest();
		LineageStore.Baseline baseline = this.lineage.baseline();
		if (baseline != null && (latest == null || Long.compareUnsigned(latest.maxTxid(), baseline.txid()) <= 0)) {
			// Files older than a restore belong to the database the restore replaced.
			this.store.clear();
			recoverBaseline(baseline);
			return;
		}
		if (baseline != null) {
			this.lineage.clearBaseline();
		}
		if (latest == null) {
			return;
		}
		LtxHeader header;
		try {
			header = this.store.readHeader(latest);
		}
		catch (IOException ex) {
			logger.warn("Local L0 file {} of database '{}' is unreadable ({}); starting from a full snapshot", latest,
					this.name, ex.getMessage());
			this.store.clear();
			// Numbering goes on after the file: a full file continues any history.
			this.txid = latest.maxTxid();
			this.forceSnapshot = true;
			return;
		}
		if (header.pageSize() != this.pageSize) {
			logger.warn("Local L0 files of database '{}' have page size {} but the database has {}; "
					+ "starting from a full snapshot", this.name, header.pageSize(), this.pageSize);
			this.txid = header.maxTxid();
			this.forceSnapshot = true;
			return;
		}
		this.txid = header.maxTxid();
		this.commit = header.commit();
		this.position = recoverPosition(header);
		if (this.position == null) {
			this.forceSnapshot = true;
		}
		logger.debug("Database '{}' resumes at TXID {} ({})", this.name, LtxFileName.formatTxid(this.txid),
				(this.position != null) ? "WAL continues at offset " + this.position.offset() : "full snapshot next");
	}

	/**
	 * The database was restored to the baseline's TXID and nothing staged since: when its
	 * file still holds exactly the restored pages, every WAL frame came after the
	 * restore, so the engine continues right after that TXID with deltas. Otherwise (a
	 * checkpoint or another process changed the file) the next file, at the next TXID,
	 * holds every page.
	 */
	private void recoverBaseline(LineageStore.Baseline baseline) throws IOException {
		this.txid = baseline.txid();
		int pageCount = (int) (this.databaseFile.size() / this.pageSize);
		boolean same = baseline.pageSize() == this.pageSize && baseline.pageCount() == pageCount
				&& ReplicaAttachment.databaseChecksum(
						(pgno, page) -> this.databaseFile.readPage(pgno, this.pageSize, page), this.pageSize,
						pageCount) == baseline.checksum();
		if (!same) {
			logger.info("Database '{}' changed since it was restored to TXID {}; the next file holds every page",
					this.name, LtxFileName.formatTxid(baseline.txid()));
			this.forceSnapshot = true;
			return;
		}
		this.commit = pageCount;
		try (FileChannel wal = openWal()) {
			WalHeader header = (wal != null) ? WalHeader.read(wal).orElse(null) : null;
			if (header == null || header.pageSize() != this.pageSize) {
				// No WAL content: the read lock keeps any checkpoint from copying frames
				// the engine has not read, so the next generation follows the restore.
				this.position = (header == null) ? new WalPosition(0, 0, WalHeader.SIZE, 0, 0) : null;
				this.restartProof = (header == null) ? RestartProof.ANY : null;
				this.forceSnapshot = header != null;
			}
			else {
				WalReader reader = new WalReader(wal, header);
				this.position = new WalPosition(header.salt1(), header.salt2(), WalHeader.SIZE, reader.checksum1(),
						reader.checksum2());
			}
		}
		logger.info("Database '{}' continues TXID {} it was restored to", this.name,
				LtxFileName.formatTxid(baseline.txid()));
	}

	/**
	 * The database file is new: staged files and recorded heads describe another
	 * database.
	 */
	private void forgetLocalHistory() throws IOException {
		if (!this.store.list().isEmpty() || this.lineage.baseline() != null) {
			logger.info("Database '{}' is new; forgetting the local state of the database it replaces", this.name);
		}
		this.store.clear();
		this.lineage.reset(null, Map.of());
	}

	/**
	 * Proves that the WAL still holds, as one valid checksum chain from its header, the
	 * frames the last L0 file was read from, ending with a commit frame exactly where the
	 * file ended.
	 */
	private @Nullable WalPosition recoverPosition(LtxHeader header) throws IOException {
		long end = header.walOffset() + header.walSize();
		if (header.walOffset() == 0 || end < WalHeader.SIZE) {
			return null;
		}
		try (FileChannel wal = openWal()) {
			if (wal == null) {
				return null;
			}
			WalHeader walHeader = WalHeader.read(wal).orElse(null);
			if (walHeader == null || walHeader.salt1() != header.walSalt1() || walHeader.salt2() != header.walSalt2()
					|| walHeader.pageSize() != this.pageSize) {
				return null;
			}
			WalReader reader = new WalReader(wal, walHeader);
			byte[] page = new byte[this.pageSize];
			if (end == WalHeader.SIZE) {
				return new WalPosition(walHeader.salt1(), walHeader.salt2(), end, reader.checksum1(),
						reader.checksum2());
			}
			while (reader.offset() < end) {
				WalFrameHeader frame = reader.next(page);
				if (frame == null) {
					return null;
				}
				if (reader.offset() == end) {
					return frame.isCommit() ? new WalPosition(walHeader.salt1(), walHeader.salt2(), end,
							reader.checksum1(), reader.checksum2()) : null;
				}
			}
			return null;
		}
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
				awaitWork();
				if (this.state != State.RUNNING) {
					break;
				}
				this.loopPasses++;
				pollWal();
				boolean requested = this.syncRequested;
				boolean cut = requested || (this.dirty && System.nanoTime() - cutDeadline() >= 0);
				this.lock.lock();
				try {
					if (cut) {
						this.syncRequested = false;
						syncLocked(false);
					}
					maybeCheckpoint();
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
					awaitSignal(this.config.monitorInterval().toNanos(), wakeups());
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

	private void awaitWork() throws InterruptedException {
		// Read before checking the conditions: a wake-up in between is then not lost.
		long seen = wakeups();
		if (this.syncRequested) {
			return;
		}
		long wait = this.config.monitorInterval().toNanos();
		if (this.dirty) {
			// Zero only when the cut is due now, and the cut then clears the dirty flag.
			wait = Math.min(wait, cutDeadline() - System.nanoTime());
		}
		if (wait > 0) {
			awaitSignal(wait, seen);
		}
	}

	private long wakeups() {
		this.signalLock.lock();
		try {
			return this.wakeups;
		}
		finally {
			this.signalLock.unlock();
		}
	}

	private void awaitSignal(long nanos, long seen) throws InterruptedException {
		this.signalLock.lock();
		try {
			if (this.wakeups == seen) {
				this.signal.awaitNanos(nanos);
			}
		}
		finally {
			this.signalLock.unlock();
		}
	}

	void wake() {
		this.signalLock.lock();
		try {
			this.wakeups++;
			this.signal.signalAll();
		}
		finally {
			this.signalLock.unlock();
		}
	}

	private void markDirty() {
		if (!this.dirty) {
			this.dirtySince = this.config.clock().instant();
			this.dirty = true;
		}
	}

	/**
	 * The shortest sync interval over all replicas; without replicas, the monitor
	 * interval.
	 */
	long minSyncIntervalNanos() {
		long min = Long.MAX_VALUE;
		for (ReplicaUploader uploader : this.uploaders) {
			min = Math.min(min, uploader.syncInterval().toNanos());
		}
		return (min == Long.MAX_VALUE) ? this.config.monitorInterval().toNanos() : min;
	}

	/**
	 * When the next L0 file may be cut (DESIGN section 4.11): once per upload
	 * opportunity, so not before the shortest sync interval has passed since the previous
	 * cut. In eager mode the cut also waits while an eager replica still has files to
	 * upload, so commits coalesce under load; the uploader's wake-up ends that wait. But
	 * a slow or failing replica never stops local cuts, and with them checkpoints: at the
	 * latest one monitor interval after the previous cut, the next one is due.
	 */
	private long cutDeadline() {
		long deadline = this.lastCutNanos + minSyncIntervalNanos();
		for (ReplicaUploader uploader : this.uploaders) {
			if (uploader.syncInterval().isZero() && uploader.hasPending()) {
				if (this.lastWalSize - this.walSizeAtCut >= this.config.minCheckpointPageCount() * frameSize()) {
					// A checkpoint's worth of frames was appended since the cut: waiting
					// longer would only let the WAL grow past the checkpoint threshold.
					return deadline;
				}
				long bounded = this.lastCutNanos + this.config.monitorInterval().toNanos();
				return (bounded - deadline > 0) ? bounded : deadline;
			}
		}
		return deadline;
	}

	/**
	 * Notices commits made by other processes: the WAL file's size or modification time
	 * changed. Reading attributes opens no descriptor.
	 */
	private void pollWal() {
		long size;
		FileTime modified;
		try {
			size = Files.size(this.config.walPath());
			modified = Files.getLastModifiedTime(this.config.walPath());
		}
		catch (IOException ex) {
			size = -1;
			modified = null;
		}
		if (size != this.lastWalSize || (modified != null && !modified.equals(this.lastWalModified))) {
			this.lastWalSize = size;
			this.lastWalModified = modified;
			markDirty();
		}
	}

	/** Records a cut attempt, also one that found nothing committed. */
	private void markCut() {
		this.lastCutNanos = System.nanoTime();
		this.walSizeAtCut = walSize();
	}

	private long walSize() {
		try {
			return Files.size(this.config.walPath());
		}
		catch (IOException ex) {
			return 0;
		}
	}

	private @Nullable FileChannel openWal() throws IOException {
		try {
			return FileChannel.open(this.config.walPath(), StandardOpenOption.READ);
		}
		catch (NoSuchFileException ex) {
			return null;
		}
	}

	// ---------------------------------------------------------------- cutting L0 files

	/**
	 * Cuts one L0 file from everything committed since the previous one. Must hold
	 * {@link #lock}.
	 * @param snapshotRequested whether to write every page whatever the WAL says
	 * @return the written file, or {@code null} when nothing was committed
	 */
	private @Nullable SyncResult syncLocked(boolean snapshotRequested) throws IOException {
		long started = System.nanoTime();
		Instant changedAt = (this.dirtySince != null) ? this.dirtySince : this.config.clock().instant();
		this.dirty = false;
		this.dirtySince = null;
		SyncResult result;
		try (FileChannel wal = openWal()) {
			WalHeader header = (wal != null) ? WalHeader.read(wal).orElse(null) : null;
			boolean snapshot = snapshotRequested || this.forceSnapshot || this.position == null;
			WalSegment segment = null;
			if (!snapshot) {
				WalPosition current = this.position;
				if (header == null) {
					// An empty WAL: nothing new, unless frames we had read are gone.
					if (!current.atStart() && this.restartProof == null) {
						logger.info("WAL of database '{}' was truncated by another connection; "
								+ "the next file holds every page", this.name);
						snapshot = true;
					}
					else {
						markCut();
						return null;
					}
				}
				else if (current.sameGeneration(header)) {
					if (!continues(wal, header, current)) {
						logger.info("WAL of database '{}' was rewritten behind the engine; "
								+ "the next file holds every page", this.name);
						snapshot = true;
					}
					else {
						segment = WalSegment.scan(wal, header, current.offset(), current.checksum1(),
								current.checksum2(), 0);
					}
				}
				else if (this.restartProof != null && this.restartProof.admits(header)) {
					segment = WalSegment.scan(wal, header);
				}
				else {
					logger.info(
							"WAL of database '{}' restarted without the engine (salts {} -> {}); "
									+ "the next file holds every page",
							this.name, salts(current.salt1(), current.salt2()), salts(header.salt1(), header.salt2()));
					snapshot = true;
				}
			}
			if (snapshot) {
				result = writeSnapshot(wal, header, started);
			}
			else {
				if (!segment.hasCommit()) {
					markCut();
					return null;
				}
				result = writeIncremental(wal, header, segment, started);
			}
		}
		this.changeTimes.put(result.txid(), changedAt);
		this.lastSyncAt = result.timestamp();
		if (this.lastSyncError != null) {
			logger.info("Sync of database '{}' recovered", this.name);
			this.lastSyncError = null;
		}
		markCut();
		if (this.uploaders.isEmpty()) {
			// Nothing uploads, so nothing else prunes: keep only the newest file.
			pruneLocalFiles();
		}
		this.listener.onSync(this.name, result);
		logger.debug("Database '{}' synced TXID {} ({} pages{})", this.name, LtxFileName.formatTxid(result.txid()),
				result.pageCount(), result.snapshot() ? ", full" : "");
		for (ReplicaUploader uploader : this.uploaders) {
			uploader.wake();
		}
		return result;
	}

	/**
	 * Whether the frames up to {@code position} are still those the engine read: the file
	 * is long enough and the frame before the position carries the same cumulative
	 * checksum.
	 */
	private boolean continues(FileChannel wal, WalHeader header, WalPosition position) throws IOException {
		if (wal.size() < position.offset()) {
			return false;
		}
		if (position.atStart()) {
			return header.checksum1() == position.checksum1() && header.checksum2() == position.checksum2();
		}
		Optional<WalFrameHeader> previous = WalReader.readFrameHeaderBefore(wal, header, position.offset());
		return previous.isPresent() && previous.get().salt1() == header.salt1()
				&& previous.get().salt2() == header.salt2() && previous.get().checksum1() == position.checksum1()
				&& previous.get().checksum2() == position.checksum2();
	}

	private SyncResult writeIncremental(FileChannel wal, WalHeader header, WalSegment segment, long started)
			throws IOException {
		long next = this.txid + 1;
		int newCommit = segment.commit();
		int previousCommit = this.commit;
		Instant timestamp = this.config.clock().instant();
		LtxHeader ltx = LtxHeader.of(this.pageSize, newCommit, next, next, timestamp.toEpochMilli())
			.withWal(segment.startOffset(), segment.endOffset() - segment.startOffset(), header.salt1(),
					header.salt2());
		int lockPage = LtxChecksum.lockPage(this.pageSize);
		int[] pageCount = new int[1];
		Path file = this.store.write(next, next, (out) -> {
			LtxEncoder encoder = new LtxEncoder(out, ltx, this.config.pageEncoding());
			byte[] page = new byte[this.pageSize];
			// Pages beyond the previous size that the WAL range does not hold come from
			// the
			// database file ("growth pages"), so the replica never misses a page.
			int growth = previousCommit + 1;
			for (int pgno : segment.pages()) {
				for (; growth < pgno && growth <= newCommit; growth++) {
					if (growth != lockPage) {
						this.databaseFile.readPage(growth, this.pageSize, page);
						encoder.writePage(growth, page, 0);
						pageCount[0]++;
					}
				}
				if (growth == pgno) {
					growth++;
				}
				segment.readPage(wal, pgno, page);
				encoder.writePage(pgno, page, 0);
				pageCount[0]++;
			}
			for (; growth <= newCommit; growth++) {
				if (growth != lockPage) {
					this.databaseFile.readPage(growth, this.pageSize, page);
					encoder.writePage(growth, page, 0);
					pageCount[0]++;
				}
			}
			encoder.finish();
		});
		this.txid = next;
		this.commit = newCommit;
		this.position = new WalPosition(header.salt1(), header.salt2(), segment.endOffset(), segment.endChecksum1(),
				segment.endChecksum2());
		this.restartProof = null;
		return new SyncResult(next, pageCount[0], newCommit, Files.size(file), false, timestamp,
				Duration.ofNanos(System.nanoTime() - started));
	}

	/**
	 * Writes an L0 file with every page of the database: the newest committed WAL version
	 * of a page when the current WAL generation has one, else the database file's. The
	 * read transaction the engine holds keeps both consistent: no checkpoint can copy
	 * frames newer than its snapshot into the database file.
	 */
	private SyncResult writeSnapshot(@Nullable FileChannel wal, @Nullable WalHeader header, long started)
			throws IOException {
		if (!this.connections.readLockHeld()) {
			this.connections.acquireReadLock();
		}
		WalSegment segment = (header != null) ? WalSegment.scan(wal, header) : null;
		int newCommit = (segment != null && segment.hasCommit()) ? segment.commit()
				: this.databaseFile.pageCount(this.pageSize);
		long next = this.txid + 1;
		Instant timestamp = this.config.clock().instant();
		LtxHeader ltx = LtxHeader.of(this.pageSize, newCommit, next, next, timestamp.toEpochMilli());
		if (header != null) {
			ltx = ltx.withWal(WalHeader.SIZE, segment.endOffset() - WalHeader.SIZE, header.salt1(), header.salt2());
		}
		LtxHeader fileHeader = ltx;
		int lockPage = LtxChecksum.lockPage(this.pageSize);
		int[] pageCount = new int[1];
		Path file = this.store.write(next, next, (out) -> {
			LtxEncoder encoder = new LtxEncoder(out, fileHeader, this.config.pageEncoding());
			byte[] page = new byte[this.pageSize];
			for (int pgno = 1; pgno <= newCommit; pgno++) {
				if (pgno == lockPage) {
					continue;
				}
				if (segment != null && segment.frameOffset(pgno) >= 0) {
					segment.readPage(wal, pgno, page);
				}
				else {
					this.databaseFile.readPage(pgno, this.pageSize, page);
				}
				encoder.writePage(pgno, page, 0);
				pageCount[0]++;
			}
			encoder.finish();
		});
		this.txid = next;
		this.commit = newCommit;
		this.forceSnapshot = false;
		this.fullFiles.add(next);
		if (header != null) {
			this.position = new WalPosition(header.salt1(), header.salt2(), segment.endOffset(), segment.endChecksum1(),
					segment.endChecksum2());
			this.restartProof = null;
		}
		else {
			// No WAL content: the next generation, whatever its salts, starts after this
			// state, since the read lock stops any checkpoint until the engine reads it.
			this.position = new WalPosition(0, 0, WalHeader.SIZE, 0, 0);
			this.restartProof = RestartProof.ANY;
		}
		return new SyncResult(next, pageCount[0], newCommit, Files.size(file), true, timestamp,
				Duration.ofNanos(System.nanoTime() - started));
	}

	// ---------------------------------------------------------------- checkpoints

	/**
	 * Runs a checkpoint when the WAL is big enough or the checkpoint interval passed with
	 * new frames, unless an attempt that could not restart the WAL is being backed off.
	 * Must hold {@link #lock}, after a sync.
	 */
	private void maybeCheckpoint() {
		WalPosition current = this.position;
		if (current == null || this.connections == null || System.nanoTime() - this.nextCheckpointNanos < 0) {
			return;
		}
		long frames = framesBefore(current);
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
				&& this.txid > this.checkpointTxid + 1) {
			// The "+ 1" skips the file that holds only the engine's own sequence write,
			// so an idle database is not checkpointed (and uploaded) every interval.
			mode = "PASSIVE";
		}
		if (mode != null) {
			boolean restarted = false;
			try {
				if (frames >= this.config.minCheckpointPageCount()) {
					checkpointAhead(this.connections);
				}
				restarted = checkpoint(mode);
			}
			catch (IOException | RuntimeException ex) {
				logger.warn("{} checkpoint of database '{}' failed: {}", mode, this.name, ex.getMessage());
				this.listener.onCheckpointError(this.name, mode, ex);
			}
			finally {
				this.lastCheckpointNanos = System.nanoTime();
				backOffCheckpoints(restarted);
			}
		}
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

	private long frameSize() {
		return WalHeader.FRAME_HEADER_SIZE + (long) this.pageSize;
	}

	/** Frames of the current WAL generation before {@code position}. */
	private long framesBefore(WalPosition position) {
		return Math.max(0, (position.offset() - WalHeader.SIZE) / frameSize());
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
				WalPosition current = this.position;
				if (current != null && end - framesBefore(current) >= enough) {
					syncLocked(false);
				}
				if (result[0] != 0 || (previousEnd >= 0 && end - previousEnd < enough)) {
					break;
				}
				previousEnd = end;
			}
		}
		catch (IOException | RuntimeException ex) {
			if (!db.readLockHeld()) {
				this.restartProof = null;
				this.position = null;
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
	private boolean checkpoint(String mode) throws IOException {
		long started = System.nanoTime();
		boolean truncate = "TRUNCATE".equals(mode);
		int[] result = checkpointBehindBarrier(mode, false, truncate);
		if (result != null && truncate && !this.lastCheckpointRestarted) {
			logger.debug("Readers kept the WAL of database '{}' from restarting; waiting {} for them", this.name,
					truncateWait(this.config.busyTimeout()));
			result = checkpointBehindBarrier(mode, true, true);
		}
		if (result == null) {
			return false;
		}
		Duration took = Duration.ofNanos(System.nanoTime() - started);
		logger.debug("{} checkpoint of database '{}': busy={}, log={}, checkpointed={}, restarted={}", mode, this.name,
				result[0], result[1], result[2], this.lastCheckpointRestarted);
		this.listener.onCheckpoint(this.name, mode, took, this.lastCheckpointRestarted);
		return this.lastCheckpointWalRestarted;
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
			syncLocked(false);
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
			this.restartProof = null;
			this.position = null;
			throw ex;
		}
		finally {
			db.acquireReadLock();
		}
		boolean proven = wrote && versionBefore == db.barrierDataVersion();
		WalHeader after = readWalHeader();
		this.checkpointTxid = this.txid;
		boolean restarted = after == null || !this.position.sameGeneration(after);
		if (restarted) {
			if (proven) {
				this.restartProof = (after != null) ? RestartProof.of(after) : RestartProof.ANY;
			}
			else {
				this.restartProof = null;
				logger.info("Another connection wrote during the checkpoint of database '{}'; "
						+ "the next file holds every page", this.name);
			}
		}
		this.lastCheckpointRestarted = restarted && proven;
		this.lastCheckpointWalRestarted = restarted;
		return result;
	}

	private @Nullable WalHeader readWalHeader() throws IOException {
		try (FileChannel wal = openWal()) {
			return (wal != null) ? WalHeader.read(wal).orElse(null) : null;
		}
	}

	// ---------------------------------------------------------------- uploads

	LocalStore store() {
		return this.store;
	}

	LineageStore lineage() {
		return this.lineage;
	}

	ReplicationListener listener() {
		return this.listener;
	}

	boolean isFullFile(long txid) {
		return this.fullFiles.contains(txid);
	}

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
			if (Long.compareUnsigned(replicaTxid, this.txid) <= 0) {
				return;
			}
			logger.info(
					"Replica of database '{}' is at TXID {}, ahead of the local TXID {}; "
							+ "continuing after it with a full snapshot",
					this.name, LtxFileName.formatTxid(replicaTxid), LtxFileName.formatTxid(this.txid));
			for (LtxFileName file : this.store.list()) {
				this.store.delete(file);
			}
			this.txid = replicaTxid;
			this.forceSnapshot = true;
			this.syncRequested = true;
		}
		finally {
			this.lock.unlock();
		}
		wake();
	}

	/**
	 * Called by an uploader that cannot continue a replica from local files: the next
	 * file is a full snapshot it can seed the replica with.
	 */
	void requestFullSnapshot() {
		this.lock.lock();
		try {
			this.forceSnapshot = true;
			this.syncRequested = true;
		}
		finally {
			this.lock.unlock();
		}
		wake();
	}

	/**
	 * Removes local files every replica holds, keeping the newest one (it proves where
	 * the WAL continues after a restart).
	 */
	void pruneLocalFiles() {
		long min = Long.MAX_VALUE;
		for (ReplicaUploader uploader : this.uploaders) {
			long position = uploader.position();
			if (position < 0) {
				return;
			}
			min = Math.min(min, position);
		}
		if (this.uploaders.isEmpty()) {
			min = this.txid;
		}
		try {
			List<LtxFileName> files = this.store.list();
			for (int i = 0; i < files.size() - 1; i++) {
				LtxFileName file = files.get(i);
				if (file.maxTxid() <= min) {
					this.store.delete(file);
					this.fullFiles.remove(file.maxTxid());
				}
			}
			this.changeTimes.headMap(min, true).clear();
		}
		catch (IOException ex) {
			logger.debug("Pruning local files of database '{}' failed", this.name, ex);
		}
	}

	/**
	 * Returns the time of the oldest commit a replica at {@code position} does not hold,
	 * or {@code null} when it holds everything.
	 */
	@Nullable Instant oldestMissingChange(long position) {
		Map.Entry<Long, Instant> entry = this.changeTimes.higherEntry(position);
		if (entry != null && entry.getKey() <= this.txid) {
			return entry.getValue();
		}
		return this.dirty ? this.dirtySince : null;
	}

	private static String salts(int salt1, int salt2) {
		return String.format("%08x/%08x", salt1, salt2);
	}

	/**
	 * The engine as its uploaders see it.
	 */
	private final class History implements LocalHistory {

		@Override
		public ReplicatorConfig config() {
			return Replicator.this.config;
		}

		@Override
		public long txid() {
			return Replicator.this.txid;
		}

		@Override
		public LocalStore store() {
			return Replicator.this.store;
		}

		@Override
		public LineageStore lineage() {
			return Replicator.this.lineage;
		}

		@Override
		public ReplicationListener listener() {
			return Replicator.this.listener;
		}

		@Override
		public boolean isRunning() {
			return Replicator.this.isRunning();
		}

		@Override
		public boolean acceptsUploads() {
			return Replicator.this.acceptsUploads();
		}

		@Override
		public boolean isFullFile(long txid) {
			return Replicator.this.fullFiles.contains(txid);
		}

		@Override
		public void adoptReplicaPosition(long replicaTxid) throws IOException {
			Replicator.this.adoptReplicaPosition(replicaTxid);
		}

		@Override
		public void requestFullSnapshot() {
			Replicator.this.requestFullSnapshot();
		}

		@Override
		public void pruneLocalFiles() {
			Replicator.this.pruneLocalFiles();
		}

		@Override
		public void wake() {
			Replicator.this.wake();
		}

		@Override
		public long minSyncIntervalNanos() {
			return Replicator.this.minSyncIntervalNanos();
		}

		@Override
		public @Nullable Instant oldestMissingChange(long position) {
			return Replicator.this.oldestMissingChange(position);
		}

	}

	private enum State {

		NEW, RUNNING, STOPPING, STOPPED, CLOSED, FAILED

	}

	/**
	 * A WAL generation known to start right after the engine's position: either exactly
	 * the salts seen after the engine's own checkpoint, or any generation when the WAL
	 * was empty while the engine held its read lock.
	 */
	private record RestartProof(boolean any, int salt1, int salt2) {

		static final RestartProof ANY = new RestartProof(true, 0, 0);

		static RestartProof of(WalHeader header) {
			return new RestartProof(false, header.salt1(), header.salt2());
		}

		boolean admits(WalHeader header) {
			return this.any || (header.salt1() == this.salt1 && header.salt2() == this.salt2);
		}

	}

}
