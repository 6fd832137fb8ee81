package io.github.litestream.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteConnectionConfig;

/**
 * The transactions of one borrowed connection, kept atomic through sqlite-jdbc's quirks
 * (DESIGN 4.17).
 * <p>
 * sqlite-jdbc marks a connection as in a transaction before its {@code BEGIN} succeeds
 * ({@code SQLiteConnection.setAutoCommit(false)} sets the flag, then executes
 * {@code BEGIN}; xerial/sqlite-jdbc#683). A {@code BEGIN IMMEDIATE} that timed out on
 * {@code SQLITE_BUSY} so left a pooled connection that claims a transaction with none
 * open: the pool did not see the change, the next caller found auto-commit already off
 * and ran its statements one by one in SQLite's auto-commit mode, and its commit failed
 * with "cannot commit - no transaction is active" after every statement was applied. Here
 * a failed {@code BEGIN} restores the driver's flag (a field; no SQL) and the caller gets
 * SQLite's error.
 * <p>
 * sqlite-jdbc's {@code commit()} and {@code rollback()} also begin the next transaction
 * at once, taking the write lock again with {@code transaction_mode=IMMEDIATE}, and a
 * timeout of that {@code BEGIN} reported a commit that had happened as failed. Here a
 * commit switches the driver to auto-commit (its {@code COMMIT} only) and a rollback runs
 * {@code ROLLBACK}; the next transaction begins before its first statement, so every
 * caller-visible transaction is exactly one {@code BEGIN} and one {@code COMMIT} or
 * {@code ROLLBACK}, and a failed {@code BEGIN} is the failure of that statement.
 * <p>
 * Statements and auto-commit changes go through the pool's connection, so the pool's view
 * of auto-commit stays the driver's and its reset on return does nothing unexpected; the
 * driver's flag is set directly only to undo what a failed call of the driver left
 * behind.
 */
final class ConnectionTransactions {

	private static final String NO_TRANSACTION = "no transaction is active";

	private final Connection target;

	private final SQLiteConnection sqlite;

	private final SqlAction began;

	/**
	 * The database's queue of writers, or {@code null} when transactions begin deferred.
	 */
	private final @Nullable WriterQueue writers;

	/** How long a writer waits for its turn: the connection's busy timeout. */
	private final Duration wait;

	/** Whether the database is writable now, and a warm successor's takeover. */
	private final Gate gate;

	/** Whether this connection's transaction holds the writers' turn. */
	private boolean inTurn;

	/** Auto-commit as the caller sees it. */
	private boolean autoCommit;

	/** Whether the driver's {@code BEGIN} of the caller's transaction succeeded. */
	private boolean open;

	/**
	 * Creates the state of a connection just borrowed.
	 * @param target the pool's connection
	 * @param sqlite the physical connection behind it
	 * @param began called after every {@code BEGIN} that succeeded
	 * @param writers the database's writers, queued before a {@code BEGIN} that takes the
	 * write lock ({@code IMMEDIATE} or {@code EXCLUSIVE}); {@code null} for none
	 * @param wait how long a writer waits for its turn
	 * @param gate whether the database is writable now
	 */
	ConnectionTransactions(Connection target, SQLiteConnection sqlite, SqlAction began, @Nullable WriterQueue writers,
			Duration wait, Gate gate) throws SQLException {
		this.target = target;
		this.sqlite = sqlite;
		this.began = began;
		this.writers = writers;
		this.wait = wait;
		this.gate = gate;
		this.autoCommit = target.getAutoCommit();
		// A pool configured for manual commit hands connections out with the driver's
		// BEGIN done.
		this.open = !this.autoCommit;
	}

	boolean getAutoCommit() {
		return this.autoCommit;
	}

	/**
	 * Switches auto-commit as JDBC says: switching it off begins a transaction (as
	 * sqlite-jdbc does, so {@code IMMEDIATE} takes the write lock here), switching it on
	 * commits the open one.
	 */
	void setAutoCommit(boolean autoCommit) throws SQLException {
		if (autoCommit == this.autoCommit) {
			return;
		}
		if (autoCommit) {
			if (this.open) {
				commitOpen();
			}
			this.autoCommit = true;
		}
		else {
			this.autoCommit = false;
			try {
				begin(null, true);
			}
			catch (SQLException | RuntimeException ex) {
				this.autoCommit = true;
				throw ex;
			}
		}
	}

	/**
	 * Commits the open transaction; nothing to do when no statement ran since the last
	 * commit or rollback.
	 */
	void commit() throws SQLException {
		if (this.autoCommit) {
			// The driver's own error for a commit in auto-commit mode.
			this.target.commit();
			return;
		}
		if (this.open) {
			commitOpen();
		}
	}

	/**
	 * Rolls the open transaction back without beginning the next one.
	 */
	void rollback() throws SQLException {
		if (this.autoCommit) {
			this.target.rollback();
			return;
		}
		if (this.open) {
			rollbackOpen();
		}
	}

