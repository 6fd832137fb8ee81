package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.litestream.jdbc.LitestreamDataSource;
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

	/** Runs the scenario and adds its section to the report. */
	static void scenario(BenchmarkMain main) throws Exception {
		int writers = Integer.parseInt(main.option("atomic-writers", "8"));
		int transactions = Integer.parseInt(main.option("atomic-transactions", "4000"));
		Duration limit = Duration.ofSeconds(Long.parseLong(main.option("atomic-seconds", "6")));
		List<AtomicTransactions.Config> configs = new ArrayList<>();
		for (String mode : List.of("IMMEDIATE", "DEFERRED")) {
			for (int timeout : mode.equals("IMMEDIATE") ? new int[] { -1, 1000 } : new int[] { -1 }) {
				configs.add(new AtomicTransactions.Config(false, mode, timeout));
				configs.add(new AtomicTransactions.Config(true, mode, timeout));
			}
		}
		Path dir = Bench.fresh(main.work().resolve("atomic"));
		List<AtomicTransactions.Run> runs = new ArrayList<>();
		for (int rep = 0; rep < main.reps(); rep++) {
			for (int i = 0; i < configs.size(); i++) {
				// Plain and starter alternate; which configuration goes first rotates.
				AtomicTransactions.Config config = configs.get((i + rep) % configs.size());
				Path runDir = Bench.fresh(dir.resolve("run-" + runs.size()));
				AtomicTransactions.Run run = AtomicTransactions.run(runDir, config, writers, transactions, limit);
				runs.add(run);
				BenchmarkMain.log("  " + run);
				if (!main.hasOption("keep")) {
					Bench.delete(runDir);
				}
			}
		}
		AtomicTransactions.report(main.report(), runs, writers, transactions, limit, main.reps());
		if (!main.hasOption("keep")) {
			Bench.delete(dir);
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
			LitestreamDataSource wrapped = TransactionWriters.starter(hikari, dir, db);
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
		TransactionWriters.Attempts attempts = TransactionWriters.run(writers, transactions, limit,
				(txn) -> template.executeWithoutResult((status) -> {
					for (int step = 1; step <= 3; step++) {
						jdbc.update("INSERT INTO work (txn, step) VALUES (?, ?)", txn, step);
					}
				}));
		Map<Integer, Integer> rows = new HashMap<>();
		jdbc.query("SELECT txn, COUNT(*) FROM work GROUP BY txn", (rs, row) -> rows.put(rs.getInt(1), rs.getInt(2)));
		TransactionWriters.Outcomes outcomes = TransactionWriters.Outcomes.of(attempts, rows, 3);
		return new Run(config, attempts.attempted(), attempts.failed(), outcomes.partial(),
				outcomes.appliedButReportedFailed(), outcomes.acknowledgedButMissing(), attempts.seconds(),
				attempts.errors());
	}

	/**
	 * Renders the scenario's section and its target rows into the report.
	 */
	static void report(Report report, List<Run> runs, int writers, int transactions, Duration limit, int reps) {
		StringBuilder s = new StringBuilder("## 11. Atomic transactions\n\n");
		s.append(writers)
			.append(" writer threads run Spring `TransactionTemplate` transactions (`DataSourceTransactionManager`, ")
			.append("three `INSERT`s each, tagged with the transaction's number) through a HikariCP pool (default ")
			.append("settings, 10 connections) until ")
			.append(transactions)
			.append(" transactions were attempted or ")
			.append(limit.toSeconds())
			.append(" s passed; then the rows are counted per transaction. Plain: sqlite-jdbc and Hikari alone, ")
			.append("`journal_mode=WAL` in the URL. Starter: the same pool wrapped by `LitestreamDataSource` with a ")
			.append("file replica and default settings (the engine replicating and checkpointing meanwhile). ")
			.append("`transaction_mode` and, where given, `busy_timeout` are JDBC URL parameters. Failed: the ")
			.append("template threw; partial: some but not all of a transaction's rows are in the database; ")
			.append("applied but reported failed: all three rows of a transaction that threw; acknowledged but ")
			.append("missing: a transaction that returned without its three rows. Throughput: acknowledged ")
			.append("transactions per second. ")
			.append(reps)
			.append(" run(s) per configuration, configurations alternating; one row per run. Reproduce: ")
			.append("`./mvnw -B -pl benchmarks -am package -DskipTests && java -jar benchmarks/target/benchmarks.jar ")
			.append("--only=atomic --reps=")
			.append(reps)
			.append("` (about 30 s per repetition).\n\n");
		s.append("| DataSource | transaction_mode | busy_timeout ms | attempted | failed | partial | applied but ")
			.append("reported failed | acknowledged but missing | tx/s | errors (most frequent) |\n")
			.append("|---|---|---|---|---|---|---|---|---|---|\n");
		for (Run r : runs) {
			s.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %.0f | %s |%n", r.config().label(),
					r.attempted(), r.failed(), r.partial(), r.appliedButReportedFailed(), r.acknowledgedButMissing(),
					r.throughput(), r.errors().replace("|", "/")));
		}
		for (String mode : List.of("IMMEDIATE", "DEFERRED")) {
			List<Run> ours = runs.stream()
				.filter((r) -> r.config().starter() && r.config().busyTimeoutMs() < 0
						&& r.config().transactionMode().equals(mode))
				.toList();
			List<Run> plain = runs.stream()
				.filter((r) -> !r.config().starter() && r.config().busyTimeoutMs() < 0
						&& r.config().transactionMode().equals(mode))
				.toList();
			if (ours.isEmpty()) {
				continue;
			}
			int failed = ours.stream().mapToInt(Run::failed).sum();
			int wrong = ours.stream()
				.mapToInt((r) -> r.partial() + r.appliedButReportedFailed() + r.acknowledgedButMissing())
				.sum();
			int attempted = ours.stream().mapToInt(Run::attempted).sum();
			int plainFailed = plain.stream().mapToInt(Run::failed).sum();
			int plainWrong = plain.stream()
				.mapToInt((r) -> r.partial() + r.appliedButReportedFailed() + r.acknowledgedButMissing())
				.sum();
			int plainAttempted = plain.stream().mapToInt(Run::attempted).sum();
			report.target(String.format(Locale.ROOT,
					"| 11. Atomic transactions, %s, %d writers, defaults: failed; database ≠ acknowledged work | 0; 0 "
							+ "| %d of %d; %d (plain sqlite-jdbc + Hikari: %d of %d; %d) | %s |",
					mode, writers, failed, attempted, wrong, plainFailed, plainAttempted, plainWrong,
					Report.met(failed == 0 && wrong == 0)));
		}
		report.section(s.toString());
	}

}
