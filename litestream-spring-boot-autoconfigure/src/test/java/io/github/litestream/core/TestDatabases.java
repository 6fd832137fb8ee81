package io.github.litestream.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;

import io.github.litestream.ltx.LtxChecksum;

/**
 * SQLite helpers for engine tests: connections configured the way the starter configures
 * application connections, content digests, and the rolling database checksum of LTX-SPEC
 * section 5.4 computed over a closed database file.
 */
public final class TestDatabases {

	private TestDatabases() {
	}

	/**
	 * Opens a connection the way the starter's DataSource wrapper does: WAL mode, no
	 * automatic checkpoints (the engine owns them), a generous busy timeout.
	 */
	public static Connection open(Path db) throws SQLException {
		Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
		try (Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA busy_timeout = 10000");
			statement.execute("PRAGMA journal_mode = WAL");
			statement.execute("PRAGMA wal_autocheckpoint = 0");
		}
		return connection;
	}

	public static void execute(Connection connection, String... sql) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			for (String s : sql) {
				statement.execute(s);
			}
		}
	}

	public static long queryLong(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
			rs.next();
			return rs.getLong(1);
		}
	}

	public static long queryLong(Path db, String sql) throws SQLException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db)) {
			return queryLong(connection, sql);
		}
	}

	/**
	 * Digests every row of a table in primary-key order.
	 */
	public static String digest(Connection connection, String table) throws SQLException {
		MessageDigest digest = sha256();
		try (Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
			int columns = rs.getMetaData().getColumnCount();
			while (rs.next()) {
				for (int i = 1; i <= columns; i++) {
					byte[] value = rs.getBytes(i);
					digest.update((value != null) ? value : new byte[] { -1 });
					digest.update((byte) 0);
				}
			}
		}
		return HexFormat.of().formatHex(digest.digest());
	}

	public static String digest(Path db, String table) throws SQLException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db)) {
			return digest(connection, table);
		}
	}

	public static String integrityCheck(Path db) throws SQLException {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA integrity_check")) {
			StringBuilder result = new StringBuilder();
			while (rs.next()) {
				result.append(rs.getString(1));
			}
			return result.toString();
		}
	}

	/**
	 * Computes the rolling checksum of LTX-SPEC section 5.4 over pages 1..N of a database
	 * file that no connection has open (N from the in-header database size), skipping the
	 * lock page.
	 */
	public static long checksum(Path db) throws IOException {
		try (FileChannel channel = FileChannel.open(db, StandardOpenOption.READ)) {
			ByteBuffer header = ByteBuffer.allocate(100);
			channel.read(header, 0);
			int pageSize = Short.toUnsignedInt(header.getShort(16));
			if (pageSize == 1) {
				pageSize = 65536;
			}
			int pages = header.getInt(28);
			int lockPage = LtxChecksum.lockPage(pageSize);
			byte[] page = new byte[pageSize];
			long checksum = LtxChecksum.FLAG;
			for (int pgno = 1; pgno <= pages; pgno++) {
				if (pgno == lockPage) {
					continue;
				}
				ByteBuffer buffer = ByteBuffer.wrap(page);
				long position = (long) (pgno - 1) * pageSize;
				while (buffer.hasRemaining()) {
					if (channel.read(buffer, position + buffer.position()) < 0) {
						throw new IOException("Database " + db + " is shorter than its " + pages + " pages");
					}
				}
				checksum = LtxChecksum.fold(checksum, LtxChecksum.pageChecksum(pgno, page, 0, pageSize));
			}
			return checksum;
		}
	}

	private static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
