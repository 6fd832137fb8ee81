package io.github.litestream.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.sqlite.SQLiteConfig;

/**
 * A SQLite writer for a child JVM ({@link ChildJvm}): inserts rows in small transactions
 * and reports each commit on stdout, so a test that kills it knows which rows must
 * survive.
 * <p>
 * Usage:
 * {@code SqliteWriterMain <db> <writer> <transactions|duration> <rowsPerTransaction>
 * <payloadBytes> [--pause=DURATION] [--wal-autocheckpoint=PAGES] [--busy-timeout=DURATION]}.
 * The third argument is a count ({@code 200}) or a duration to keep writing for
 * ({@code 5s}, {@code 500ms}, {@code PT5S}). The connection uses
 * {@code journal_mode=WAL}, {@code busy_timeout} 5 s, {@code wal_autocheckpoint} 0 (so
 * only the replication engine or a test checkpoints) and {@code BEGIN IMMEDIATE}
 * transactions, so several writers can share a database. It creates
 * {@code t(id INTEGER PRIMARY KEY, writer TEXT, payload BLOB)} if missing and inserts
 * rows with random payloads.
 * <p>
 * Output, flushed line by line: {@code committed <writer> <last id>} after each COMMIT
 * has returned, then {@code done <writer> <transactions>}. Exit status 0, 1 on an SQL
 * error, 2 on bad usage.
 */
public final class SqliteWriterMain {

	private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

	private SqliteWriterMain() {
	}

	/**
	 * Writes as the arguments say.
	 * @param args see the class description
	 */
	public static void main(String[] args) {
		if (args.length < 5) {
			System.err.println("usage: SqliteWriterMain <db> <writer> <transactions|duration> <rowsPerTransaction> "
					+ "<payloadBytes> [--pause=DURATION] [--wal-autocheckpoint=PAGES] [--busy-timeout=DURATION]");
			System.exit(2);
		}
		Path db = Path.of(args[0]);
		String writer = args[1];
		boolean counted = args[2].matches("\\d+");
		long transactions = counted ? Long.parseLong(args[2]) : Long.MAX_VALUE;
		long deadline = counted ? Long.MAX_VALUE : System.nanoTime() + parseDuration(args[2]).toNanos();
		int rowsPerTransaction = Integer.parseInt(args[3]);
		int payloadBytes = Integer.parseInt(args[4]);
		Duration pause = Duration.ZERO;
		int walAutocheckpoint = 0;
		Duration busyTimeout = Duration.ofSeconds(5);
		for (int i = 5; i < args.length; i++) {
			String[] option = args[i].split("=", 2);
			switch (option[0]) {
				case "--pause" -> pause = parseDuration(option[1]);
				case "--wal-autocheckpoint" -> walAutocheckpoint = Integer.parseInt(option[1]);
				case "--busy-timeout" -> busyTimeout = parseDuration(option[1]);
				default -> {
					System.err.println("unknown option " + args[i]);
					System.exit(2);
				}
			}
		}
		try {
			long written = write(db, writer, transactions, deadline, rowsPerTransaction, payloadBytes, pause,
					walAutocheckpoint, busyTimeout);
			System.out.println("done " + writer + " " + written);
			System.out.flush();
		}
		catch (SQLException ex) {
			System.out.flush();
			System.err.println("FAILED: " + ex.getMessage() + " (SQLite result code " + ex.getErrorCode() + ")");
			System.exit(1);
		}
	}

	/**
	 * The highest id the writer reported as committed, parsed from its output.
	 * @param lines the lines it printed so far (see {@link ChildJvm#lines()})
	 * @return the id of the last committed row, 0 if it reported none
	 */
	public static long lastCommittedId(List<String> lines) {
		return lines.stream()
			.filter((line) -> line.startsWith("committed "))
			.mapToLong((line) -> Long.parseLong(line.substring(line.lastIndexOf(' ') + 1)))
			.max()
			.orElse(0);
	}

	private static long write(Path db, String writer, long transactions, long deadline, int rowsPerTransaction,
			int payloadBytes, Duration pause, int walAutocheckpoint, Duration busyTimeout) throws SQLException {
		SQLiteConfig config = new SQLiteConfig();
		config.setBusyTimeout((int) busyTimeout.toMillis());
		config.setJournalMode(SQLiteConfig.JournalMode.WAL);
		try (Connection connection = config.createConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement()) {
			// Per connection: without it SQLite checkpoints by itself every 1000 pages.
			statement.execute("PRAGMA wal_autocheckpoint=" + walAutocheckpoint);
			statement.execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, writer TEXT, payload BLOB)");
			long written = 0;
			try (PreparedStatement insert = connection
				.prepareStatement("INSERT INTO t(writer, payload) VALUES (?, randomblob(?))");
					PreparedStatement lastId = connection.prepareStatement("SELECT last_insert_rowid()")) {
				while (written < transactions && System.nanoTime() - deadline < 0) {
					// Explicit BEGIN IMMEDIATE/COMMIT in autocommit mode: sqlite-jdbc's
					// own transactions begin the next one right after COMMIT, which would
					// hold the write lock through the pause.
					statement.execute("BEGIN IMMEDIATE");
					long id;
					try {
						for (int row = 0; row < rowsPerTransaction; row++) {
							insert.setString(1, writer);
							insert.setInt(2, payloadBytes);
							insert.executeUpdate();
						}
						try (ResultSet resultSet = lastId.executeQuery()) {
							resultSet.next();
							id = resultSet.getLong(1);
						}
						statement.execute("COMMIT");
					}
					catch (SQLException ex) {
						rollbackQuietly(statement);
						throw ex;
					}
					written++;
					// Printed only after COMMIT returned: every reported id is durable.
					System.out.println("committed " + writer + " " + id);
					System.out.flush();
					if (!pause.isZero()) {
						pace(pause);
					}
				}
			}
			return written;
		}
	}

	private static void rollbackQuietly(Statement statement) {
		try {
			statement.execute("ROLLBACK");
		}
		catch (SQLException ex) {
			// SQLite may have rolled back already; the original error matters.
		}
	}

	static Duration parseDuration(String text) {
		if (text.toUpperCase(Locale.ROOT).startsWith("PT")) {
			return Duration.parse(text);
		}
		Matcher matcher = DURATION.matcher(text);
		if (!matcher.matches()) {
			throw new IllegalArgumentException("Not a duration: '" + text + "' (use e.g. 500ms, 5s, 2m, 1h or PT5S)");
		}
		long amount = Long.parseLong(matcher.group(1));
		return switch (matcher.group(2)) {
			case "ms" -> Duration.ofMillis(amount);
			case "s" -> Duration.ofSeconds(amount);
			case "m" -> Duration.ofMinutes(amount);
			default -> Duration.ofHours(amount);
		};
	}

	private static void pace(Duration pause) {
		try {
			// Pacing between transactions, so a test can observe the database mid-run.
			Thread.sleep(pause.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
