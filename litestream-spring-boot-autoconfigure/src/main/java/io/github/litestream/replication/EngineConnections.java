package io.github.litestream.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The two SQLite connections the engine owns (DESIGN section 4.2 and 4.4): the reader,
 * which holds a read transaction so nobody can restart the WAL behind the engine and
 * which runs checkpoints, and the barrier, which takes the write lock while the engine
 * copies the WAL tail before a checkpoint.
 */
final class EngineConnections implements AutoCloseable {

	static final String SEQ_TABLE = "_litestream_seq";

	static final String LOCK_TABLE = "_litestream_lock";

	private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

	private final Path database;

	private final Connection reader;

	private final Connection barrier;

	private boolean readLockHeld;

	private boolean barrierHeld;

	/** The barrier's {@code journal_size_limit} outside a shrinking write. */
	private long walSizeLimit = -1;

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
			// The barrier polls for the write lock itself (see acquireBarrier), so
			// SQLite's
			// own busy handler, which sleeps up to 100 ms between tries, is off.
			barrier = connect(database, Duration.ZERO);
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
		try {
			beginRead(this.reader);
			this.readLockHeld = true;
		}
		catch (SQLException ex) {
			rollbackQuietly(this.reader);
			throw failure("take the read lock", ex);
		}
	}

	/**
	 * Opens a read transaction on {@code connection} and reads from it, so that SQLite
	 * records its read mark.
	 */
	private static void beginRead(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute("BEGIN");
			try (ResultSet rs = statement.executeQuery("SELECT COUNT(1) FROM " + SEQ_TABLE)) {
				rs.next();
			}
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
	 * Moves the reader's read mark to the current end of the WAL without a moment in
	 * which the engine holds none: the barrier connection opens a read transaction first,
	 * the reader ends and re-opens its own, and only then does the barrier's end. A read
	 * mark of the engine stops every connection from restarting the WAL, so frames the
	 * engine has not read yet stay in place; the newer mark lets a checkpoint copy more
	 * of them into the database file (a checkpoint never copies frames past a reader's
	 * mark).
	 */
	void advanceReadLock() throws IOException {
		if (this.barrierHeld) {
			throw new IllegalStateException("The read mark cannot move while the barrier is held");
		}
		try {
			beginRead(this.barrier);
		}
		catch (SQLException ex) {
			rollbackQuietly(this.barrier);
			throw failure("open a read transaction on the barrier connection", ex);
		}
		try {
			releaseReadLock();
			acquireReadLock();
		}
		finally {
			rollbackQuietly(this.barrier);
		}
	}

	/**
	 * Runs a PASSIVE checkpoint on the barrier connection while the reader keeps its read
	 * lock and writers go on: it copies the frames up to the reader's mark into the
	 * database file (and makes the WAL durable), so a later checkpoint behind the barrier
	 * has little left to copy. The WAL cannot restart, the reader's mark prevents it.
	 * @return SQLite's three results: busy flag, WAL frames, frames checkpointed
	 */
	int[] checkpointPassiveAhead() throws IOException {
		if (this.barrierHeld) {
			throw new IllegalStateException("A checkpoint ahead of the barrier runs without it");
		}
		return checkpointPassive(this.barrier);
	}

	/**
	 * Takes the write lock on the barrier connection. It polls every half millisecond
	 * rather than relying on SQLite's busy handler, which sleeps up to 100 ms between
	 * tries and would lose the lock to writers that commit back to back.
	 * @param timeout how long to keep trying
	 * @return whether the lock was taken (false when the database stayed busy)
	 */
	boolean acquireBarrier(Duration timeout) throws IOException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			try (Statement statement = this.barrier.createStatement()) {
				statement.execute("BEGIN IMMEDIATE");
				this.barrierHeld = true;
				return true;
			}
			catch (SQLException ex) {
				if (!isBusy(ex)) {
					throw failure("take the write barrier", ex);
				}
				if (System.nanoTime() - deadline >= 0) {
					return false;
				}
				LockSupport.parkNanos(POLL_NANOS);
			}
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
	 * Returns {@code PRAGMA data_version} of the barrier connection: it changes when any
	 * other connection commits or restarts the WAL, but not for the barrier's own writes
	 * and checkpoints.
	 */
	long barrierDataVersion() throws IOException {
		try (Statement statement = this.barrier.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA data_version")) {
			rs.next();
			return rs.getLong(1);
		}
		catch (SQLException ex) {
			throw failure("read data_version", ex);
		}
	}

	/**
	 * Runs a PASSIVE checkpoint on the reader, which must not hold its read lock. It
	 * needs no write lock, so it runs while the barrier holds it.
	 * @return SQLite's three results: busy flag, WAL frames, frames checkpointed
	 */
	int[] checkpointPassive() throws IOException {
		return checkpointPassive(this.reader);
	}

	private int[] checkpointPassive(Connection connection) throws IOException {
		try (Statement statement = connection.createStatement()) {
			return checkpoint(statement, "PASSIVE");
		}
		catch (SQLException ex) {
			throw failure("run a PASSIVE checkpoint", ex);
		}
	}

	/**
	 * Runs a TRUNCATE checkpoint on the barrier connection, which must not hold the
	 * barrier: TRUNCATE takes the write lock itself and waits for readers.
	 * @return SQLite's three results: busy flag, WAL frames, frames checkpointed
	 */
	int[] checkpointTruncate(Duration busyTimeout) throws IOException {
		try (Statement statement = this.barrier.createStatement()) {
			statement.execute("PRAGMA busy_timeout = " + busyTimeout.toMillis());
			try {
				return checkpoint(statement, "TRUNCATE");
			}
			finally {
				statement.execute("PRAGMA busy_timeout = 0");
			}
		}
		catch (SQLException ex) {
			throw failure("run a TRUNCATE checkpoint", ex);
		}
	}

	private static int[] checkpoint(Statement statement, String mode) throws SQLException {
		try (ResultSet rs = statement.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
			rs.next();
			return new int[] { rs.getInt(1), rs.getInt(2), rs.getInt(3) };
		}
	}

	/**
	 * Sets the size the WAL file is truncated to when the engine's write restarts the WAL
	 * (SQLite's {@code journal_size_limit} on the barrier connection), so one burst of
	 * writes does not leave a large WAL file behind for good.
	 * @param bytes the limit, or -1 for none
	 */
	void limitWalSize(long bytes) throws IOException {
		try (Statement statement = this.barrier.createStatement()) {
			statement.execute("PRAGMA journal_size_limit = " + bytes);
			this.walSizeLimit = bytes;
		}
		catch (SQLException ex) {
			throw failure("set journal_size_limit", ex);
		}
	}

	/**
	 * Writes to {@code _litestream_seq} from the barrier connection in a transaction that
	 * starts after the checkpoint, so that after a complete checkpoint the WAL restarts
	 * with this write, at a point the engine knows.
	 * @param shrink whether the write truncates the WAL file to its own frames when it
	 * restarts the WAL ({@code journal_size_limit} 0 for this write: SQLite truncates the
	 * file when the first transaction of a new WAL generation commits)
	 * @return whether the write happened (false when the database stayed busy)
	 */
	boolean bumpSequence(Duration timeout, boolean shrink) throws IOException {
		if (!acquireBarrier(timeout)) {
			return false;
		}
		try (Statement statement = this.barrier.createStatement()) {
			if (shrink) {
				statement.execute("PRAGMA journal_size_limit = 0");
			}
			try {
				statement.execute("INSERT INTO " + SEQ_TABLE + " (id, seq) VALUES (1, 1) "
						+ "ON CONFLICT (id) DO UPDATE SET seq = seq + 1");
				statement.execute("COMMIT");
				this.barrierHeld = false;
			}
			finally {
				if (shrink) {
					statement.execute("PRAGMA journal_size_limit = " + this.walSizeLimit);
				}
			}
			return true;
		}
		catch (SQLException ex) {
			releaseBarrier();
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
