package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads and checks SQLite files in tests: restored databases, copies, and (read-only)
 * live databases.
 */
public final class SqliteFiles {

	private SqliteFiles() {
	}

	/**
	 * Asserts that {@code PRAGMA integrity_check} reports {@code ok}.
	 * @param db the database file
	 */
	public static void integrityCheck(Path db) {
		assertThat(rows(db, "PRAGMA integrity_check")).as("integrity_check of %s", db).containsExactly(List.of("ok"));
	}

	/**
	 * Runs a query on a read-only connection and returns every row.
	 * <p>
	 * INTEGER values come back as {@link Long}, REAL as {@link Double}, TEXT as
	 * {@link String}, NULL as {@code null} and BLOBs as {@code byte[]}: compare BLOBs
	 * with {@code hex(col)} in the SQL, since arrays do not compare by content in a list.
	 * The file must exist (a read-only open never creates it).
	 * @param db the database file
	 * @param sql the query
	 * @return the rows, each an unmodifiable list of column values
	 */
	public static List<List<Object>> rows(Path db, String sql) {
		if (!Files.exists(db)) {
			throw new IllegalArgumentException("No database at " + db);
		}
		SQLiteConfig config = new SQLiteConfig();
		config.setReadOnly(true);
		config.setBusyTimeout(5000);
		try (Connection connection = config.createConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet resultSet = statement.executeQuery(sql)) {
			ResultSetMetaData metaData = resultSet.getMetaData();
			List<List<Object>> rows = new ArrayList<>();
			while (resultSet.next()) {
				List<Object> row = new ArrayList<>(metaData.getColumnCount());
				for (int i = 1; i <= metaData.getColumnCount(); i++) {
					Object value = resultSet.getObject(i);
					// sqlite-jdbc returns Integer or Long by magnitude; Long compares.
					row.add((value instanceof Integer small) ? Long.valueOf(small) : value);
				}
				rows.add(Collections.unmodifiableList(row));
			}
			return Collections.unmodifiableList(rows);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Query '" + sql + "' on " + db + " failed: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Copies a live database page for page with SQLite's online backup API in one step:
	 * the copy is a consistent snapshot even while other connections write (a
	 * step-by-step backup restarts on every concurrent write and may never finish).
	 * @param live an open sqlite-jdbc connection to the database to copy
	 * @param dest the file to write (replaced if it exists)
	 * @throws SQLException if the backup fails
	 */
	public static void backupTo(Connection live, Path dest) throws SQLException {
		int result = live.unwrap(SQLiteConnection.class)
			.getDatabase()
			.backup("main", dest.toString(), (remaining, pageCount) -> {
			}, 100, 3, -1);
		if (result != 0) {
			throw new SQLException("Backup of " + live + " to " + dest + " failed with SQLite result " + result, null,
					result);
		}
	}

	/**
	 * The SHA-256 of a file, in hex. Use it on copies and restored files only: opening
	 * and closing a descriptor on a database this JVM holds open with SQLite drops
	 * SQLite's POSIX locks on it.
	 * @param file the file
	 * @return the digest, lower-case hex
	 */
	public static String sha256(Path file) {
		try {
			MessageDigest digest = MessageDigest.getInstance("SHA-256");
			try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
				in.transferTo(OutputStream.nullOutputStream());
			}
			return HexFormat.of().formatHex(digest.digest());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
