package io.github.litestream.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * Creates the large database of scenarios 3 and 4: rows of about 900 bytes, mostly
 * compressible text with 64 random hex characters each, until the file reaches the
 * requested size. Written with the journal off (fast), then switched to WAL.
 */
final class BigDatabase {

	private BigDatabase() {
	}

	static long create(Path db, long bytes) throws Exception {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
				Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA journal_mode = OFF");
			statement.execute("PRAGMA synchronous = OFF");
			statement.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
			while (Files.size(db) < bytes) {
				long remainingRows = Math.max(1000, (bytes - Files.size(db)) / 950);
				long rows = Math.min(200_000, remainingRows);
				statement.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + rows
						+ ") INSERT INTO big (payload) SELECT printf('%.820c', 'a') || hex(randomblob(32)) FROM n");
			}
			statement.execute("PRAGMA journal_mode = WAL");
		}
		Workload.createSchema(db);
		return Files.size(db);
	}

}
