package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.jdbc.CompositeReplicationListener;
import io.github.litestream.jdbc.LitestreamDataSource;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.storage.file.FileReplicaClient;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Scenario 11: concurrent Spring transactions on SQLite (issue 19). Writers run
 * {@code TransactionTemplate} transactions of three inserts each through a Hikari pool,
 * plain or wrapped by the starter's {@code LitestreamDataSource} (file replica, default
 * settings), until a fixed number of transactions or a time limit; then the rows are
 * counted per transaction.
 */
final class AtomicTransactions {

	private AtomicTransactions() {
	}

	/**
	 * One configuration.
	 *
	 * @param starter whether the pool is wrapped by the starter
	 * @param transactionMode sqlite-jdbc's {@code transaction_mode}
	 * @param busyTimeoutMs the {@code busy_timeout} in the JDBC URL, or -1 for none
	 */
	record Config(boolean starter, String transactionMode, int busyTimeoutMs) {

		String label() {
			String timeout = (this.busyTimeoutMs < 0)
					? (this.starter ? "5000 (starter default)" : "3000 (sqlite-jdbc default)")
					: this.busyTimeoutMs + " (URL)";
			return (this.starter ? "starter" : "plain") + " | " + this.transactionMode + " | " + timeout;
		}

	}

	/**
	 * What the database holds after a run.
	 *
	 * @param config the configuration
	 * @param attempted transactions attempted
	 * @param failed transactions reported as failed
	 * @param partial transactions applied in part
	 * @param appliedButReportedFailed transactions reported as failed and applied whole
	 * @param acknowledgedButMissing transactions reported as committed and not applied
	 * whole
	 * @param seconds how long the writers ran
	 * @param errors the most frequent errors, with counts
	 */
	record Run(Config config, int attempted, int failed, int partial, int appliedButReportedFailed,
			int acknowledgedButMissing, double seconds, String errors) {

		double throughput() {
			return (this.attempted - this.failed) / this.seconds;
		}

		@Override
		public String toString() {
			return String.format(Locale.ROOT,
					"%s: attempted %d, failed %d, partial %d, applied but reported failed %d, acknowledged but "
							+ "missing %d, %.0f tx/s; %s",
					this.config.label(), this.attempted, this.failed, this.partial, this.appliedButReportedFailed,
					this.acknowledgedButMissing, throughput(), this.errors);
		}

	}

	static Run run(Path dir, Config config, int writers, int transactions, Duration limit) throws Exception {
		Path db = dir.resolve("app.db");
		StringBuilder url = new StringBuilder("jdbc:sqlite:").append(db)
			.append("?transaction_mode=")
			.append(config.transactionMode());
		if (config.busyTimeoutMs() >= 0) {
			url.append("&busy_timeout=").append(config.busyTimeoutMs());
		}
		if (!config.starter()) {
			// The starter switches to WAL; the plain pool gets it from the URL.
			url.append("&journal_mode=WAL");
		}
		HikariConfig pool = new HikariConfig();
		pool.setJdbcUrl(url.toString());
		HikariDataSource hikari = new HikariDataSource(pool);
		AutoCloseable close = hikari;
		DataSource dataSource = hikari;
		if (config.starter()) {
			FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
			List<Replica> replicas = List.of(new Replica("file", client.location(), client, Duration.ofSeconds(1)));
			CompositeReplicationListener listener = new CompositeReplicationListener();
			ReplicatorConfig engine = LitestreamDatabase.config(ReplicatorConfig.builder("dataSource", db), replicas,
					listener);
			LitestreamDatabase database = new LitestreamDatabase(engine, replicas,
					new LitestreamDatabase.Settings(true, IntegrityCheck.NONE, Duration.ofSeconds(10)), listener);
			LitestreamDataSource wrapped = new LitestreamDataSource(hikari, database);
			database.start();
			dataSource = wrapped;
			close = wrapped;
		}
		try {
			return measure(config, dataSource, writers, transactions, limit);
		}
		finally {
			close.close();
		}
	}

	private static Run measure(Config config, DataSource dataSource, int writers, int transactions, Duration limit)
			throws Exception {
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, step INTEGER NOT NULL)");
		TransactionTemplate template = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
		Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
		AtomicInteger next = new AtomicInteger();
		AtomicLong attempted = new AtomicLong();
		long deadline = System.nanoTime() + limit.toNanos();
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService pool = Executors.newFixedThreadPool(writers);
		long started;
		long ended;
		try {
			List<Future<?>> done = new ArrayList<>();
			for (int w = 0; w < writers; w++) {
				done.add(pool.submit(() -> {
					start.await();
					while (System.nanoTime() - deadline < 0) {
						int txn = next.getAndIncrement();
						if (txn >= transactions) {
							break;
						}
						attempted.incrementAndGet();
						try {
							template.executeWithoutResult((status) -> {
								for (int step = 1; step <= 3; step++) {
									jdbc.update("INSERT INTO work (txn, step) VALUES (?, ?)", txn, step);
								}
							});
							acknowledged.add(txn);
						}
						catch (RuntimeException ex) {
							errors.computeIfAbsent(describe(ex), (key) -> new AtomicInteger()).incrementAndGet();
						}
					}
					return null;
				}));
			}
			started = System.nanoTime();
			start.countDown();
			for (Future<?> writer : done) {
				writer.get(limit.toSeconds() + 120, TimeUnit.SECONDS);
			}
			ended = System.nanoTime();
		}
		finally {
			pool.shutdownNow();
		}
		Map<Integer, Integer> rows = new HashMap<>();
		jdbc.query("SELECT txn, COUNT(*) FROM work GROUP BY txn", (rs, row) -> rows.put(rs.getInt(1), rs.getInt(2)));
		int tried = (int) attempted.get();
		int partial = 0;
		int appliedButReportedFailed = 0;
		int acknowledgedButMissing = 0;
		for (int txn = 0; txn < tried; txn++) {
			int count = rows.getOrDefault(txn, 0);
			boolean ack = acknowledged.contains(txn);
			partial += (count != 0 && count != 3) ? 1 : 0;
			appliedButReportedFailed += (!ack && count == 3) ? 1 : 0;
			acknowledgedButMissing += (ack && count != 3) ? 1 : 0;
		}
		StringBuilder top = new StringBuilder();
		errors.entrySet()
			.stream()
			.sorted((a, b) -> b.getValue().get() - a.getValue().get())
			.limit(3)
			.forEach((e) -> top.append(top.isEmpty() ? "" : "; ").append(e.getValue()).append("× ").append(e.getKey()));
		return new Run(config, tried, tried - acknowledged.size(), partial, appliedButReportedFailed,
				acknowledgedButMissing, (ended - started) / 1e9, top.isEmpty() ? "none" : top.toString());
	}

	private static String describe(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null) {
			root = root.getCause();
		}
		String message = String.valueOf(root.getMessage());
		int paren = message.lastIndexOf('(');
		String reason = (paren >= 0) ? message.substring(paren) : message;
		return ex.getClass().getSimpleName() + " " + reason;
	}

}
