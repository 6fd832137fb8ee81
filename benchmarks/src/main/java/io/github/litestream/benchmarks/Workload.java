package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The benchmark workload: small transactions, each inserting one row of about 100 bytes
 * into {@code bench} with an explicit id from {@link #ROW_BASE} up.
 * <p>
 * Connections use {@code journal_mode=WAL}, {@code synchronous=NORMAL} and a 5 s busy
 * timeout. With our engine they also set {@code wal_autocheckpoint=0} (what the starter's
 * DataSource does: the engine owns checkpoints) and every commit calls
 * {@link Replication#afterCommit()} (what the starter's DataSource wrapper does).
 */
final class Workload {

	/** First row id; far above any id a bookkeeping table uses. */
	static final long ROW_BASE = 1_000_000_000L;

	static final String PAYLOAD = "x".repeat(60);

	private Workload() {
	}

	static Connection open(Path db, boolean autocheckpointOff) throws SQLException {
		return open(db, autocheckpointOff, 5000);
	}

	static Connection open(Path db, boolean autocheckpointOff, int busyTimeoutMs) throws SQLException {
		Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
		try (Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA busy_timeout = " + busyTimeoutMs);
			statement.execute("PRAGMA journal_mode = WAL");
			statement.execute("PRAGMA synchronous = NORMAL");
			if (autocheckpointOff) {
				statement.execute("PRAGMA wal_autocheckpoint = 0");
			}
		}
		return connection;
	}

	static void createSchema(Path db) throws SQLException {
		try (Connection connection = open(db, false); Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, "
					+ "payload TEXT NOT NULL)");
			statement.execute("INSERT INTO bench (id, ts, payload) VALUES (" + (ROW_BASE - 1) + ", 0, 'seed')");
		}
	}

	/**
	 * Runs {@code writers} threads inserting as fast as they can.
	 * @return committed transactions per second
	 */
	static double throughput(Path db, Replication replication, int writers, long durationNanos) throws Exception {
		AtomicLong nextId = new AtomicLong(ROW_BASE);
		AtomicLong committed = new AtomicLong();
		List<Thread> threads = new ArrayList<>();
		List<Throwable> errors = new ArrayList<>();
		long start = System.nanoTime();
		long end = start + durationNanos;
		for (int w = 0; w < writers; w++) {
			Thread thread = new Thread(() -> {
				try (Connection connection = open(db, replication.ownsCheckpoints());
						PreparedStatement insert = connection
							.prepareStatement("INSERT INTO bench (id, ts, payload) VALUES (?, ?, ?)")) {
					while (System.nanoTime() < end) {
						insert.setLong(1, nextId.getAndIncrement());
						insert.setLong(2, System.currentTimeMillis());
						insert.setString(3, PAYLOAD);
						insert.executeUpdate();
						replication.afterCommit();
						committed.incrementAndGet();
					}
				}
				catch (Throwable ex) {
					synchronized (errors) {
						errors.add(ex);
					}
				}
			}, "writer-" + w);
			threads.add(thread);
			thread.start();
		}
		for (Thread thread : threads) {
			thread.join();
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		if (!errors.isEmpty()) {
			throw new IllegalStateException("Writer failed: " + errors.get(0), errors.get(0));
		}
		return committed.get() / seconds;
	}

	/**
	 * Commits {@code count} transactions at a fixed rate from one connection (catching up
	 * when behind), recording when each commit returned.
	 * @param commitNanos receives {@link System#nanoTime()} after each commit, by
	 * sequence
	 * @return the achieved rate
	 */
	static double paced(Path db, Replication replication, double perSecond, int count, long[] commitNanos)
			throws SQLException {
		long period = (long) (1e9 / perSecond);
		try (Connection connection = open(db, replication.ownsCheckpoints());
				PreparedStatement insert = connection
					.prepareStatement("INSERT INTO bench (id, ts, payload) VALUES (?, ?, ?)")) {
			long start = System.nanoTime();
			for (int i = 0; i < count; i++) {
				long due = start + i * period;
				long wait = due - System.nanoTime();
				if (wait > 0) {
					LockSupport.parkNanos(wait);
				}
				insert.setLong(1, ROW_BASE + i);
				insert.setLong(2, System.currentTimeMillis());
				insert.setString(3, PAYLOAD);
				insert.executeUpdate();
				commitNanos[i] = System.nanoTime();
				replication.afterCommit();
			}
			return count / ((System.nanoTime() - start) / 1e9);
		}
	}

	/** What {@link #pacedTolerant} saw: per-attempt latency and the failed attempts. */
	record Attempts(double[] latencyMs, int failed, String firstError, long[] commitNanos, int committed) {
	}

	/**
	 * Like {@link #paced}, but a failed insert (for example "database is locked") is
	 * counted and the workload goes on with the next row; the row id of a failed insert
	 * is not reused, so acknowledged rows are exactly those with {@code commitNanos > 0}.
	 * @param listener called after each successful commit (may be {@code null})
	 */
	static Attempts pacedTolerant(Path db, Replication replication, double perSecond, int count, int busyTimeoutMs,
			Runnable listener) throws SQLException {
		long period = (long) (1e9 / perSecond);
		double[] latency = new double[count];
		long[] commitNanos = new long[count];
		int failed = 0;
		int committed = 0;
		String firstError = null;
		try (Connection connection = open(db, replication.ownsCheckpoints(), busyTimeoutMs);
				PreparedStatement insert = connection
					.prepareStatement("INSERT INTO bench (id, ts, payload) VALUES (?, ?, ?)")) {
			long start = System.nanoTime();
			for (int i = 0; i < count; i++) {
				long due = start + i * period;
				long wait = due - System.nanoTime();
				if (wait > 0) {
					LockSupport.parkNanos(wait);
				}
				long t0 = System.nanoTime();
				try {
					insert.setLong(1, ROW_BASE + i);
					insert.setLong(2, System.currentTimeMillis());
					insert.setString(3, PAYLOAD);
					insert.executeUpdate();
					commitNanos[i] = System.nanoTime();
					latency[i] = (commitNanos[i] - t0) / 1e6;
					committed++;
					replication.afterCommit();
					if (listener != null) {
						listener.run();
					}
				}
				catch (SQLException ex) {
					latency[i] = (System.nanoTime() - t0) / 1e6;
					failed++;
					if (firstError == null) {
						firstError = ex.getMessage();
					}
				}
			}
		}
		return new Attempts(latency, failed, firstError, commitNanos, committed);
	}

}