	/**
	 * Begins the caller's transaction before a statement runs, when it has not begun yet;
	 * in auto-commit mode makes the connection read-only or writable as the database's
	 * ownership says, and takes a warm successor's database over before a statement that
	 * writes.
	 * @param sql the statement, or {@code null} when unknown (a batch of statements)
	 */
	void beforeStatement(@Nullable String sql) throws SQLException {
		if (this.autoCommit) {
			// Commits on its own, so no commit check follows: gated before it runs
			if (this.gate.readOnly() && this.gate.standby() && !StatementKind.isRead(sql)) {
				this.gate.takeOverBeforeWrite("the statement " + StatementKind.describe(sql));
				this.gate.readOnly();
			}
		}
		else if (!this.open) {
			begin(sql, false);
		}
	}

	/**
	 * Sets a savepoint; in auto-commit mode the driver's {@code SAVEPOINT} opens a
	 * transaction, as SQLite does.
	 */
	Savepoint setSavepoint(SavepointCall call) throws SQLException {
		if (!this.autoCommit && !this.open) {
			begin(null, false);
		}
		Savepoint savepoint = call.set(this.target);
		if (this.autoCommit) {
			this.autoCommit = false;
			this.open = true;
		}
		return savepoint;
	}

	/**
	 * Rolls back what the caller left open before the connection goes back to the pool.
	 */
	void close() throws SQLException {
		try {
			if (this.open) {
				rollbackOpen();
			}
		}
		finally {
			// Whatever the rollback did, the next writer must not wait for this one.
			leaveTurn();
		}
	}

	/**
	 * Runs the driver's {@code BEGIN}. On a connection that may not write now (DESIGN
	 * 4.14) it begins {@code DEFERRED} whatever the connection's mode, so that reads go
	 * on ({@code BEGIN IMMEDIATE} is itself a write to SQLite), and does not queue with
	 * the writers. A warm successor's transaction begins before its first statement
	 * instead, which then decides: a transaction the application's Spring transaction
	 * declares read-write, or whose first statement writes, takes the database over first
	 * (DESIGN 4.16); one that reads first stays a read.
	 * @param sql the first statement, or {@code null}
	 * @param deferrable whether the {@code BEGIN} may wait for the first statement
	 */
	private void begin(@Nullable String sql, boolean deferrable) throws SQLException {
		boolean readOnly = this.gate.readOnly();
		if (readOnly && this.gate.standby()) {
			if (deferrable) {
				return;
			}
			String write = StatementKind.writeIntent(sql);
			if (write != null) {
				this.gate.takeOverBeforeWrite(write);
				readOnly = this.gate.readOnly();
			}
		}
		if (!readOnly && this.writers != null && !this.inTurn) {
			this.writers.enter(this.wait);
			this.inTurn = true;
		}
		SQLiteConnectionConfig config = this.sqlite.getConnectionConfig();
		SQLiteConfig.TransactionMode mode = config.getTransactionMode();
		if (readOnly) {
			config.setTransactionMode(SQLiteConfig.TransactionMode.DEFERRED);
		}
		try {
			this.target.setAutoCommit(false);
		}
		catch (SQLException ex) {
			// The driver set its flag before its BEGIN failed: clear it, so that the
			// connection is back in auto-commit mode with no transaction, as the pool
			// believes.
			config.setAutoCommit(true);
			leaveTurn();
			throw ex;
		}
		finally {
			config.setTransactionMode(mode);
		}
		this.open = true;
		this.began.run();
	}

	private void commitOpen() throws SQLException {
		try {
			// The driver's COMMIT without the BEGIN its commit() runs next.
			this.target.setAutoCommit(true);
		}
		catch (SQLException ex) {
			// The driver set its flag before its COMMIT failed. The transaction may
			// still be open (SQLITE_BUSY, a deferred foreign key): it stays the
			// caller's, to commit again or roll back.
			this.sqlite.getConnectionConfig().setAutoCommit(false);
			throw ex;
		}
		this.open = false;
		leaveTurn();
	}

	private void leaveTurn() {
		if (this.inTurn) {
			this.inTurn = false;
			this.writers.leave();
		}
	}

	private void rollbackOpen() throws SQLException {
		try (Statement statement = this.target.createStatement()) {
			statement.execute("ROLLBACK");
		}
		catch (SQLException ex) {
			// SQLite ends a transaction itself after some errors; nothing is open then.
			if (!String.valueOf(ex.getMessage()).contains(NO_TRANSACTION)) {
				throw ex;
			}
		}
		this.open = false;
		leaveTurn();
		// No SQL: the driver's flag first, then the pool learns of it.
		this.sqlite.getConnectionConfig().setAutoCommit(true);
		this.target.setAutoCommit(true);
	}

	/**
	 * A step that may fail with SQLite's error.
	 */
	@FunctionalInterface
	interface SqlAction {

		void run() throws SQLException;

	}

	/**
	 * Whether the database may be written through this connection now, and the takeover
	 * of a warm successor before a write.
	 */
	interface Gate {

		/**
		 * Makes the connection read-only or writable as the database's ownership says now
		 * (outside a transaction).
		 * @return whether it is read-only
		 */
		boolean readOnly() throws SQLException;

		/**
		 * Whether the database is a warm successor's that has not been taken over.
		 * @return whether standby
		 */
		boolean standby();

		/**
		 * Takes the database over before a write of the application's startup.
		 * @param why what writes
		 */
		void takeOverBeforeWrite(String why) throws SQLException;

	}

	/**
	 * One of the two {@code setSavepoint} methods.
	 */
	@FunctionalInterface
	interface SavepointCall {

		Savepoint set(Connection connection) throws SQLException;

	}

}
