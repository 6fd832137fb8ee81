package io.github.litestream.jdbc;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.ownership.OwnershipState;
import io.github.litestream.ownership.SameDiskRestart;
import io.github.litestream.replication.ReplicationTimeoutException;
import io.github.litestream.replication.Replicator;
import io.github.litestream.replication.StartupRestore;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.NoBackupException;
import io.github.litestream.restore.PreparedRestore;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication runtime of one SQLite database: its replicas, its {@link Replicator},
 * restore on startup and restore in place. Created by the DataSource wrapping
 * post-processor; started and stopped by the replication lifecycle.
 */
public final class LitestreamDatabase {

	private static final Logger logger = LoggerFactory.getLogger(LitestreamDatabase.class);

	private final ReplicatorConfig config;

	private final List<Replica> replicas;

	private final Settings settings;

	private final CompositeReplicationListener listener;

	private final ReentrantLock lock = new ReentrantLock();

	/** Replicators stopped by an in-place restore; closed only with the pool. */
	private final List<Replicator> retired = new ArrayList<>();

	/**
	 * Whether this instance may serve the database and acknowledge writes (DESIGN 4.14):
	 * the one source of truth, read by the DataSource gate, health and the endpoint.
	 */
	private final DatabaseOwnership ownership;

	private volatile @Nullable Replicator replicator;

	/** Plans an in-place restore and copies its result into the live database. */
	private final InPlaceRestoreFiles restoreFiles;

	private volatile boolean restoreChecked;

	private volatile boolean stopping;

	private @Nullable LitestreamDataSource dataSource;

	/**
	 * Creates the runtime.
	 * @param config the engine settings; its listener must be {@code listener}
	 * @param replicas the replicas, in the order of {@code config.replicas()}
	 * @param settings the restore settings
	 * @param listener the listener the engine reports to
	 */
	public LitestreamDatabase(ReplicatorConfig config, List<Replica> replicas, Settings settings,
			CompositeReplicationListener listener) {
		this.config = config;
		this.replicas = List.copyOf(replicas);
		this.settings = settings;
		this.listener = listener;
		this.ownership = Replicator.ownershipOf(config);
		this.restoreFiles = new InPlaceRestoreFiles(config, this.replicas, settings.integrityCheck());
		this.ownership.onHandoverRequested(this::handoverRequested);
		this.ownership.onSupplanted(this::supplanted);
	}

	/**
	 * Returns the ownership of the database: whether this instance serves it and
	 * acknowledges writes, and why.
	 * @return the ownership
	 */
	public DatabaseOwnership getOwnership() {
		return this.ownership;
	}

	/**
	 * Builds the engine settings from the replicas and a configured builder.
	 * @param builder the builder with every setting except replicas and listener
	 * @param replicas the replicas
	 * @param listener the listener
	 * @return the settings
	 */
	public static ReplicatorConfig config(ReplicatorConfig.Builder builder, List<Replica> replicas,
			ReplicationListener listener) {
		for (Replica replica : replicas) {
			builder.replica(new ReplicaConfig(replica.name(), replica.client(), replica.syncInterval()));
		}
		return builder.listener(listener).build();
	}

	void attach(LitestreamDataSource dataSource) {
		this.dataSource = dataSource;
	}

	/**
	 * Returns the database name (the DataSource bean name).
	 * @return the name
	 */
	public String getName() {
		return this.config.name();
	}

	/**
	 * Returns the database file.
	 * @return the absolute path
	 */
	public Path getPath() {
		return this.config.databasePath();
	}

	/**
	 * Returns the replicas.
	 * @return the replicas
	 */
	public List<Replica> getReplicas() {
		return this.replicas;
	}

	/**
	 * Returns the engine settings.
	 * @return the settings
	 */
	public ReplicatorConfig getConfig() {
		return this.config;
	}

