package io.github.litestream.jdbc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.core.IntegrityCheck;
import io.github.litestream.core.NoBackupException;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.Replicator;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.core.RestoreException;
import io.github.litestream.core.RestorePlan;
import io.github.litestream.core.RestorePlanner;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.RestoreTarget;
import io.github.litestream.core.Restorer;
import io.github.litestream.core.StartupRestore;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConnection;

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

	private volatile @Nullable Replicator replicator;

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

	Duration getBusyTimeout() {
		return this.config.busyTimeout();
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
		StartupRestore.Outcome outcome;
		try {
			outcome = new StartupRestore(this.config, this.settings.integrityCheck())
				.run(this.settings.restoreOnStartup())
				.orElse(null);
		}
		catch (IOException | RuntimeException ex) {
			throw new StartupRestoreException(getName(), getPath(), ex);
		}
		if (outcome != null) {
			RestoreResult result = outcome.result();
			logger.info("Restored database '{}' from replica '{}' ({}) to TXID {} in {} ms{}", getName(),
					outcome.replica(), outcome.location(), result.txid(), result.duration().toMillis(),
					outcome.caughtUp() ? " (it was behind)" : "");
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
			Replicator created = new Replicator(this.config);
			created.start();
			this.replicator = created;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Stops replication with a final sync bounded by the shutdown sync timeout. The
	 * engine's descriptor of the database file stays open until {@link #close()}.
	 */
	public void stop() {
		this.lock.lock();
		try {
			this.stopping = true;
			Replicator current = this.replicator;
			if (current != null) {
				current.stop();
				this.retired.add(current);
				this.replicator = null;
			}
		}
		finally {
			this.lock.unlock();
		}
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
	 * Rolls the live database back (or forward) to a state a replica holds, in place:
	 * pauses the DataSource, waits for borrowed connections (bounded by
	 * {@code litestream.restore.drain-timeout}), stops replication, restores into a
	 * temporary file, verifies it, copies it into the live database through SQLite (so
	 * every pooled connection stays valid and sees the restored state), resumes
	 * replication with a full-database L0 file and resumes the DataSource.
	 * @param target what to restore
	 * @return the result
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
		this.lock.lock();
		try {
			long started = System.nanoTime();
			wrapper.pause(this.settings.drainTimeout());
			try {
				boolean wasRunning = this.replicator != null;
				stop();
				try {
					RestoreResult result = restoreAndCopy(target);
					this.listener.onRestore(getName(), result);
					logger.info("Restored database '{}' in place to TXID {} ({}) in {} ms", getName(), result.txid(),
							target, (System.nanoTime() - started) / 1_000_000);
					return new RestoreResult(result.output(), result.txid(), result.timestamp(), result.fileCount(),
							result.pageCount(), result.pageSize(), Duration.ofNanos(System.nanoTime() - started));
				}
				finally {
					if (wasRunning) {
						Replicator created = new Replicator(this.config);
						created.start();
						this.replicator = created;
						this.stopping = false;
						// The restored state is not a delta of anything the replicas
						// hold.
						created.snapshot();
					}
				}
			}
			finally {
				wrapper.resume();
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	private RestoreResult restoreAndCopy(RestoreTarget target) throws IOException {
		Replica source = null;
		RestorePlan plan = null;
		RestoreException firstFailure = null;
		for (Replica replica : this.replicas) {
			try {
				plan = RestorePlanner.plan(listFiles(replica), target, replica.client().location());
				source = replica;
				break;
			}
			catch (RestoreException ex) {
				if (firstFailure == null) {
					firstFailure = ex;
				}
			}
		}
		if (plan == null || source == null) {
			throw (firstFailure != null) ? firstFailure
					: new NoBackupException("Database '" + getName() + "' has no replica");
		}
		Path temp = getPath().resolveSibling("." + getPath().getFileName() + "-restore.db");
		try {
			RestoreResult result = new Restorer(this.config.clock(), this.config.restoreParallelism())
				.restore(source.client(), plan, temp, this.settings.integrityCheck());
			copyInto(temp);
			return result;
		}
		finally {
			Files.deleteIfExists(temp);
			Files.deleteIfExists(temp.resolveSibling(temp.getFileName() + "-wal"));
			Files.deleteIfExists(temp.resolveSibling(temp.getFileName() + "-shm"));
		}
	}

	/**
	 * Copies the restored file into the live database with SQLite's backup API: the live
	 * file keeps its inode and locks, the pages go through SQLite (and its WAL), and
	 * other connections see the new content at their next transaction.
	 */
	private void copyInto(Path restored) throws IOException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + getPath())) {
			try (Statement statement = connection.createStatement()) {
				statement.execute("PRAGMA busy_timeout = " + this.config.busyTimeout().toMillis());
			}
			SQLiteConnection sqlite = connection.unwrap(SQLiteConnection.class);
			int rc = sqlite.getDatabase().restore("main", restored.toString(), null, 100, 50, -1);
			if (rc != 0) {
				throw new RestoreException("Copying the restored database into '" + getPath()
						+ "' failed with SQLite result code " + rc + "; the live database was not changed");
			}
		}
		catch (SQLException ex) {
			throw new RestoreException("Copying the restored database into '" + getPath() + "' failed: "
					+ ex.getMessage() + "; the live database was not changed", ex);
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

}
