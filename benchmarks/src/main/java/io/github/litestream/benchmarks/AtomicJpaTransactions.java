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
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.orm.jpa.persistenceunit.PersistenceManagedTypes;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Scenario 12: scenario 11 through JPA (issue 19). Writers run
 * {@code TransactionTemplate} transactions with Spring's {@code JpaTransactionManager}
 * and Hibernate (the community {@code SQLiteDialect}) through a Hikari pool, plain or
 * wrapped by the starter's {@code LitestreamDataSource} (file replica, default settings).
 * Two workloads: three {@code persist}s per transaction, and a read-modify-write (find a
 * counter row, increment it, persist one row tagged with the new value), whose lost
 * updates show as a counter below the acknowledged count.
 */
final class AtomicJpaTransactions {

	/** Hikari's default {@code maximumPoolSize}. */
	static final int DEFAULT_POOL = 10;

	/** The sample's pool size. */
	static final int SMALL_POOL = 4;

	private AtomicJpaTransactions() {
	}

	/**
	 * What a transaction does.
	 */
	enum Workload {

		/** Three {@code persist}s. */
		INSERTS(3),

		/** Find the counter, increment it, persist one row. */
		READ_MODIFY_WRITE(1);

		final int rows;

		Workload(int rows) {
			this.rows = rows;
		}

	}

	/**
	 * One configuration.
	 *
	 * @param starter whether the pool is wrapped by the starter
	 * @param transactionMode sqlite-jdbc's {@code transaction_mode}
	 * @param workload what each transaction does
	 * @param poolSize Hikari's {@code maximumPoolSize}
	 */
	record Config(boolean starter, String transactionMode, Workload workload, int poolSize) {

		String label() {
			return (this.starter ? "starter" : "plain") + " | " + this.transactionMode + " | "
					+ this.workload.name().toLowerCase(Locale.ROOT).replace('_', '-') + " | " + this.poolSize;
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
	 * @param lostUpdates acknowledged increments missing from the counter
	 * (read-modify-write only)
	 * @param seconds how long the writers ran
	 * @param errors the most frequent errors, with counts
	 */
	record Run(Config config, int attempted, int failed, int partial, int appliedButReportedFailed,
			int acknowledgedButMissing, int lostUpdates, double seconds, String errors) {

		double throughput() {
			return (this.attempted - this.failed) / this.seconds;
		}

		int wrong() {
			return this.partial + this.appliedButReportedFailed + this.acknowledgedButMissing + this.lostUpdates;
		}

		@Override
		public String toString() {
			return String.format(Locale.ROOT,
					"%s: attempted %d, failed %d, partial %d, applied but reported failed %d, acknowledged but "
							+ "missing %d, lost updates %d, %.0f tx/s; %s",
					this.config.label(), this.attempted, this.failed, this.partial, this.appliedButReportedFailed,
					this.acknowledgedButMissing, this.lostUpdates, throughput(), this.errors);
		}

	}

	/**
	 * Every configuration, in the order a repetition runs them: plain and starter with
	 * Hikari's default pool (10), and the starter with the small pool the guide suggests.
	 */
	static List<Config> configs() {
		List<Config> configs = new ArrayList<>();
		for (Workload workload : Workload.values()) {
			for (String mode : List.of("IMMEDIATE", "DEFERRED")) {
				configs.add(new Config(false, mode, workload, DEFAULT_POOL));
				configs.add(new Config(true, mode, workload, DEFAULT_POOL));
			}
			configs.add(new Config(true, "IMMEDIATE", workload, SMALL_POOL));
		}
		return configs;
	}

	/** Runs the scenario and adds its section to the report. */
	static void scenario(BenchmarkMain main) throws Exception {
		int writers = Integer.parseInt(main.option("atomic-writers", "8"));
		int transactions = Integer.parseInt(main.option("atomic-transactions", "4000"));
		Duration limit = Duration.ofSeconds(Long.parseLong(main.option("atomic-seconds", "6")));
		List<AtomicJpaTransactions.Config> configs = AtomicJpaTransactions.configs();
		Path dir = Bench.fresh(main.work().resolve("atomic-jpa"));
		List<AtomicJpaTransactions.Run> runs = new ArrayList<>();
		for (int rep = 0; rep < main.reps(); rep++) {
			for (int i = 0; i < configs.size(); i++) {
				AtomicJpaTransactions.Config config = configs.get((i + rep) % configs.size());
				Path runDir = Bench.fresh(dir.resolve("run-" + runs.size()));
				AtomicJpaTransactions.Run run = AtomicJpaTransactions.run(runDir, config, writers, transactions, limit);
				runs.add(run);
				BenchmarkMain.log("  " + run);
				if (!main.hasOption("keep")) {
					Bench.delete(runDir);
				}
			}
		}
		AtomicJpaTransactions.report(main.report(), runs, writers, transactions, limit, main.reps());
		if (!main.hasOption("keep")) {
			Bench.delete(dir);
		}
	}

	static Run run(Path dir, Config config, int writers, int transactions, Duration limit) throws Exception {
		Path db = dir.resolve("app.db");
		String url = "jdbc:sqlite:" + db + "?transaction_mode=" + config.transactionMode()
				+ (config.starter() ? "" : "&journal_mode=WAL");
		HikariConfig pool = new HikariConfig();
		pool.setJdbcUrl(url);
		pool.setMaximumPoolSize(config.poolSize());
		HikariDataSource hikari = new HikariDataSource(pool);
		AutoCloseable close = hikari;
		DataSource dataSource = hikari;
		if (config.starter()) {
			LitestreamDataSource wrapped = TransactionWriters.starter(hikari, dir, db);
			dataSource = wrapped;
			close = wrapped;
		}
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, step INTEGER NOT NULL)");
		jdbc.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)");
		jdbc.update("INSERT INTO counter (id, total) VALUES (1, 0)");
		LocalContainerEntityManagerFactoryBean factory = new LocalContainerEntityManagerFactoryBean();
		factory.setDataSource(dataSource);
		factory.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
		factory.setManagedTypes(PersistenceManagedTypes.of(Work.class.getName(), Counter.class.getName()));
		factory.setJpaPropertyMap(Map.of("hibernate.dialect", "org.hibernate.community.dialect.SQLiteDialect"));
		factory.afterPropertiesSet();
		try {
			EntityManagerFactory emf = factory.getObject();
			return measure(config, jdbc, new TransactionTemplate(new JpaTransactionManager(emf)),
					SharedEntityManagerCreator.createSharedEntityManager(emf), writers, transactions, limit);
		}
		finally {
			factory.destroy();
			close.close();
		}
	}

