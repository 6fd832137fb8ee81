package io.github.litestream.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.StringJoiner;

import org.sqlite.SQLiteConfig;

/**
 * Runs SQL statements against a database from a separate process, the way an operator's
 * {@code sqlite3} session would: {@code SqliteCommandMain <db> <sql>...}, for example
 * {@code "PRAGMA wal_checkpoint(TRUNCATE)"} or {@code VACUUM}.
 * <p>
 * Each statement runs on its own in autocommit mode. Result rows are printed one a line,
 * columns separated by {@code |} as {@code sqlite3} does (NULL as an empty string, BLOBs
 * as {@code x'hex'}). Note that a checkpoint that could not finish is not an error in
 * SQLite: {@code PRAGMA wal_checkpoint} then prints {@code 1|...}. {@code SQLITE_BUSY}
 * and {@code SQLITE_LOCKED} are retried with capped backoff until the busy timeout
 * (system property {@value #BUSY_TIMEOUT_PROPERTY}, milliseconds, default 30000) has
 * passed since the statement started. Exit status: 0 on success, 1 when a statement
 * fails, 2 on bad usage. No connection option beyond the busy timeout is set, so closing
 * the last connection checkpoints and removes the WAL as SQLite normally does.
 */
public final class SqliteCommandMain {

	/** System property with the busy timeout in milliseconds. */
	public static final String BUSY_TIMEOUT_PROPERTY = "litestream.command.busyTimeout";

	private static final int SQLITE_BUSY = 5;

	private static final int SQLITE_LOCKED = 6;

	private SqliteCommandMain() {
	}

	/**
	 * Runs the statements given as arguments and prints their rows.
	 * @param args the database path, then one or more SQL statements
	 */
	public static void main(String[] args) {
		if (args.length < 2) {
			System.err.println("usage: SqliteCommandMain <db> <sql>...");
			System.exit(2);
		}
		Duration busyTimeout = Duration.ofMillis(Long.getLong(BUSY_TIMEOUT_PROPERTY, 30_000));
		try {
			for (String line : run(Path.of(args[0]), Arrays.asList(args).subList(1, args.length), busyTimeout)) {
				System.out.println(line);
			}
			System.out.flush();
		}
		catch (SQLException ex) {
			System.out.flush();
			System.err.println("FAILED: " + ex.getMessage() + " (SQLite result code " + ex.getErrorCode() + ")");
			System.exit(1);
		}
	}

	/**
	 * Runs statements in this process (same rules as {@link #main}).
	 * @param db the database file
	 * @param statements SQL statements, each run on its own
	 * @param busyTimeout SQLite's busy timeout, also the bound for retrying a busy
	 * statement
	 * @return the result rows of all statements, formatted as {@link #main} prints them
	 * @throws SQLException if a statement fails, or is still busy after the timeout
	 */
	public static List<String> run(Path db, List<String> statements, Duration busyTimeout) throws SQLException {
		SQLiteConfig config = new SQLiteConfig();
		config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
		List<String> output = new ArrayList<>();
		try (Connection connection = config.createConnection("jdbc:sqlite:" + db)) {
			for (String sql : statements) {
				output.addAll(runRetryingBusy(connection, sql, busyTimeout));
			}
		}
		return output;
	}

	private static List<String> runRetryingBusy(Connection connection, String sql, Duration busyTimeout)
			throws SQLException {
		long deadline = System.nanoTime() + busyTimeout.toNanos();
		long backoffMillis = 10;
		while (true) {
			try {
				return runOnce(connection, sql);
			}
			catch (SQLException ex) {
				int primary = ex.getErrorCode() & 0xFF;
				boolean busy = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
				if (!busy || System.nanoTime() - deadline >= 0) {
					throw ex;
				}
				// SQLite skips its busy handler in some cases (e.g. to avoid a deadlock),
				// so a busy statement is retried here; this is backoff, not
				// synchronisation.
				pause(backoffMillis);
				backoffMillis = Math.min(backoffMillis * 2, 500);
			}
		}
	}

	private static List<String> runOnce(Connection connection, String sql) throws SQLException {
		List<String> rows = new ArrayList<>();
		try (Statement statement = connection.createStatement()) {
			if (statement.execute(sql)) {
				try (ResultSet resultSet = statement.getResultSet()) {
					ResultSetMetaData metaData = resultSet.getMetaData();
					while (resultSet.next()) {
						StringJoiner row = new StringJoiner("|");
						for (int i = 1; i <= metaData.getColumnCount(); i++) {
							row.add(format(resultSet.getObject(i)));
						}
						rows.add(row.toString());
					}
				}
			}
		}
		return rows;
	}

	private static String format(Object value) {
		if (value == null) {
			return "";
		}
		if (value instanceof byte[] bytes) {
			return "x'" + HexFormat.of().formatHex(bytes) + "'";
		}
		return value.toString();
	}

	private static void pause(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while retrying a busy statement", ex);
		}
	}

}
