package io.github.litestream.s3e2e;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * SQLite helpers of the S3 end-to-end tests: a writer configured as the engine expects
 * (WAL, no auto-checkpoint) and a content digest to compare a restore with its source.
 */
final class Databases {

	private Databases() {
	}

	static Connection open(Path db) throws SQLException {
		Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
		execute(connection, "PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0", "PRAGMA busy_timeout=5000");
		return connection;
	}

	static void execute(Connection connection, String... sql) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			for (String each : sql) {
				statement.execute(each);
			}
		}
	}

	/**
	 * Inserts rows {@code from..to} (inclusive) into table {@code t} in one transaction.
	 */
	static void insert(Connection connection, int from, int to) throws SQLException {
		execute(connection, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)");
		execute(connection,
				"INSERT INTO t (id, v) WITH RECURSIVE s(x) AS (SELECT " + from
						+ " UNION ALL SELECT x + 1 FROM s WHERE x < " + to + ") SELECT x, 'row-' || x || '-' || "
						+ "hex(randomblob(32)) FROM s");
	}

	static long count(Path db) throws SQLException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM t")) {
			rs.next();
			return rs.getLong(1);
		}
	}

	/**
	 * A digest of every row of table {@code t}, in id order.
	 */
	static String digest(Path db) throws SQLException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db)) {
			return digest(connection);
		}
	}

	static String digest(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT COUNT(*) || ':' || COALESCE(SUM(id), 0) || ':' || "
						+ "COALESCE(SUM(length(v) * (id % 97)), 0) || ':' || "
						+ "COALESCE(group_concat(substr(v, -8), ''), '') FROM (SELECT * FROM t ORDER BY id)")) {
			rs.next();
			return Integer.toHexString(rs.getString(1).hashCode()) + "/" + rs.getString(1).split(":", 4)[0];
		}
	}

	static String integrityCheck(Path db) throws SQLException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA integrity_check")) {
			rs.next();
			return rs.getString(1);
		}
	}

}