	private static Run measure(Config config, JdbcTemplate jdbc, TransactionTemplate template, EntityManager em,
			int writers, int transactions, Duration limit) throws Exception {
		TransactionWriters.Attempts attempts = TransactionWriters.run(writers, transactions, limit,
				(txn) -> template.executeWithoutResult((status) -> {
					if (config.workload() == Workload.INSERTS) {
						for (int step = 1; step <= 3; step++) {
							em.persist(new Work(txn, step));
						}
					}
					else {
						Counter counter = em.find(Counter.class, 1L);
						counter.total++;
						em.persist(new Work(txn, counter.total));
					}
				}));
		Map<Integer, Integer> rows = new HashMap<>();
		jdbc.query("SELECT txn, COUNT(*) FROM work GROUP BY txn", (rs, row) -> rows.put(rs.getInt(1), rs.getInt(2)));
		TransactionWriters.Outcomes outcomes = TransactionWriters.Outcomes.of(attempts, rows, config.workload().rows);
		int lostUpdates = 0;
		if (config.workload() == Workload.READ_MODIFY_WRITE) {
			Integer total = jdbc.queryForObject("SELECT total FROM counter", Integer.class);
			// Every applied transaction incremented the counter once; a lower total means
			// increments overwrote each other.
			int applied = outcomes.acknowledgedAndApplied() + outcomes.appliedButReportedFailed();
			lostUpdates = Math.max(0, applied - ((total != null) ? total : 0));
		}
		return new Run(config, attempts.attempted(), attempts.failed(), outcomes.partial(),
				outcomes.appliedButReportedFailed(), outcomes.acknowledgedButMissing(), lostUpdates, attempts.seconds(),
				attempts.errors());
	}

