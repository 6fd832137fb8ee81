package io.github.litestream.jdbc;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.TransactionTemplate;
import org.sqlite.SQLiteException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Transactions through the wrapped DataSource stay atomic whatever sqlite-jdbc does with
 * a {@code BEGIN} that fails (DESIGN 4.17): a Spring application with a Hikari pool,
 * {@code TransactionTemplate} and the defaults. Regression tests for
 * xerial/sqlite-jdbc#683 as the starter met it: a {@code BEGIN IMMEDIATE} that timed out
 * left a pooled connection marked as in a transaction with none open, so the next
 * transactions on it ran statement by statement in auto-commit mode; transactions
 * reported as failed were applied, and others failed with "cannot commit - no transaction
 * is active".
 */
class AtomicTransactionsTests {

	private static final int WRITERS = 8;

	private static final int TRANSACTIONS_PER_WRITER = 250;

	@TempDir
	Path dir;

	private final List<LitestreamDataSource> open = new ArrayList<>();

	@AfterEach
	void closeAll() {
		this.open.forEach(LitestreamDataSource::close);
	}

	@ParameterizedTest
	@ValueSource(strings = { "IMMEDIATE", "DEFERRED" })
	void concurrentWritersNeitherFailNorApplyTransactionsReportedAsFailed(String transactionMode) throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=" + transactionMode, 10);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, step INTEGER NOT NULL)");
		TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
		Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
		try {
			List<Future<?>> done = new ArrayList<>();
			for (int w = 0; w < WRITERS; w++) {
				int writer = w;
				done.add(writers.submit(() -> {
					start.await();
					for (int i = 0; i < TRANSACTIONS_PER_WRITER; i++) {
						int txn = writer * TRANSACTIONS_PER_WRITER + i;
						try {
							transactions.executeWithoutResult((status) -> {
								for (int step = 1; step <= 3; step++) {
									jdbc.update("INSERT INTO work (txn, step) VALUES (?, ?)", txn, step);
								}
							});
							acknowledged.add(txn);
						}
						catch (RuntimeException ex) {
							failures.computeIfAbsent(rootMessage(ex), (key) -> new AtomicInteger()).incrementAndGet();
						}
					}
					return null;
				}));
			}
			start.countDown();
			for (Future<?> writer : done) {
				writer.get(3, TimeUnit.MINUTES);
			}
		}
		finally {
			writers.shutdownNow();
		}
		Map<Integer, Integer> rows = new HashMap<>();
		jdbc.query("SELECT txn, COUNT(*) FROM work GROUP BY txn", (rs, row) -> rows.put(rs.getInt(1), rs.getInt(2)));
		int attempted = WRITERS * TRANSACTIONS_PER_WRITER;
		Outcome outcome = Outcome.of(attempted, acknowledged, rows);
		assertThat(outcome).as("failures: %s", failures).isEqualTo(Outcome.clean(attempted));
	}

	@Test
	void beginThatTimedOutLeavesNoPooledConnectionInAutoCommit() throws Exception {
		Path db = this.dir.resolve("app.db");
		// One pooled connection: the one whose BEGIN timed out serves the next
		// transactions.
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE&busy_timeout=100", 1);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL)");
		TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = other.createStatement()) {
			statement.execute("BEGIN IMMEDIATE");
			assertThatExceptionOfType(CannotCreateTransactionException.class)
				.isThrownBy(() -> transactions
					.executeWithoutResult((status) -> jdbc.update("INSERT INTO work (txn) VALUES (0)")))
				.havingRootCause()
				.isInstanceOf(SQLiteException.class)
				.withMessageContaining("SQLITE_BUSY");
			statement.execute("ROLLBACK");
		}
		Throwable halfWay = catchThrowable(() -> transactions.executeWithoutResult((status) -> {
			jdbc.update("INSERT INTO work (txn) VALUES (1)");
			throw new IllegalStateException("fails half-way");
		}));
		Throwable whole = catchThrowable(
				() -> transactions.executeWithoutResult((status) -> jdbc.update("INSERT INTO work (txn) VALUES (2)")));
		List<Integer> applied = jdbc.queryForList("SELECT txn FROM work ORDER BY txn", Integer.class);
		assertThat(halfWay).isInstanceOf(IllegalStateException.class).hasMessage("fails half-way");
		assertThat(whole).isNull();
		assertThat(applied).containsExactly(2);
	}

	@Test
	void commitThatSqliteRefusesRollsBackAndLeavesTheConnectionUsable() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE&foreign_keys=true", 1);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
		jdbc.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, "
				+ "parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
		TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		// A deferred foreign key fails the COMMIT itself.
		assertThatExceptionOfType(TransactionSystemException.class)
			.isThrownBy(() -> transactions
				.executeWithoutResult((status) -> jdbc.update("INSERT INTO child (id, parent) VALUES (1, 42)")))
			.havingRootCause()
			.withMessageContaining("FOREIGN KEY");
		transactions.executeWithoutResult((status) -> {
			jdbc.update("INSERT INTO parent (id) VALUES (7)");
			jdbc.update("INSERT INTO child (id, parent) VALUES (2, 7)");
		});
		assertThat(jdbc.queryForList("SELECT id FROM child", Integer.class)).containsExactly(2);
	}

	@Test
	void nestedTransactionRolledBackToItsSavepointKeepsTheOuterWork() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE", 1);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL)");
		DataSourceTransactionManager manager = new DataSourceTransactionManager(dataSource);
		TransactionTemplate outer = new TransactionTemplate(manager);
		TransactionTemplate nested = new TransactionTemplate(manager);
		nested.setPropagationBehavior(TransactionDefinition.PROPAGATION_NESTED);
		outer.executeWithoutResult((status) -> {
			jdbc.update("INSERT INTO work (txn) VALUES (1)");
			nested.executeWithoutResult((inner) -> {
				jdbc.update("INSERT INTO work (txn) VALUES (2)");
				inner.setRollbackOnly();
			});
			jdbc.update("INSERT INTO work (txn) VALUES (3)");
		});
		outer.executeWithoutResult((status) -> jdbc.update("INSERT INTO work (txn) VALUES (4)"));
		assertThat(jdbc.queryForList("SELECT txn FROM work ORDER BY txn", Integer.class)).containsExactly(1, 3, 4);
	}

	private LitestreamDataSource dataSource(String parameters, int poolSize) throws Exception {
		LitestreamDataSource dataSource = WrappedPools.open(this.dir, parameters, poolSize);
		this.open.add(dataSource);
		return dataSource;
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null) {
			root = root.getCause();
		}
		return ex.getClass().getSimpleName() + ": " + root.getMessage();
	}

	/**
	 * What the database holds, counted per transaction.
	 *
	 * @param attempted transactions attempted
	 * @param failed transactions reported as failed
	 * @param partial transactions of which some statements were applied but not all
	 * @param appliedButReportedFailed transactions reported as failed and applied
	 * @param acknowledgedButMissing transactions reported as committed and not (fully)
	 * applied
	 */
	record Outcome(int attempted, int failed, int partial, int appliedButReportedFailed, int acknowledgedButMissing) {

		static Outcome clean(int attempted) {
			return new Outcome(attempted, 0, 0, 0, 0);
		}

		static Outcome of(int attempted, Set<Integer> acknowledged, Map<Integer, Integer> rows) {
			int partial = 0;
			int appliedButReportedFailed = 0;
			int acknowledgedButMissing = 0;
			for (int txn = 0; txn < attempted; txn++) {
				int count = rows.getOrDefault(txn, 0);
				if (count != 0 && count != 3) {
					partial++;
				}
				if (acknowledged.contains(txn) && count != 3) {
					acknowledgedButMissing++;
				}
				if (!acknowledged.contains(txn) && count == 3) {
					appliedButReportedFailed++;
				}
			}
			return new Outcome(attempted, attempted - acknowledged.size(), partial, appliedButReportedFailed,
					acknowledgedButMissing);
		}

	}

}
