package io.github.litestream.replication;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * SQLite's WAL-reset bug: in SQLite 3.7.0 to 3.51.2 a checkpoint that runs right after
 * another one, while a third connection commits a transaction that restarts the WAL, can
 * record WAL frames as already copied into the database when they were not, and the
 * database is corrupted. Fixed in SQLite 3.51.3 and in the 3.44.6 and 3.50.7 backports
 * (see {@value #DOCUMENTATION}).
 * <p>
 * The engine checkpoints and restarts the WAL while the application writes through other
 * connections, which is exactly when the bug bites, so replication must not run on an
 * affected SQLite.
 */
public final class SqliteWalResetBug {

	/** Where SQLite documents the bug. */
	public static final String DOCUMENTATION = "https://www.sqlite.org/wal.html#walresetbug";

	/** The first SQLite version with the bug (the first with WAL mode). */
	public static final String FIRST_AFFECTED_VERSION = "3.7.0";

	/** The last SQLite version with the bug (apart from the backports' lines). */
	public static final String LAST_AFFECTED_VERSION = "3.51.2";

	/** The first SQLite release of the newest line without the bug. */
	public static final String FIXED_VERSION = "3.51.3";

	/** The first {@code org.xerial:sqlite-jdbc} version that bundles a fixed SQLite. */
	public static final String FIXED_SQLITE_JDBC_VERSION = "3.51.3.0";

	private static final Pattern VERSION = Pattern.compile("\\d{1,9}(\\.\\d{1,9}){1,3}");

	private static final int[] FIRST_AFFECTED = parse(FIRST_AFFECTED_VERSION);

	private static final int[] FIXED = parse(FIXED_VERSION);

	/**
	 * Releases of older lines that carry the fix: each fixes the rest of its
	 * {@code major.minor} line.
	 */
	private static final int[][] BACKPORTS = { parse("3.44.6"), parse("3.50.7") };

	private SqliteWalResetBug() {
	}

	/**
	 * Returns whether a SQLite version has the WAL-reset bug.
	 * @param sqliteVersion a version as {@code sqlite_version()} returns it, such as
	 * {@code 3.50.3} (four parts, as in {@code 3.7.6.3}, are accepted)
	 * @return whether it is affected
	 * @throws IllegalArgumentException if the version is not two to four dot-separated
	 * numbers
	 */
	public static boolean affects(String sqliteVersion) {
		int[] version = parse(sqliteVersion);
		if (compare(version, FIRST_AFFECTED) < 0 || compare(version, FIXED) >= 0) {
			return false;
		}
		for (int[] backport : BACKPORTS) {
			if (version[0] == backport[0] && version[1] == backport[1] && compare(version, backport) >= 0) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Returns the version of the SQLite library that the sqlite-jdbc driver loaded, as
	 * SQLite itself reports it, through an in-memory connection opened the way the engine
	 * opens its own.
	 * @return the version, such as {@code 3.54.1}
	 * @throws SQLException if no SQLite connection can be opened
	 */
	public static String runtimeVersion() throws SQLException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite::memory:")) {
			return version(connection);
		}
	}

	/**
	 * Returns the version of the SQLite library behind a connection, as SQLite itself
	 * reports it.
	 * @param connection a SQLite connection
	 * @return the version, such as {@code 3.54.1}
	 * @throws SQLException if the query fails
	 */
	public static String version(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT sqlite_version()")) {
			if (!result.next()) {
				throw new SQLException("sqlite_version() returned no row");
			}
			return result.getString(1);
		}
	}

	private static int[] parse(String version) {
		if (!VERSION.matcher(version).matches()) {
			throw new IllegalArgumentException("'" + version + "' is not a SQLite version (such as 3.51.3)");
		}
		int[] parts = Arrays.stream(version.split("\\.")).mapToInt(Integer::parseInt).toArray();
		return Arrays.copyOf(parts, 4);
	}

	private static int compare(int[] left, int[] right) {
		return Arrays.compare(left, right);
	}

}
