package io.github.litestream.replication;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.ownership.SameDiskRestart;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.NoBackupException;
import io.github.litestream.restore.PreparedRestore;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreTarget;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sequencing of one database's engine under its ownership (DESIGN 4.14-4.16): the
 * startup (the leases, then the restore; or, as a warm successor, the restore first and
 * the leases once the application is otherwise ready, {@link #takeOver(String)}), the
 * running {@link Replicator} and the ones it retired, an in-place restore, and the stop.
 * Handing over, being supplanted and taking the database back are in {@link Succession}.
 * <p>
 * The application's connections are reached only through the {@link ConnectionGate}; the
 * engine's SQLite descriptor of every {@link Replicator} it ran stays open until
 * {@link #close()}, which the DataSource calls after its pool is closed (DESIGN 4.1).
 */
public final class DatabaseRuntime {

	private static final Logger logger = LoggerFactory.getLogger(DatabaseRuntime.class);

	final ReplicatorConfig config;

	final DatabaseOwnership ownership;

	final Duration drainTimeout;

	private final boolean restoreOnStartup;

	private final IntegrityCheck integrityCheck;

	final ReentrantLock lock = new ReentrantLock();

	/**
	 * Replicators stopped by a handover or an in-place restore; closed only with the
	 * pool.
	 */
	private final List<Replicator> retired = new ArrayList<>();

	private final InPlaceRestoreFiles restoreFiles;

	private final Succession succession;

	private volatile @Nullable Replicator replicator;

	private volatile @Nullable ConnectionGate gate;

	private volatile boolean restoreChecked;

	private volatile boolean stopping;

	/**
	 * Whether a warm successor holds the leases and brings its database to their state.
	 */
	private volatile boolean catchingUp;

	/**
	 * The TXID a warm successor was restored (or proven) at on startup: its database has
	 * not been written since, so it needs no new proof when it catches up.
	 */
	private long standbyTxid = -1;

	/**
	 * Creates the runtime.
	 * @param config the engine settings
	 * @param ownership the ownership of the database ({@link Replicator#ownershipOf})
	 * @param restoreOnStartup whether a restore may run on startup
	 * @param integrityCheck the check run on restored files
	 * @param drainTimeout how long a handover or an in-place restore waits for borrowed
	 * connections
	 */
	public DatabaseRuntime(ReplicatorConfig config, DatabaseOwnership ownership, boolean restoreOnStartup,
			IntegrityCheck integrityCheck, Duration drainTimeout) {
		this.config = config;
		this.ownership = ownership;
		this.restoreOnStartup = restoreOnStartup;
		this.integrityCheck = integrityCheck;
		this.drainTimeout = drainTimeout;
		this.restoreFiles = new InPlaceRestoreFiles(config, integrityCheck);
		this.succession = new Succession(this);
	}

	/**
	 * Attaches the application's way into the database.
	 * @param gate the gate
	 */
	public void attach(ConnectionGate gate) {
		this.gate = gate;
	}

	// ---------------------------------------------------------------- startup

	/**
	 * Brings the database to the newest state of its replicas before the first connection
	 * is handed out; runs once. With leases, the leases are taken first (DESIGN 4.14), a
	 * previous run's lease on this disk is taken back (4.15), and when another live
	 * instance holds them this instance starts as a warm successor instead (4.16): it
	 * restores without the leases, serves reads only, and takes the database over in
	 * {@link #start()} or before the first write, whichever comes first.
	 * @throws IOException if the leases cannot be taken or a replica cannot be restored
	 * @throws InterruptedException if interrupted while waiting for the leases
	 */
	public void restoreOnStartupIfNeeded() throws IOException, InterruptedException {
		if (this.restoreChecked) {
			return;
		}
		this.lock.lock();
		try {
			if (!this.restoreChecked) {
				restoreOnStartup();
				this.restoreChecked = true;
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	private void restoreOnStartup() throws IOException, InterruptedException {
		String name = this.config.name();
		if (this.config.lease().enabled() && !this.config.replicas().isEmpty()) {
			this.ownership.restartedOnSameDisk(SameDiskRestart.open(name, this.config.metaDirectory()),
					new LocalPositionCheck(this.config, this.integrityCheck));
			String holder = (this.config.lease().handover() == LeaseConfig.Handover.REQUEST)
					? this.ownership.liveHolder() : null;
			if (holder != null) {
				StartupRestore restore = new StartupRestore(this.config, this.integrityCheck);
				StartupRestore.Outcome outcome = restore.run(this.restoreOnStartup).orElse(null);
				this.standbyTxid = (outcome != null) ? outcome.result().txid() : restore.databaseTxid();
				this.ownership.standby(holder);
				logger.info("Database '{}' starts as a warm successor at TXID {}: {} serves it while this "
						+ "application starts on it (reads only); it is taken over once the application is ready, or "
						+ "before a write of its startup", name, LtxFileName.formatTxid(this.standbyTxid), holder);
				if (outcome != null) {
					this.config.listener().onRestore(name, outcome.result());
				}
				return;
			}
			this.ownership.acquire();
		}
		else {
			this.ownership.startLeases();
		}
		StartupRestore startupRestore = new StartupRestore(this.config, this.integrityCheck);
		StartupRestore.Outcome outcome = startupRestore.run(this.restoreOnStartup).orElse(null);
		long databaseTxid = (outcome != null) ? outcome.result().txid() : startupRestore.databaseTxid();
		requireHandedOverState(databaseTxid, outcome);
		if (outcome != null) {
			// The restorer logged the restore (start, progress, summary).
			this.config.listener().onRestore(name, outcome.result());
		}
	}

	/**
	 * Checked whatever the survey found (a replica it skipped may hold the state): the
	 * database starts at the TXID the previous instance released the leases at, or after.
	 */
	private void requireHandedOverState(long databaseTxid, StartupRestore.@Nullable Outcome outcome)
			throws RestoreException {
		Long handedOver = this.ownership.predecessorFinalTxid();
		if (handedOver == null) {
			return;
		}
		if (Long.compareUnsigned(databaseTxid, handedOver) < 0) {
			throw new RestoreException(
					"The previous instance released the lease at TXID " + LtxFileName.formatTxid(handedOver)
							+ ", but the database starts at TXID " + LtxFileName.formatTxid(databaseTxid)
							+ ((outcome != null) ? " (restored from replica '" + outcome.replica() + "')"
									: " (no replica could restore a newer state)")
							+ "; it would be older than the state that instance acknowledged");
		}
		logger.info("Database '{}' took over from the previous instance at TXID {}", this.config.name(),
				LtxFileName.formatTxid(handedOver));
	}

	/**
	 * Starts replication; a warm successor takes the database over first.
	 * @throws IOException if the engine cannot open the database, or a warm successor
	 * cannot take the database over
	 * @throws InterruptedException if interrupted while taking the database over
	 */
	public void start() throws IOException, InterruptedException {
		this.lock.lock();
		try {
			restoreOnStartupIfNeeded();
			if (this.ownership.isStandby()) {
				takeOver("the application is ready");
			}
			if (this.replicator != null) {
				return;
			}
			this.stopping = false;
			this.replicator = startReplicator();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Takes the database over as a warm successor (DESIGN 4.16): asks the holder for the
	 * leases while reads go on being served, waits for its release (it drains, syncs and
	 * writes its final TXID), brings the open database to the released state (the few
	 * files after the restored TXID), checks it reached that TXID, and only then
	 * acknowledges writes. Does nothing when this instance is not a warm successor (any
	 * more).
	 * @param why why now, for the log
	 * @throws IOException if the leases are not taken in time or the database cannot
	 * reach the released state; the leases are then given up (the previous instance takes
	 * the database back) and nothing is served
	 * @throws InterruptedException if interrupted
	 */
	public void takeOver(String why) throws IOException, InterruptedException {
		this.lock.lock();
		try {
			if (!this.ownership.isStandby()) {
				return;
			}
			String name = this.config.name();
			logger.info("Database '{}' asks for the leases to take the database over ({})", name, why);
			long started = System.nanoTime();
			StartupRestore.Outcome outcome;
			long txid;
			try {
				this.ownership.acquireFromStandby();
				this.catchingUp = true;
				long leased = System.nanoTime();
				StartupRestore restore = new StartupRestore(this.config, this.integrityCheck);
				outcome = restore.catchUpLive(this.standbyTxid).orElse(null);
				txid = (outcome != null) ? outcome.result().txid() : restore.databaseTxid();
				requireHandedOverState(txid, outcome);
				this.ownership.promote("took the database over at TXID " + LtxFileName.formatTxid(txid));
				logger.info(
						"Database '{}' was taken over in {} ms (leases {} ms, catch-up from TXID {} to {} in {} ms)",
						name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
						TimeUnit.NANOSECONDS.toMillis(leased - started), LtxFileName.formatTxid(this.standbyTxid),
						LtxFileName.formatTxid(txid), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - leased));
			}
			catch (IOException | InterruptedException | RuntimeException ex) {
				// Given up without writing: the previous instance takes it back
				this.ownership.stop(null);
				signalGate();
				throw ex;
			}
			finally {
				this.catchingUp = false;
			}
			signalGate();
			if (outcome != null) {
				this.config.listener().onRestore(name, outcome.result());
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Whether a warm successor holds the leases and brings its database to the released
	 * state right now: callers then wait for it rather than being sent elsewhere.
	 * @return whether catching up
	 */
	public boolean isCatchingUp() {
		return this.catchingUp;
	}

	/**
	 * Starts a new engine under the database's ownership. One that fails to start still
	 * holds the descriptor of the database file, which may only close after the pool
	 * (DESIGN section 4.1): it is retired, and closed with the others in
	 * {@link #close()}.
	 */
	Replicator startReplicator() throws IOException {
		Replicator created = new Replicator(this.config, this.ownership);
		try {
			created.start();
		}
		catch (IOException | RuntimeException ex) {
			this.retired.add(created);
			throw ex;
		}
		return created;
	}

	// ---------------------------------------------------------------- the running engine

	/**
	 * Returns the running engine.
	 * @return the engine, or {@code null} while replication does not run
	 */
	public @Nullable Replicator current() {
		return this.replicator;
	}

	void replace(@Nullable Replicator engine) {
		this.replicator = engine;
	}

	void retire(Replicator engine) {
		this.retired.add(engine);
		if (this.replicator == engine) {
			this.replicator = null;
		}
	}

	@Nullable ConnectionGate gate() {
		return this.gate;
	}

	void signalGate() {
		ConnectionGate attached = this.gate;
		if (attached != null) {
			attached.ownershipChanged();
		}
	}

	/**
	 * Returns whether the application is stopping replication.
	 * @return whether stopping or stopped
	 */
	public boolean isStopping() {
		return this.stopping;
	}

	/**
	 * Stops replication with a final sync bounded by the shutdown sync timeout, and
	 * releases the leases (carrying the final TXID when every replica holds it). The
	 * engine's descriptor of the database file stays open until {@link #close()}.
	 */
	public void stop() {
		this.lock.lock();
		try {
			this.stopping = true;
			Long finalTxid = stopEngine();
			this.ownership.stop(finalTxid);
			signalGate();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Stops the way SIGKILL stops a process, for tests: the leases stay in the replicas
	 * as they are (neither renewed nor released), and the meta directory's lock is let go
	 * of, as the operating system does for a dead process. The engine stops with its
	 * final sync, which a killed process may as well have done.
	 */
	public void kill() {
		this.lock.lock();
		try {
			this.stopping = true;
			stopEngine();
			this.ownership.abandon();
			closeRetired();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Stops the engine, keeping the leases.
	 * @return the final TXID every replica holds, or {@code null}
	 */
	private @Nullable Long stopEngine() {
		Replicator current = this.replicator;
		if (current == null) {
			return null;
		}
		current.stop();
		retire(current);
		return current.finalTxid();
	}

	/**
	 * Stops replication and closes every engine this database ran. Called once the pool
	 * is closed.
	 */
	public void close() {
		this.lock.lock();
		try {
			stop();
			closeRetired();
		}
		finally {
			this.lock.unlock();
		}
	}

	private void closeRetired() {
		for (Replicator old : this.retired) {
			old.close();
		}
		this.retired.clear();
	}

	// ---------------------------------------------------------------- in-place restore

	/**
	 * Rolls the live database back (or forward) to a state a replica holds, in place (see
	 * {@code LitestreamDatabase.restoreInPlace}): planned first (a target that cannot be
	 * restored changes nothing), then under the leases for its whole duration (DESIGN
	 * 4.15) the gate is paused, the engine stopped, the state copied in through SQLite,
	 * and replication resumes with a full-database L0 file.
	 * @param target what to restore
	 * @return the result
	 * @throws io.github.litestream.restore.RestoreTargetException if no replica can
	 * restore the target; nothing was changed
	 * @throws NoBackupException if no replica holds a backup; nothing was changed
	 * @throws IOException if the restore fails; the live database is then unchanged
	 * @throws TimeoutException if borrowed connections were not returned in time
	 * @throws InterruptedException if interrupted
	 */
	public RestoreResult restoreInPlace(RestoreTarget target)
			throws IOException, TimeoutException, InterruptedException {
		ConnectionGate attached = this.gate;
		if (attached == null) {
			throw new IllegalStateException("Database '" + this.config.name() + "' has no DataSource");
		}
		this.lock.lock();
		try (PreparedRestore prepared = this.restoreFiles.prepare(target)) {
			// The leases stay held for the whole restore (DESIGN 4.15): a handover
			// request that arrives meanwhile waits, and the successor gets the restored
			// state
			this.ownership.beginRestore();
			long started = System.nanoTime();
			Throwable outcome = null;
			boolean paused = false;
			PreparedRestore newest = null;
			try {
				attached.pause(this.drainTimeout);
				paused = true;
				if (target.isLatest()) {
					// The newest state is what this instance acknowledged: every commit
					// goes to the replicas first, or the restore would roll it back
					newest = prepareAfterFinalSync(target);
				}
				boolean wasRunning = this.replicator != null;
				stopEngine();
				try {
					RestoreResult result = this.restoreFiles.restoreAndCopy((newest != null) ? newest : prepared);
					this.config.listener().onRestore(this.config.name(), result);
					return new RestoreResult(result.output(), result.txid(), result.timestamp(), result.fileCount(),
							result.pageCount(), result.pageSize(), Duration.ofNanos(System.nanoTime() - started));
				}
				catch (IOException | RuntimeException | Error ex) {
					outcome = ex;
					throw ex;
				}
				finally {
					if (wasRunning) {
						restartAfterRestore(outcome);
					}
				}
			}
			catch (IOException | TimeoutException | InterruptedException | RuntimeException | Error ex) {
				outcome = ex;
				throw ex;
			}
			finally {
				if (newest != null) {
					newest.close();
				}
				// Owned again before the first writer is let through
				this.ownership.endRestore();
				if (paused) {
					resume(attached, outcome);
				}
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * With the gate paused, uploads everything committed and plans the restore of the
	 * newest state again: it then holds every acknowledged transaction.
	 * @throws RestoreException if a replica does not hold the last commit in time;
	 * nothing was changed
	 */
	private PreparedRestore prepareAfterFinalSync(RestoreTarget target) throws IOException, InterruptedException {
		Replicator current = this.replicator;
		if (current != null) {
			long txid = current.sync();
			if (!current.awaitReplicated(txid, this.config.shutdownSyncTimeout())) {
				throw new RestoreException("Database '" + this.config.name() + "' was not restored: not every "
						+ "replica holds its last commit (TXID " + LtxFileName.formatTxid(txid) + ") after "
						+ this.config.shutdownSyncTimeout().toSeconds() + "s, and restoring the newest state would "
						+ "roll those acknowledged transactions back; nothing was changed, retry once the replicas "
						+ "are reachable");
			}
		}
		return this.restoreFiles.prepare(target);
	}

	/**
	 * Restarts replication after an in-place restore. A failure to restart is added to
	 * the restore's own failure instead of replacing it.
	 */
	private void restartAfterRestore(@Nullable Throwable outcome) throws IOException {
		try {
			Replicator created = startReplicator();
			this.replicator = created;
			// The restored state is not a delta of anything the replicas hold.
			created.snapshot();
		}
		catch (IOException | RuntimeException ex) {
			if (outcome == null) {
				throw ex;
			}
			outcome.addSuppressed(ex);
		}
	}

	private static void resume(ConnectionGate gate, @Nullable Throwable outcome) {
		try {
			gate.resume();
		}
		catch (RuntimeException ex) {
			if (outcome == null) {
				throw ex;
			}
			outcome.addSuppressed(ex);
		}
	}

	@Override
	public String toString() {
		return "DatabaseRuntime[" + this.config.name() + ", " + this.ownership.state() + "]";
	}

}
