package io.github.litestream.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.NoBackupException;
import io.github.litestream.restore.PreparedRestore;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConnection;

/**
 * The file work of an in-place restore ({@link DatabaseRuntime#restoreInPlace}): plans it
 * on the first replica that can restore the target, restores into a temporary file beside
 * the database, and copies that into the live database through SQLite. The sequencing
 * (ownership, pausing the DataSource, the engine) stays with the database.
 */
final class InPlaceRestoreFiles {

	private static final Logger logger = LoggerFactory.getLogger(InPlaceRestoreFiles.class);

	private final ReplicatorConfig config;

	private final IntegrityCheck integrityCheck;

	InPlaceRestoreFiles(ReplicatorConfig config, IntegrityCheck integrityCheck) {
		this.config = config;
		this.integrityCheck = integrityCheck;
	}

	/**
	 * Plans the restore on the first replica that can restore the target.
	 */
	PreparedRestore prepare(RestoreTarget target) throws IOException {
		Restorer restorer = new Restorer(this.config.clock(), this.config.restoreParallelism());
		RestoreException firstFailure = null;
		for (ReplicaConfig replica : this.config.replicas()) {
			try {
				return restorer.prepare(replica.client(), target);
			}
			catch (RestoreException ex) {
				if (firstFailure == null) {
					firstFailure = ex;
				}
				else {
					firstFailure.addSuppressed(ex);
				}
			}
		}
		throw (firstFailure != null) ? firstFailure
				: new NoBackupException("Database '" + this.config.name() + "' has no replica");
	}

	RestoreResult restoreAndCopy(PreparedRestore prepared) throws IOException {
		Path temp = this.config.databasePath()
			.resolveSibling("." + this.config.databasePath().getFileName() + "-restore.db");
		RestoreResult result;
		try {
			result = new Restorer(this.config.clock(), this.config.restoreParallelism()).restore(prepared, temp,
					this.integrityCheck, "database '" + this.config.name() + "' in place");
			copyInto(this.config, temp);
		}
		catch (IOException | RuntimeException ex) {
			deleteTemporaries(this.config, temp, ex);
			throw ex;
		}
		deleteTemporaries(this.config, temp, null);
		return result;
	}

	/**
	 * Deletes the temporary restore files. A failure to delete is added to the restore's
	 * own failure instead of replacing it, and only logged after a restore that succeeded
	 * (the live database holds the restored state by then).
	 */
	static void deleteTemporaries(ReplicatorConfig config, Path temp, @Nullable Throwable outcome) {
		for (String suffix : new String[] { "", "-wal", "-shm" }) {
			Path file = temp.resolveSibling(temp.getFileName() + suffix);
			try {
				Files.deleteIfExists(file);
			}
			catch (IOException ex) {
				if (outcome != null) {
					outcome.addSuppressed(ex);
				}
				else {
					logger.warn("Restored database '{}' but could not delete the temporary file {}: {}", config.name(),
							file, ex.toString());
				}
			}
		}
	}

	/**
	 * Copies the restored file into the live database with SQLite's backup API: the live
	 * file keeps its inode and locks, the pages go through SQLite (and its WAL), and
	 * other connections see the new content at their next transaction.
	 */
	static void copyInto(ReplicatorConfig config, Path restored) throws IOException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + config.databasePath())) {
			try (Statement statement = connection.createStatement()) {
				statement.execute("PRAGMA busy_timeout = " + config.busyTimeout().toMillis());
			}
			SQLiteConnection sqlite = connection.unwrap(SQLiteConnection.class);
			int rc = sqlite.getDatabase().restore("main", restored.toString(), null, 100, 50, -1);
			if (rc != 0) {
				throw new RestoreException("Copying the restored database into '" + config.databasePath()
						+ "' failed with SQLite result code " + rc + "; the live database was not changed");
			}
		}
		catch (SQLException ex) {
			throw new RestoreException("Copying the restored database into '" + config.databasePath() + "' failed: "
					+ ex.getMessage() + "; the live database was not changed", ex);
		}
	}

}