	/**
	 * Renders the scenario's section and its target rows into the report.
	 */
	static void report(Report report, List<Run> runs, int writers, int transactions, Duration limit, int reps) {
		StringBuilder s = new StringBuilder("## 12. Atomic JPA transactions\n\n");
		s.append("Scenario 11 through JPA: ")
			.append(writers)
			.append(" writer threads run `TransactionTemplate` transactions with Spring's `JpaTransactionManager` ")
			.append("and Hibernate (`org.hibernate.community.dialect.SQLiteDialect`, entities with ")
			.append("`GenerationType.IDENTITY` ids) through a HikariCP pool (default settings: 10 connections, or 4 where the pool column says so) until ")
			.append(transactions)
			.append(" transactions were attempted or ")
			.append(limit.toSeconds())
			.append(" s passed. Workloads: `inserts` persists three entities per transaction; ")
			.append("`read-modify-write` finds one counter row, increments it and persists one entity tagged with ")
			.append("the new value. Plain and starter as in scenario 11 (`transaction_mode` in the URL, busy timeout ")
			.append("sqlite-jdbc's 3 s plain, the starter's 5 s wrapped). Columns as in scenario 11; lost updates: ")
			.append("applied increments missing from the counter. ")
			.append(reps)
			.append(" run(s) per configuration, configurations alternating; one row per run. Reproduce: ")
			.append("`./mvnw -B -pl benchmarks -am package -DskipTests && java -jar benchmarks/target/benchmarks.jar ")
			.append("--only=atomic-jpa --reps=")
			.append(reps)
			.append("`.\n\n");
		s.append(
				"| DataSource | transaction_mode | workload | pool | attempted | failed | partial | applied but reported ")
			.append("failed | acknowledged but missing | lost updates | tx/s | errors (most frequent) |\n")
			.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
		for (Run r : runs) {
			s.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %.0f | %s |%n",
					r.config().label(), r.attempted(), r.failed(), r.partial(), r.appliedButReportedFailed(),
					r.acknowledgedButMissing(), r.lostUpdates(), r.throughput(), r.errors().replace("|", "/")));
		}
		for (Workload workload : Workload.values()) {
			for (String mode : List.of("IMMEDIATE", "DEFERRED")) {
				List<Run> ours = select(runs, true, mode, workload, DEFAULT_POOL);
				List<Run> plain = select(runs, false, mode, workload, DEFAULT_POOL);
				if (ours.isEmpty()) {
					continue;
				}
				report.target(String.format(Locale.ROOT,
						"| 12. Atomic JPA transactions, %s, %s, %d writers, defaults: failed; database ≠ acknowledged "
								+ "work | 0; 0 | %d of %d; %d (plain sqlite-jdbc + Hikari: %d of %d; %d) | %s |",
						mode, workload.name().toLowerCase(Locale.ROOT).replace('_', '-'), writers, failed(ours),
						attempted(ours), wrong(ours), failed(plain), attempted(plain), wrong(plain),
						(failed(ours) == 0 && wrong(ours) == 0) ? "**met**" : "**not met**"));
			}
			List<Run> small = select(runs, true, "IMMEDIATE", workload, SMALL_POOL);
			if (!small.isEmpty()) {
				report.target(String.format(Locale.ROOT,
						"| 12. Atomic JPA transactions, IMMEDIATE, %s, %d writers, pool of %d: failed; database ≠ "
								+ "acknowledged work | 0; 0 | %d of %d; %d | %s |",
						workload.name().toLowerCase(Locale.ROOT).replace('_', '-'), writers, SMALL_POOL, failed(small),
						attempted(small), wrong(small),
						(failed(small) == 0 && wrong(small) == 0) ? "**met**" : "**not met**"));
			}
		}
		report.section(s.toString());
	}

	private static List<Run> select(List<Run> runs, boolean starter, String mode, Workload workload, int pool) {
		return runs.stream()
			.filter((r) -> r.config().starter() == starter && r.config().transactionMode().equals(mode)
					&& r.config().workload() == workload && r.config().poolSize() == pool)
			.toList();
	}

	private static int failed(List<Run> runs) {
		return runs.stream().mapToInt(Run::failed).sum();
	}

	private static int attempted(List<Run> runs) {
		return runs.stream().mapToInt(Run::attempted).sum();
	}

	private static int wrong(List<Run> runs) {
		return runs.stream().mapToInt(Run::wrong).sum();
	}

	/**
	 * A row of a transaction.
	 */
	@Entity(name = "Work")
	@Table(name = "work")
	static class Work {

		// SQLite's rowid alias (INTEGER PRIMARY KEY); no validation runs here.
		@Id
		@GeneratedValue(strategy = GenerationType.IDENTITY)
		@Column(columnDefinition = "integer")
		Long id;

		int txn;

		int step;

		protected Work() {
		}

		Work(int txn, int step) {
			this.txn = txn;
			this.step = step;
		}

	}

	/**
	 * The row every read-modify-write transaction increments.
	 */
	@Entity(name = "Counter")
	@Table(name = "counter")
	static class Counter {

		@Id
		@Column(columnDefinition = "integer")
		Long id;

		int total;

	}

}