	/**
	 * Sets the listeners that receive the engine's events.
	 * @param listeners the listeners
	 */
	public void setListeners(List<ReplicationListener> listeners) {
		this.listener.setDelegates(listeners);
	}

	/**
	 * Brings the database to the newest state of its replicas before the first connection
	 * is handed out (see {@link StartupRestore}): a missing database is restored from the
	 * replica with the highest restorable TXID, and an existing database behind a replica
	 * catches up from it. Runs once.
	 * @throws StartupRestoreException if a replica holds a backup that cannot be
	 * restored, or a newer state the database cannot catch up with (or, with restores on
	 * startup off, any newer state)
	 */
	public void restoreOnStartupIfNeeded() {
		if (this.restoreChecked) {
			return;
		}
		this.lock.lock();
		try {
			if (this.restoreChecked) {
				return;
			}
			restoreOnStartup();
			this.restoreChecked = true;
		}
		finally {
			this.lock.unlock();
		}
	}

	private void restoreOnStartup() {
		// No lease, no service (DESIGN 4.14): nothing is restored nor served before this
		// instance holds every lease; a lease that cannot be read is waited for
		try {
			if (this.config.lease().enabled() && !this.replicas.isEmpty()) {
				this.ownership.restartedOnSameDisk(SameDiskRestart.open(getName(), this.config.metaDirectory()),
						new LocalPositionCheck(this.config, this.replicas, this.settings.integrityCheck()));
				this.ownership.acquire();
			}
			else {
				this.ownership.startLeases();
			}
		}
		catch (IOException ex) {
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
		StartupRestore startupRestore = new StartupRestore(this.config, this.settings.integrityCheck());
		StartupRestore.Outcome outcome;
		long databaseTxid;
		try {
			outcome = startupRestore.run(this.settings.restoreOnStartup()).orElse(null);
			databaseTxid = (outcome != null) ? outcome.result().txid() : startupRestore.databaseTxid();
		}
		catch (IOException | RuntimeException ex) {
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
		Long handedOver = this.ownership.predecessorFinalTxid();
		// Checked whatever the survey found (a replica it skipped may hold the state)
		if (handedOver != null && Long.compareUnsigned(databaseTxid, handedOver) < 0) {
			throw new StartupRestoreException(getName(), getPath(),
					new RestoreException(
							"The previous instance released the lease at TXID " + LtxFileName.formatTxid(handedOver)
									+ ", but the database starts at TXID " + LtxFileName.formatTxid(databaseTxid)
									+ ((outcome != null) ? " (restored from replica '" + outcome.replica() + "')"
											: " (no replica could restore a newer state)")
									+ "; it would be older than the state that instance acknowledged"));
		}
		if (handedOver != null) {
			logger.info("Database '{}' took over from the previous instance at TXID {}", getName(),
					LtxFileName.formatTxid(handedOver));
		}
		if (outcome != null) {
			RestoreResult result = outcome.result();
			// The restorer logged the restore (start, progress, summary).
			this.listener.onRestore(getName(), result);
		}
	}

	/**
	 * Starts replication.
	 * @throws IOException if the engine cannot open the database
	 */
	public void start() throws IOException {
		this.lock.lock();
		try {
			restoreOnStartupIfNeeded();
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
	 * Starts a new engine under the database's ownership. One that fails to start still
	 * holds the descriptor of the database file, which may only close after the pool
	 * (DESIGN section 4.1): it is retired, and closed with the others in
	 * {@link #close()}.
	 */
	private Replicator startReplicator() throws IOException {
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
			signalDataSource();
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
	void kill() {
		this.lock.lock();
		try {
			this.stopping = true;
			stopEngine();
			this.ownership.abandon();
			for (Replicator old : this.retired) {
				old.close();
			}
			this.retired.clear();
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
		this.retired.add(current);
		this.replicator = null;
		return current.finalTxid();
	}

	private void signalDataSource() {
		LitestreamDataSource wrapper = this.dataSource;
		if (wrapper != null) {
			wrapper.ownershipChanged();
		}
	}

	/**
	 * Another instance asked for the leases: hands the database over on a thread of its
	 * own, so the lease thread goes on renewing meanwhile.
	 */
	private void handoverRequested(String requester) {
		Thread thread = new Thread(() -> handOver(requester), "litestream-" + getName() + "-handover");
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * Hands the database over to the instance that asked for it (DESIGN 4.16): pauses the
	 * DataSource (transactions in flight finish, new callers wait), syncs until every
	 * replica holds the last commit, then stops the engine and releases the leases with
	 * that final TXID; connections are refused from then on. If a step fails, the
	 * DataSource resumes, this instance keeps the leases, and the request is passed on
	 * again a TTL later.
	 */
	private void handOver(String requester) {
		this.lock.lock();
		try {
			if (!this.ownership.state().serves() || this.ownership.state() == OwnershipState.STOPPED) {
				// Already handed over (a request passed on twice), taken over or stopped
				return;
			}
			Replicator current = this.replicator;
			LitestreamDataSource wrapper = this.dataSource;
			if (current == null || !current.isRunning() || this.stopping || wrapper == null) {
				logger.info("Database '{}' cannot hand over to {} now ({}); asked again later", getName(), requester,
						(current == null || !current.isRunning()) ? "replication is not running"
								: (wrapper == null) ? "no DataSource to pause" : "stopping");
				this.ownership.declineHandover();
				return;
			}
			if (!this.ownership.beginHandover(requester)) {
				logger.info("Database '{}' cannot hand over to {} while it is {} ({}); asked again later", getName(),
						requester, this.ownership.state(), this.ownership.whyNotWritable());
				this.ownership.declineHandover();
				return;
			}
			long started = System.nanoTime();
			try {
				wrapper.pause(this.settings.drainTimeout());
			}
			catch (TimeoutException ex) {
				logger.warn("Database '{}' could not hand over to {}: {}", getName(), requester, ex.getMessage());
				this.ownership.handoverFailed(ex.getMessage());
				return;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				this.ownership.handoverFailed("interrupted");
				return;
			}
			boolean handedOver = false;
			try {
				long txid = current.sync();
				if (!current.awaitReplicated(txid, this.config.shutdownSyncTimeout())) {
					String why = "not every replica holds TXID " + LtxFileName.formatTxid(txid) + " after "
							+ this.config.shutdownSyncTimeout();
					logger.warn("Database '{}' could not hand over to {}: {}", getName(), requester, why);
					this.ownership.handoverFailed(why);
					return;
				}
				if (!this.ownership.stillRequested(requester)) {
					String why = requester + " no longer asks for it (it gave up waiting)";
					logger.info("Database '{}' does not hand over: {}", getName(), why);
					this.ownership.handoverFailed(why);
					return;
				}
				current.stop(true);
				this.retired.add(current);
				this.replicator = null;
				Long stoppedAt = current.finalTxid();
				long finalTxid = (stoppedAt != null) ? stoppedAt : txid;
				this.ownership.handedOver(requester, finalTxid);
				handedOver = true;
				wrapper.ownershipChanged();
				logger.info("Database '{}' handed over to {} at TXID {}; writes were paused for {} ms", getName(),
						requester, LtxFileName.formatTxid(finalTxid),
						TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
				this.listener.onHandover(getName(), requester, finalTxid);
				watchForReclaim(finalTxid, requester);
			}
			catch (IOException | RuntimeException | InterruptedException ex) {
				if (ex instanceof InterruptedException) {
					Thread.currentThread().interrupt();
				}
				logger.warn("Database '{}' could not hand over to {}: {}", getName(), requester, ex.getMessage());
				if (!handedOver) {
					this.ownership.handoverFailed(String.valueOf(ex.getMessage()));
				}
			}
			finally {
				// After a handover the ownership refuses every caller, paused or not
				wrapper.resume();
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Another instance held a lease after this one (it took over while this instance was
	 * paused or cut off from the replica): it serves the database now, and anything
	 * written here would be lost. The ownership is {@code SUPPLANTED} already, so no
	 * connection is handed out; this stops the engine without a final upload (it may not
	 * write the replica), and takes the database back only if that instance gives it up
	 * without writing.
	 */
	private void supplanted(String holder) {
		signalDataSource();
		Thread thread = new Thread(() -> {
			this.lock.lock();
			try {
				Replicator current = this.replicator;
				if (this.stopping || current == null) {
					return;
				}
				long replicated = Math.max(current.replicatedTxid(), 0);
				current.stop();
				this.retired.add(current);
				this.replicator = null;
				logger.error(
						"Database '{}' is served by {} now: it took the replica's lease over while this "
								+ "instance could not renew it. This instance stops serving the database; writes it "
								+ "acknowledged after TXID {} are not on the replica",
						getName(), holder, LtxFileName.formatTxid(replicated));
				this.listener.onHandover(getName(), holder, replicated);
				watchForReclaim(replicated, holder);
			}
			finally {
				this.lock.unlock();
			}
		}, "litestream-" + getName() + "-supplanted");
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * Watches, after a handover, whether the successor gives the database up before it
	 * wrote anything (it failed to start: a failed migration, a port in use): then this
	 * instance takes it back and serves again, rather than leaving nobody serving. Stops
	 * once a replica moved past the final TXID.
	 */
	private void watchForReclaim(long txid, String successor) {
		Thread thread = new Thread(() -> {
			// Often: clients get 503s until the database is served again
			long interval = Math.max(100, this.config.lease().renewInterval().toMillis() / 5);
			while (!this.stopping) {
				try {
					Thread.sleep(interval);
					if (reclaim(txid, successor)) {
						return;
					}
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				catch (IOException | RuntimeException ex) {
					logger.debug("Database '{}' could not check whether its successor gave it up: {}", getName(),
							ex.getMessage());
				}
			}
		}, "litestream-" + getName() + "-reclaim");
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * @return whether watching can stop: taken back, or the successor wrote
	 */
	private boolean reclaim(long txid, String successor) throws IOException, InterruptedException {
		if (this.stopping) {
			return true;
		}
		// Outside the lock: taking the leases may wait up to a renew interval
		DatabaseOwnership.Reclaim outcome = this.ownership.reclaim(txid,
				(after) -> Replicator.movedPast(this.config, after));
		if (outcome == DatabaseOwnership.Reclaim.MOVED_ON) {
			logger.info("Database '{}' is served by {} now (its replicas moved past TXID {})", getName(), successor,
					LtxFileName.formatTxid(txid));
			return true;
		}
		if (outcome == DatabaseOwnership.Reclaim.BUSY) {
			return false;
		}
		this.lock.lock();
		try {
			if (this.stopping) {
				this.ownership.stop(null);
				return true;
			}
			try {
				this.replicator = startReplicator();
			}
			catch (IOException | RuntimeException ex) {
				this.ownership.stop(null);
				throw ex;
			}
			this.ownership.reclaimed(
					successor + " gave the database up without writing after TXID " + LtxFileName.formatTxid(txid));
			signalDataSource();
			logger.warn(
					"Database '{}' was taken back: {} gave it up without writing after TXID {} (did it fail to "
							+ "start?); this instance serves it again",
					getName(), successor, LtxFileName.formatTxid(txid));
			this.listener.onHandoverReverted(getName(), successor, txid);
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	private void requireServing() {
		OwnershipState state = this.ownership.state();
		DatabaseOwnership.Successor successor = this.ownership.successor();
		if ((state == OwnershipState.HANDED_OVER || state == OwnershipState.SUPPLANTED) && successor != null) {
			throw new IllegalStateException("Database '" + getName() + "' was "
					+ ((state == OwnershipState.HANDED_OVER) ? "handed over to " : "taken over by ") + successor.to()
					+ ((successor.txid() >= 0) ? " at TXID " + LtxFileName.formatTxid(successor.txid()) : "")
					+ "; this instance no longer serves it (use the endpoint of the instance that does)");
		}
	}

	/**
	 * Returns the instance this one is handing the database over to right now (its
	 * connections are paused meanwhile).
	 * @return the requester ({@code host:pid/instance}), or {@code null}
	 */
	public @Nullable String getHandingOverTo() {
		return this.ownership.handingOverTo();
	}

	/**
	 * Returns the handover this instance made (or the takeover it suffered), if any: it
	 * then serves the database no more.
	 * @return the handover, or {@code null}
	 */
	public @Nullable Handover getHandover() {
		OwnershipState state = this.ownership.state();
		DatabaseOwnership.Successor successor = this.ownership.successor();
		if ((state != OwnershipState.HANDED_OVER && state != OwnershipState.SUPPLANTED) || successor == null) {
			return null;
		}
		return new Handover(successor.to(), Math.max(successor.txid(), 0), successor.at());
	}

	/**
	 * Returns whether replication runs.
	 * @return whether the engine is running
	 */
	public boolean isRunning() {
		Replicator current = this.replicator;
		return current != null && current.isRunning();
	}

	/**
	 * Returns whether the application is stopping replication.
	 * @return whether stopping or stopped
	 */
	public boolean isStopping() {
		return this.stopping;
	}

	/**
	 * Closes every replicator this database ran. Called by the DataSource wrapper once
	 * the pool is closed.
	 */
	void close() {
		this.lock.lock();
		try {
			stop();
			for (Replicator old : this.retired) {
				old.close();
			}
			this.retired.clear();
			for (Replica replica : this.replicas) {
				try {
					replica.client().close();
				}
				catch (IOException ex) {
					logger.debug("Closing replica '{}' of database '{}' failed", replica.name(), getName(), ex);
				}
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Tells the engine that a transaction committed in this JVM, so it cuts the next L0
	 * file without waiting for the monitor poll. The DataSource wrapper calls it; code
	 * writing through other connections may too.
	 */
	public void notifyCommit() {
		Replicator current = this.replicator;
		if (current != null) {
			current.notifyCommit();
		}
	}

	/**
	 * Waits until every transaction this thread (or any other) committed before the call
	 * is on every replica. Nothing is uploaded early for it: the commit rides the next
	 * regular cut, so the wait lasts up to one sync interval plus an upload (much less in
	 * eager mode, {@code sync-interval: 0}). While this instance may not write its
	 * replicas (a fenced or lost lease) or a replica fails, the wait times out.
	 * @param timeout how long to wait at most
	 * @return the TXID waited for, now on every replica
	 * @throws ReplicationTimeoutException if a replica did not hold it in time; the
	 * exception names the database, the TXID and the replica that lags
	 * @throws IllegalStateException if replication does not run
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public long awaitReplicated(Duration timeout) throws InterruptedException {
		return requireReplicator().awaitCommitsReplicated(timeout);
	}

	/**
	 * Returns the engine status, or {@code null} while replication does not run.
	 * @return the status
	 */
	public @Nullable ReplicatorStatus status() {
		Replicator current = this.replicator;
		return (current != null) ? current.status() : null;
	}

	/**
	 * Copies everything committed so far into a local L0 file now and waits (bounded by
	 * the shutdown sync timeout) until every replica has it.
	 * @return the TXID and whether every replica has it
	 * @throws IOException if the sync fails
	 * @throws InterruptedException if interrupted while waiting
	 */
	public SyncOutcome sync() throws IOException, InterruptedException {
		Replicator current = requireReplicator();
		long txid = current.sync();
		return new SyncOutcome(txid, current.awaitReplicated(txid, this.config.shutdownSyncTimeout()));
	}

	/**
	 * Writes a full-database L0 file now and waits (bounded) until every replica has it.
	 * @return the TXID and whether every replica has it
	 * @throws IOException if the snapshot fails
	 * @throws InterruptedException if interrupted while waiting
	 */
	public SyncOutcome snapshot() throws IOException, InterruptedException {
		Replicator current = requireReplicator();
		long txid = current.snapshot();
		return new SyncOutcome(txid, current.awaitReplicated(txid, this.config.shutdownSyncTimeout()));
	}

	private Replicator requireReplicator() {
		requireServing();
		Replicator current = this.replicator;
		if (current == null) {
			throw new IllegalStateException("Replication of database '" + getName() + "' is not running");
		}
		return current;
	}

	/**
	 * Lists every file of a replica.
	 * @param replica the replica
	 * @return the files, by level then TXID
	 * @throws IOException if listing fails
	 */
	public List<LtxFileInfo> listFiles(Replica replica) throws IOException {
		return RestorePlanner.listAll(replica.client());
	}

	/**
	 * Rolls the live database back (or forward) to a state a replica holds, in place.
	 * First lists the replicas and plans the restore (the first replica that can restore
	 * the target is used); a target that cannot be restored fails here and changes
	 * nothing: the DataSource is not paused and replication keeps running. Then pauses
	 * the DataSource, waits for borrowed connections (bounded by
	 * {@code litestream.restore.drain-timeout}), stops replication, restores into a
	 * temporary file, verifies it, copies it into the live database through SQLite (so
	 * every pooled connection stays valid and sees the restored state), resumes
	 * replication with a full-database L0 file and resumes the DataSource. The planned
	 * files are reserved against retention in this JVM until the restore ends.
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
		LitestreamDataSource wrapper = this.dataSource;
		if (wrapper == null) {
			throw new IllegalStateException("Database '" + getName() + "' has no DataSource");
		}
		requireServing();
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
				wrapper.pause(this.settings.drainTimeout());
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
					this.listener.onRestore(getName(), result);
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
					resume(wrapper, outcome);
				}
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * With the DataSource paused, uploads everything committed and plans the restore of
	 * the newest state again: it then holds every acknowledged transaction.
	 * @throws RestoreException if a replica does not hold the last commit in time;
	 * nothing was changed
	 */
	private PreparedRestore prepareAfterFinalSync(RestoreTarget target) throws IOException, InterruptedException {
		Replicator current = this.replicator;
		if (current != null) {
			long txid = current.sync();
			if (!current.awaitReplicated(txid, this.config.shutdownSyncTimeout())) {
				throw new RestoreException("Database '" + getName() + "' was not restored: not every replica holds its "
						+ "last commit (TXID " + LtxFileName.formatTxid(txid) + ") after "
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

	private static void resume(LitestreamDataSource wrapper, @Nullable Throwable outcome) {
		try {
			wrapper.resume();
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
		return "LitestreamDatabase[" + getName() + ", " + getPath() + "]";
	}

	/**
	 * Restore settings of a database.
	 *
	 * @param restoreOnStartup whether to restore a missing database on startup
	 * @param integrityCheck the check run on restored files
	 * @param drainTimeout how long an in-place restore waits for borrowed connections
	 */
	public record Settings(boolean restoreOnStartup, IntegrityCheck integrityCheck, Duration drainTimeout) {
	}

	/**
	 * The outcome of a forced sync or snapshot.
	 *
	 * @param txid the local TXID that covers every commit before the call
	 * @param replicated whether every replica had it within the shutdown sync timeout
	 */
	public record SyncOutcome(long txid, boolean replicated) {
	}

	/**
	 * A handover of the database to another instance.
	 *
	 * @param to the instance that asked for it ({@code host:pid/instance})
	 * @param txid the final TXID every replica held
	 * @param at when it completed
	 */
	public record Handover(String to, long txid, Instant at) {
	}

}
