package io.github.litestream.core;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The two SQLite connections the engine owns (DESIGN section 4.2 and 4.4): the reader,
 * which holds a read transaction so nobody can restart the WAL behind the engine and
 * which runs checkpoints, and the barrier, which takes the write lock while the engine
 * copies the WAL tail before a checkpoint.
 */
final class EngineConnections implements AutoCloseable {

	static final String SEQ_TABLE = "_litestream_seq";

	static final String LOCK_TABLE = "_litestream_lock";

	private final Path database;

	private final Connection reader;

	private final Connection barrier;

	private boolean readLockHeld;

	private boolean barrierHeld;

	private EngineConnections(Path database, Connection reader, Connection barrier) {
		this.database = database;
		this.reader = reader;
		this.barrier = barrier;
	}

	/**
	 * Opens both connections, puts the database into WAL mode, turns automatic
	 * checkpoints off, creates the engine's tables and takes the read lock.
	 */
	static EngineConnections open(Path database, Duration busyTimeout) throws IOException {
		Connection reader = null;
		Connection barrier = null;
		try {
			reader = connect(database, busyTimeout);
			try (Statement statement = reader.createStatement()) {
				String mode = queryString(statement, "PRAGMA journal_mode=WAL");
				if (!"wal".equalsIgnoreCase(mode)) {
					throw new IOException(
							"Database '" + database + "' could not be switched to WAL mode (journal_mode is '" + mode
									+ "'); replication needs WAL mode");
				}
				statement.execute("CREATE TABLE IF NOT EXISTS " + SEQ_TABLE + " (id INTEGER PRIMARY KEY, seq INTEGER)");
				statement.execute("CREATE TABLE IF NOT EXISTS " + LOCK_TABLE + " (id INTEGER)");
			}
			barrier = connect(database, busyTimeout);
			EngineConnections connections = new EngineConnections(database, reader, barrier);
			connections.acquireReadLock();
			return connections;
		}
		catch (SQLException ex) {
			closeQuietly(barrier);
			closeQuietly(reader);
			throw new IOException("Cannot open database '" + database + "' for replication: " + ex.getMessage(), ex);
		}
		catch (IOException | RuntimeException ex) {
			closeQuietly(barrier);
			closeQuietly(reader);
			throw ex;
		}
	}

	private static Connection connect(Path database, Duration busyTimeout) throws SQLException {
		Connection connection = DriverManager.getConnection("jdbc:sqlite:" + database);
		try (Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA busy_timeout = " + busyTimeout.toMillis());
			// The engine owns checkpoints in this process (DESIGN section 4.3).
			statement.execute("PRAGMA wal_autocheckpoint = 0");
		}
		return connection;
	}

	private static String queryString(Statement statement, String sql) throws SQLException {
		try (ResultSet rs = statement.executeQuery(sql)) {
			return rs.next() ? rs.getString(1) : "";
		}
	}

	/**
	 * Returns the page size of the database.
	 */
	int pageSize() throws IOException {
		try (Statement statement = this.reader.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA page_size")) {
			rs.next();
			return rs.getInt(1);
		}
		catch (SQLException ex) {
			throw failure("read the page size", ex);
		}
	}

	/**
	 * Opens a read transaction and reads from it so that SQLite records a read mark that
	 * stops any connection from restarting the WAL.
	 */
	void acquireReadLock() throws IOException {
		if (this.readLockHeld) {
			return;
		}
		try (Statement statement = this.reader.createStatement()) {
			statement.execute("BEGIN");
			try (ResultSet rs = statement.executeQuery("SELECT COUNT(1) FROM " + SEQ_TABLE)) {
				rs.next();
			}
			this.readLockHeld = true;
		}
		catch (SQLException ex) {
			rollbackQuietly(this.reader);
			throw failure("take the read lock", ex);
		}
	}

