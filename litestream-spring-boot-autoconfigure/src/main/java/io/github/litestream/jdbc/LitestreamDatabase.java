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
import io.github.litestream.replication.DatabaseRuntime;
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

	/**
	 * Whether this instance may serve the database and acknowledge writes (DESIGN 4.14):
	 * the one source of truth, read by the DataSource gate, health and the endpoint.
	 */
	private final DatabaseOwnership ownership;

	/** The engine's sequencing: startup, takeover, handover, in-place restore. */
	private final DatabaseRuntime runtime;

	private @Nullable LitestreamDataSource dataSource;

	/** The thread that starts the context, once the startup is done but the takeover. */
	private volatile @Nullable Thread startupThread;

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
		this.runtime = new DatabaseRuntime(config, this.ownership, settings.restoreOnStartup(),
				settings.integrityCheck(), settings.drainTimeout());
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
		this.runtime.attach(dataSource);
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
	 * catches up from it. With leases, the leases are taken first, or, when another
	 * instance serves the database, this instance starts as its warm successor (DESIGN
	 * 4.16: restored now, reads only, taken over by {@link #start()}). Runs once.
	 * @throws StartupRestoreException if a replica holds a backup that cannot be
	 * restored, or a newer state the database cannot catch up with (or, with restores on
	 * startup off, any newer state), or the leases cannot be taken
	 */
	public void restoreOnStartupIfNeeded() {
		try {
			this.runtime.restoreOnStartupIfNeeded();
		}
		catch (IOException | RuntimeException ex) {
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
	}

	/**
	 * Starts replication. A warm successor takes the database over first: it asks the
	 * instance that serves it to hand over and catches up with the released state.
	 * @throws IOException if the engine cannot open the database or a warm successor
	 * cannot take it over
	 */
	public void start() throws IOException {
		restoreOnStartupIfNeeded();
		try {
			this.runtime.takeOver("the application is ready");
		}
		catch (IOException | RuntimeException ex) {
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
		try {
			this.runtime.start();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("Interrupted while starting replication of database '" + getName() + "'", ex);
		}
	}

	/**
	 * Takes the database over now when this instance is a warm successor (DESIGN 4.16),
	 * before a write of the application's startup (a pending migration, a script, a
	 * seeding runner): that write then runs as the owner, and the deploy pays the longer
	 * gap. Logs one line with the reason.
	 * @param why what wants to write
	 * @throws IOException if the database cannot be taken over
	 * @throws InterruptedException if interrupted
	 */
	public void takeOverBeforeWrite(String why) throws IOException, InterruptedException {
		if (!this.ownership.isStandby()) {
			return;
		}
		logger.info("Database '{}' is taken over before its startup is done: {} writes during the startup, which "
				+ "only the owner may; this deploy's gap is longer", getName(), why);
		this.runtime.takeOver(why);
	}

	/**
	 * Marks the application's startup as done but for the takeover of a warm successor
	 * (DESIGN 4.16): from now on only the calling thread (the one starting the context)
	 * reads the restored state; every other caller, such as a request that reaches the
	 * web server before the takeover, waits for it instead of reading a state older than
	 * what the serving instance acknowledged. Does nothing when this instance is not a
	 * warm successor.
	 */
	public void startupDone() {
		if (this.ownership.isStandby()) {
			this.startupThread = Thread.currentThread();
		}
	}

	/**
	 * Whether a caller on the current thread waits for a warm successor's takeover.
	 * @return whether to wait
	 */
	boolean awaitsTakeover() {
		Thread startup = this.startupThread;
		return startup != null && startup != Thread.currentThread() && this.ownership.isStandby();
	}

	/**
	 * Whether a warm successor holds the leases and catches up right now: its callers
	 * wait for it then, and are refused before.
	 * @return whether the takeover is under way
	 */
	boolean isCatchingUp() {
		return this.runtime.isCatchingUp();
	}

	/**
	 * Stops replication with a final sync bounded by the shutdown sync timeout, and
	 * releases the leases (carrying the final TXID when every replica holds it). The
	 * engine's descriptor of the database file stays open until {@link #close()}.
	 */
	public void stop() {
		this.runtime.stop();
	}

	/**
	 * Stops the way SIGKILL stops a process, for tests (see
	 * {@link DatabaseRuntime#kill()}).
	 */
	void kill() {
		this.runtime.kill();
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
		Replicator current = this.runtime.current();
		return current != null && current.isRunning();
	}

	/**
	 * Returns whether the application is stopping replication.
	 * @return whether stopping or stopped
	 */
	public boolean isStopping() {
		return this.runtime.isStopping();
	}

	/**
	 * Closes every replicator this database ran. Called by the DataSource wrapper once
	 * the pool is closed.
	 */
	void close() {
		try {
			this.runtime.close();
		}
		finally {
			for (Replica replica : this.replicas) {
				try {
					replica.client().close();
				}
				catch (IOException ex) {
					logger.debug("Closing replica '{}' of database '{}' failed", replica.name(), getName(), ex);
				}
			}
		}
	}

	/**
	 * Tells the engine that a transaction committed in this JVM, so it cuts the next L0
	 * file without waiting for the monitor poll. The DataSource wrapper calls it; code
	 * writing through other connections may too.
	 */
	public void notifyCommit() {
		Replicator current = this.runtime.current();
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
		Replicator current = this.runtime.current();
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
		Replicator current = this.runtime.current();
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
		if (this.dataSource == null) {
			throw new IllegalStateException("Database '" + getName() + "' has no DataSource");
		}
		requireServing();
		return this.runtime.restoreInPlace(target);
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
