package io.github.litestream.jdbc;

import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import javax.sql.DataSource;

import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.ownership.DatabaseOwnership;
import io.github.litestream.ownership.OwnershipState;
import io.github.litestream.replication.ConnectionGate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * A SQLite {@link DataSource} wrapper that makes the pool's connections fit for
 * replication and tells the engine about commits.
 * <p>
 * Every physical connection is configured once with {@code journal_mode=WAL},
 * {@code wal_autocheckpoint=0} (the engine owns checkpoints) and, unless the JDBC URL
 * sets one, a {@code busy_timeout} of
 * {@link ReplicationDefaults#APPLICATION_BUSY_TIMEOUT}. Transactions stay atomic through
 * sqlite-jdbc's quirks ({@link ConnectionTransactions}). Commits made through the
 * connections wake the replicator, so an L0 file is cut without waiting for the next
 * poll. {@link #unwrap(Class)} still reaches the pool, so pool metrics and health keep
 * working.
 * <p>
 * The wrapper can {@link #pause(Duration) pause} handing out connections (callers wait
 * until {@link #resume()}), which an in-place restore uses. Before the first connection
 * is handed out, the database is restored from its replicas when needed.
 */
public class LitestreamDataSource extends DelegatingDataSource implements Closeable, ConnectionGate {

	private static final Logger logger = LoggerFactory.getLogger(LitestreamDataSource.class);

	/** Longest time a caller waits for a paused DataSource before failing. */
	private static final Duration PAUSED_WAIT = Duration.ofMinutes(1);

	/** sqlite-jdbc's parameter for the busy timeout in a JDBC URL. */
	private static final String BUSY_TIMEOUT_PARAMETER = "busy_timeout";

	/** sqlite-jdbc's busy timeout when neither URL nor properties set one, in ms. */
	private static final int SQLITE_JDBC_BUSY_TIMEOUT = 3000;

	/** SQLite's result code for a write on a read-only connection. */
	private static final int SQLITE_READONLY = 8;

	private final LitestreamDatabase database;

	/**
	 * The application's writers of the database, first come first served (DESIGN 4.17).
	 */
	private final WriterQueue writers;

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition changed = this.lock.newCondition();

	private final Map<Connection, ConnectionState> configured = Collections.synchronizedMap(new WeakHashMap<>());

	private boolean paused;

	private int borrowed;

	/**
	 * Wraps a SQLite DataSource.
	 * @param delegate the pool or SQLite DataSource
	 * @param database the replication runtime of the database
	 */
	public LitestreamDataSource(DataSource delegate, LitestreamDatabase database) {
		super(delegate);
		this.database = database;
		this.writers = new WriterQueue(database.getName());
		database.attach(this);
	}

	/**
	 * Returns the replication runtime of the database behind this DataSource.
	 * @return the database
	 */
	public LitestreamDatabase getDatabase() {
		return this.database;
	}

	@Override
	public Connection getConnection() throws SQLException {
		return borrow(null, null);
	}

	@Override
	public Connection getConnection(String username, String password) throws SQLException {
		return borrow(username, password);
	}

	private Connection borrow(@Nullable String username, @Nullable String password) throws SQLException {
		this.database.restoreOnStartupIfNeeded();
		enter();
		boolean handedOut = false;
		try {
			Connection connection = (username != null) ? obtainTargetDataSource().getConnection(username, password)
					: obtainTargetDataSource().getConnection();
			try {
				ConnectionState state = configure(connection);
				state.gate(connection);
				ConnectionTransactions transactions = new ConnectionTransactions(connection, state.sqlite, state::began,
						state.queued ? this.writers : null, state.busyTimeout, state);
				Connection proxy = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
						new Class<?>[] { Connection.class }, new ConnectionHandler(connection, state, transactions));
				handedOut = true;
				return proxy;
			}
			catch (SQLException | RuntimeException ex) {
				connection.close();
				throw ex;
			}
		}
		finally {
			if (!handedOut) {
				release();
			}
		}
	}

	private void enter() throws SQLException {
		this.lock.lock();
		try {
			long remaining = PAUSED_WAIT.toNanos();
			while (true) {
				refuseUnlessServed();
				boolean takingOver = this.database.awaitsTakeover();
				if (takingOver && !this.database.isCatchingUp()) {
					// The serving instance answers until it hands over, which may begin
					// only at its next lease renewal: sent there rather than kept waiting
					throw new DatabaseNotServedYetException(this.database.getName(),
							this.database.getOwnership().reason());
				}
				if (!this.paused && !takingOver) {
					break;
				}
				if (remaining <= 0) {
					throw new SQLTransientConnectionException("Database '" + this.database.getName() + "' is "
							+ (takingOver ? "being taken over from the instance that serves it"
									: "paused for a restore or a handover")
							+ "; no connection within " + PAUSED_WAIT.toSeconds() + "s");
				}
				remaining = this.changed.awaitNanos(remaining);
			}
			this.borrowed++;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new SQLTransientConnectionException("Interrupted while waiting for a paused database", ex);
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Fails a caller when this instance does not serve the database (DESIGN 4.14): it
	 * handed it over, another instance took it, or it does not hold the leases yet.
	 */
	private void refuseUnlessServed() throws SQLException {
		DatabaseOwnership ownership = this.database.getOwnership();
		OwnershipState state = ownership.state();
		if (state.serves()) {
			return;
		}
		DatabaseOwnership.Successor successor = ownership.successor();
		if ((state == OwnershipState.HANDED_OVER || state == OwnershipState.SUPPLANTED) && successor != null) {
			throw new DatabaseHandedOverException(this.database.getName(), successor.to(),
					Math.max(successor.txid(), 0));
		}
		throw new SQLTransientConnectionException("Database '" + this.database.getName()
				+ "' is not served by this instance now: it is " + state + " (" + ownership.reason() + ")");
	}

	private void release() {
		this.lock.lock();
		try {
			this.borrowed--;
			this.changed.signalAll();
		}
		finally {
			this.lock.unlock();
		}
	}

	private ConnectionState configure(Connection connection) throws SQLException {
		SQLiteConnection sqlite = connection.unwrap(SQLiteConnection.class);
		ConnectionState state = this.configured.get(sqlite);
		if (state != null) {
			return state;
		}
		try (Statement statement = connection.createStatement()) {
			if (!busyTimeoutGiven(sqlite)) {
				statement.execute("PRAGMA busy_timeout = " + ReplicationDefaults.APPLICATION_BUSY_TIMEOUT.toMillis());
			}
			statement.execute("PRAGMA journal_mode = WAL");
			statement.execute("PRAGMA wal_autocheckpoint = 0");
		}
		ConnectionState created = new ConnectionState(sqlite, busyTimeout(connection),
				sqlite.getConnectionConfig().getTransactionMode() != SQLiteConfig.TransactionMode.DEFERRED);
		sqlite.addCommitListener(created);
		this.configured.put(sqlite, created);
		return created;
	}

	private static Duration busyTimeout(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("PRAGMA busy_timeout")) {
			return Duration.ofMillis(result.next() ? result.getLong(1) : 0);
		}
	}

	/**
	 * Whether the application chose the connection's busy timeout: a {@code busy_timeout}
	 * parameter in the JDBC URL, or a driver property other than sqlite-jdbc's default.
	 */
	private static boolean busyTimeoutGiven(SQLiteConnection sqlite) {
		if (sqlite.getBusyTimeout() != SQLITE_JDBC_BUSY_TIMEOUT) {
			return true;
		}
		String url = sqlite.getDatabase().getUrl();
		int query = (url != null) ? url.indexOf('?') : -1;
		if (query < 0) {
			return false;
		}
		for (String parameter : url.substring(query + 1).split("&")) {
			int equals = parameter.indexOf('=');
			String key = (equals < 0) ? parameter : parameter.substring(0, equals);
			if (BUSY_TIMEOUT_PARAMETER.equalsIgnoreCase(key.trim())) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Stops handing out connections and waits until every borrowed connection has been
	 * returned. Callers of {@link #getConnection()} wait until {@link #resume()}.
	 * @param timeout how long to wait for borrowed connections
	 * @throws TimeoutException if connections are still borrowed after the timeout; the
	 * DataSource is then resumed
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	@Override
	public void pause(Duration timeout) throws TimeoutException, InterruptedException {
		this.lock.lock();
		try {
			if (this.paused) {
				throw new IllegalStateException("Database '" + this.database.getName() + "' is already paused");
			}
			this.paused = true;
			long remaining = timeout.toNanos();
			while (this.borrowed > 0) {
				if (remaining <= 0) {
					int count = this.borrowed;
					resumeLocked();
					throw new TimeoutException(count + " connection(s) of database '" + this.database.getName()
							+ "' still borrowed after " + timeout.toMillis()
							+ " ms; raise litestream.restore.drain-timeout or retry when the application is quieter");
				}
				remaining = this.changed.awaitNanos(remaining);
			}
			logger.info("Paused connections of database '{}'", this.database.getName());
		}
		catch (InterruptedException ex) {
			resumeLocked();
			throw ex;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Wakes callers waiting for a paused DataSource after the database's ownership
	 * changed: they fail at once when this instance no longer serves it.
	 */
	@Override
	public void ownershipChanged() {
		this.lock.lock();
		try {
			this.changed.signalAll();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Lets waiting and new callers through again.
	 */
	@Override
	public void resume() {
		this.lock.lock();
		try {
			resumeLocked();
		}
		finally {
			this.lock.unlock();
		}
		logger.info("Resumed connections of database '{}'", this.database.getName());
	}

	private void resumeLocked() {
		this.paused = false;
		this.changed.signalAll();
	}

	/**
	 * Returns whether handing out connections is paused.
	 * @return whether paused
	 */
	public boolean isPaused() {
		this.lock.lock();
		try {
			return this.paused;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Returns the number of connections currently borrowed through this wrapper.
	 * @return the borrowed connections
	 */
	public int getBorrowedConnections() {
		this.lock.lock();
		try {
			return this.borrowed;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Closes the pool, then the replication runtime: the engine's descriptor of the
	 * database file may only close once no SQLite connection of this process uses the
	 * file (DESIGN 4.1).
	 */
	@Override
	public void close() {
		try {
			if (obtainTargetDataSource() instanceof AutoCloseable closeable) {
				closeable.close();
			}
		}
		catch (Exception ex) {
			logger.warn("Closing the pool of database '{}' failed", this.database.getName(), ex);
		}
		finally {
			this.database.close();
		}
	}

	@Override
	public String toString() {
		return "LitestreamDataSource[" + this.database.getName() + " -> " + obtainTargetDataSource() + "]";
	}

	/**
	 * Per physical connection: whether a commit happened since the engine was last told.
	 */
	private final class ConnectionState implements SQLiteCommitListener, ConnectionTransactions.Gate {

		private final SQLiteConnection sqlite;

		private volatile boolean committed;

		/**
		 * Whether this wrapper set {@code PRAGMA query_only}: the database is not owned.
		 */
		private boolean readOnly;

		/** SQLite's count of changed rows when the current transaction began. */
		private long changesAtBegin;

		/**
		 * The connection's busy timeout, which also bounds its wait for the writers'
		 * turn.
		 */
		private final Duration busyTimeout;

		/**
		 * Whether its transactions queue with the database's writers: their {@code BEGIN}
		 * takes the write lock.
		 */
		private final boolean queued;

		ConnectionState(SQLiteConnection sqlite, Duration busyTimeout, boolean queued) {
			this.sqlite = sqlite;
			this.busyTimeout = busyTimeout;
			this.queued = queued;
		}

		/**
		 * Makes a connection read-only while this instance may not acknowledge writes
		 * (DESIGN 4.14), writable again once it may: a write then fails in SQLite at once
		 * instead of committing.
		 */
		void gate(Connection connection) throws SQLException {
			boolean writable = LitestreamDataSource.this.database.getOwnership().mayAcknowledgeWrites();
			if (writable == !this.readOnly) {
				return;
			}
			try (Statement statement = connection.createStatement()) {
				statement.execute("PRAGMA query_only = " + (writable ? "0" : "1"));
			}
			this.readOnly = !writable;
		}

		@Override
		public boolean readOnly() throws SQLException {
			gate(this.sqlite);
			return this.readOnly;
		}

		@Override
		public boolean standby() {
			return LitestreamDataSource.this.database.getOwnership().isStandby();
		}

		@Override
		public void takeOverBeforeWrite(String why) throws SQLException {
			try {
				LitestreamDataSource.this.database.takeOverBeforeWrite(why);
			}
			catch (IOException ex) {
				throw new SQLException("Database '" + LitestreamDataSource.this.database.getName()
						+ "' could not be taken over before " + why + ": " + ex.getMessage(), ex);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new SQLException("Interrupted while database '" + LitestreamDataSource.this.database.getName()
						+ "' was taken over before " + why, ex);
			}
		}

		void began() throws SQLException {
			this.changesAtBegin = this.sqlite.getDatabase().total_changes();
		}

		/**
		 * Refuses to commit a transaction that changed rows while this instance may not
		 * acknowledge writes: it is rolled back instead.
		 */
		void checkCommit(ConnectionTransactions.SqlAction rollback) throws SQLException {
			DatabaseOwnership ownership = LitestreamDataSource.this.database.getOwnership();
			if (ownership.mayAcknowledgeWrites() || this.sqlite.getDatabase().total_changes() == this.changesAtBegin) {
				return;
			}
			DatabaseReadOnlyException refused = new DatabaseReadOnlyException(
					LitestreamDataSource.this.database.getName(), ownership.whyNotWritable(), null);
			try {
				rollback.run();
				began();
			}
			catch (SQLException ex) {
				refused.addSuppressed(ex);
			}
			throw refused;
		}

		/**
		 * Tells a write that SQLite refused because this wrapper made the connection
		 * read-only.
		 */
		SQLException translate(SQLException ex) {
			if (this.readOnly && ex.getErrorCode() == SQLITE_READONLY) {
				DatabaseOwnership ownership = LitestreamDataSource.this.database.getOwnership();
				return new DatabaseReadOnlyException(LitestreamDataSource.this.database.getName(),
						ownership.whyNotWritable(), ex);
			}
			return ex;
		}

		@Override
		public void onCommit() {
			// SQLite calls the hook before the commit completes; the engine is told once
			// the call that committed has returned (see ConnectionHandler).
			this.committed = true;
		}

		@Override
		public void onRollback() {
		}

		void notifyIfCommitted() {
			if (this.committed) {
				this.committed = false;
				LitestreamDataSource.this.database.notifyCommit();
			}
		}

	}

	/**
	 * Tells the engine after every statement or commit that committed, keeps transactions
	 * atomic ({@link ConnectionTransactions}), and counts the connection as returned when
	 * it is closed.
	 */
	private final class ConnectionHandler implements InvocationHandler {

		private final Connection target;

		private final ConnectionState state;

		private final ConnectionTransactions transactions;

		private boolean closed;

		ConnectionHandler(Connection target, ConnectionState state, ConnectionTransactions transactions) {
			this.target = target;
			this.state = state;
			this.transactions = transactions;
		}

		@Override
		public @Nullable Object invoke(Object proxy, Method method, @Nullable Object[] args) throws Throwable {
			String name = method.getName();
			switch (name) {
				case "equals":
					return proxy == args[0];
				case "hashCode":
					return System.identityHashCode(proxy);
				case "toString":
					return "Litestream[" + this.target + "]";
				case "close":
					return close();
				case "isClosed":
					if (this.closed) {
						return true;
					}
					break;
				default:
			}
			try {
				if (!this.closed && isTransactionControl(name, args)) {
					return controlTransaction(method, args);
				}
				Object result = method.invoke(this.target, args);
				return switch (name) {
					case "createStatement", "prepareStatement", "prepareCall" ->
						statement(proxy, method.getReturnType(), result,
								(args != null && args.length > 0 && args[0] instanceof String sql) ? sql : null);
					default -> result;
				};
			}
			catch (InvocationTargetException ex) {
				Throwable target = ex.getTargetException();
				throw (target instanceof SQLException sql) ? this.state.translate(sql) : target;
			}
			catch (SQLException ex) {
				throw this.state.translate(ex);
			}
		}

		private static boolean isTransactionControl(String name, @Nullable Object[] args) {
			return switch (name) {
				case "getAutoCommit", "setAutoCommit", "commit", "setSavepoint" -> true;
				case "rollback" -> args == null || args.length == 0;
				default -> false;
			};
		}

		private @Nullable Object controlTransaction(Method method, @Nullable Object[] args) throws SQLException {
			switch (method.getName()) {
				case "getAutoCommit" -> {
					return this.transactions.getAutoCommit();
				}
				case "setAutoCommit" -> this.transactions.setAutoCommit((Boolean) args[0]);
				case "commit" -> {
					this.state.checkCommit(this.transactions::rollback);
					this.transactions.commit();
					this.state.notifyIfCommitted();
					this.state.began();
				}
				case "rollback" -> {
					this.transactions.rollback();
					this.state.began();
				}
				case "setSavepoint" -> {
					return this.transactions
						.setSavepoint((connection) -> (Savepoint) invokeOn(connection, method, args));
				}
				default -> throw new IllegalStateException("Not a transaction control method: " + method);
			}
			return null;
		}

		private static Object invokeOn(Connection connection, Method method, @Nullable Object[] args)
				throws SQLException {
			try {
				return method.invoke(connection, args);
			}
			catch (InvocationTargetException ex) {
				if (ex.getTargetException() instanceof SQLException sql) {
					throw sql;
				}
				throw new IllegalStateException(ex.getTargetException());
			}
			catch (IllegalAccessException ex) {
				throw new IllegalStateException(ex);
			}
		}

		/**
		 * Wraps a statement so that a write SQLite refuses on a read-only connection is
		 * reported as a {@link DatabaseReadOnlyException}.
		 */
		private Object statement(Object connection, Class<?> type, Object statement, @Nullable String preparedSql) {
			return Proxy.newProxyInstance(LitestreamDataSource.class.getClassLoader(), new Class<?>[] { type },
					(proxy, method, args) -> {
						switch (method.getName()) {
							case "getConnection":
								return connection;
							case "equals":
								return proxy == args[0];
							case "hashCode":
								return System.identityHashCode(proxy);
							case "toString":
								return "Litestream[" + statement + "]";
							default:
						}
						try {
							if (method.getName().startsWith("execute")) {
								this.transactions
									.beforeStatement((args != null && args.length > 0 && args[0] instanceof String text)
											? text : preparedSql);
							}
							return method.invoke(statement, args);
						}
						catch (InvocationTargetException ex) {
							Throwable target = ex.getTargetException();
							throw (target instanceof SQLException sql) ? this.state.translate(sql) : target;
						}
						catch (SQLException ex) {
							throw this.state.translate(ex);
						}
					});
		}

		private @Nullable Object close() throws SQLException {
			if (this.closed) {
				return null;
			}
			this.closed = true;
			try {
				// Whatever the caller left open is rolled back, as a pool would.
				this.transactions.close();
			}
			finally {
				closeTarget();
			}
			return null;
		}

		private void closeTarget() throws SQLException {
			try {
				this.target.close();
			}
			finally {
				release();
				// Catches commits of auto-commit statements.
				this.state.notifyIfCommitted();
			}
		}

	}

}