	/**
	 * Ends the read transaction.
	 */
	void releaseReadLock() throws IOException {
		if (!this.readLockHeld) {
			return;
		}
		this.readLockHeld = false;
		try (Statement statement = this.reader.createStatement()) {
			statement.execute("ROLLBACK");
		}
		catch (SQLException ex) {
			throw failure("release the read lock", ex);
		}
	}

	boolean readLockHeld() {
		return this.readLockHeld;
	}

	/**
	 * Returns {@code PRAGMA data_version} of the reader: it changes when another
	 * connection commits or restarts the WAL.
	 */
	long dataVersion() throws IOException {
		try (Statement statement = this.reader.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA data_version")) {
			rs.next();
			return rs.getLong(1);
		}
		catch (SQLException ex) {
			throw failure("read data_version", ex);
		}
	}

	/**
	 * Takes the write lock on the barrier connection, waiting up to the busy timeout.
	 * @return whether the lock was taken (false when the database stayed busy)
	 */
	boolean acquireBarrier() throws IOException {
		try (Statement statement = this.barrier.createStatement()) {
			statement.execute("BEGIN IMMEDIATE");
			this.barrierHeld = true;
			return true;
		}
		catch (SQLException ex) {
			if (isBusy(ex)) {
				return false;
			}
			throw failure("take the write barrier", ex);
		}
	}

	/**
	 * Releases the write lock of the barrier connection; nothing was written.
	 */
	void releaseBarrier() throws IOException {
		if (!this.barrierHeld) {
			return;
		}
		this.barrierHeld = false;
		try (Statement statement = this.barrier.createStatement()) {
			statement.execute("ROLLBACK");
		}
		catch (SQLException ex) {
			throw failure("release the write barrier", ex);
		}
	}

	/**
	 * Runs {@code PRAGMA wal_checkpoint(mode)} on the reader, which must not hold its
	 * read lock.
	 * @return SQLite's three results: busy flag, WAL frames, frames checkpointed
	 */
	int[] checkpoint(String mode) throws IOException {
		try (Statement statement = this.reader.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
			rs.next();
			return new int[] { rs.getInt(1), rs.getInt(2), rs.getInt(3) };
		}
		catch (SQLException ex) {
			throw failure("run a " + mode + " checkpoint", ex);
		}
	}

	/**
	 * Writes to {@code _litestream_seq} in a transaction of its own, so that after a
	 * complete checkpoint the WAL restarts with this write, at a point the engine knows.
	 */
	void bumpSequence() throws IOException {
		try (Statement statement = this.reader.createStatement()) {
			statement.execute("INSERT INTO " + SEQ_TABLE + " (id, seq) VALUES (1, 1) "
					+ "ON CONFLICT (id) DO UPDATE SET seq = seq + 1");
		}
		catch (SQLException ex) {
			throw failure("write " + SEQ_TABLE, ex);
		}
	}

	private IOException failure(String action, SQLException ex) {
		return new IOException("Cannot " + action + " on database '" + this.database + "': " + ex.getMessage(), ex);
	}

	static boolean isBusy(SQLException ex) {
		String message = String.valueOf(ex.getMessage());
		return message.contains("SQLITE_BUSY") || message.contains("database is locked");
	}

	private static void rollbackQuietly(Connection connection) {
		try (Statement statement = connection.createStatement()) {
			statement.execute("ROLLBACK");
		}
		catch (SQLException ex) {
			// No transaction was open.
		}
	}

	private static void closeQuietly(Connection connection) {
		if (connection != null) {
			try {
				connection.close();
			}
			catch (SQLException ex) {
				// Closing after a failed open; the original failure is reported.
			}
		}
	}

	/**
	 * Closes both connections. SQLite keeps its POSIX locks correct when one of several
	 * connections of a process closes.
	 */
	@Override
	public void close() {
		try {
			releaseBarrier();
		}
		catch (IOException ex) {
			// Closing the connection ends the transaction anyway.
		}
		try {
			releaseReadLock();
		}
		catch (IOException ex) {
			// Closing the connection ends the transaction anyway.
		}
		closeQuietly(this.barrier);
		closeQuietly(this.reader);
	}

}
