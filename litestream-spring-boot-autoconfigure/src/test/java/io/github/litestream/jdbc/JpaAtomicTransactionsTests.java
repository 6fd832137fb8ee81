package io.github.litestream.jdbc;

import java.nio.file.Path;
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

import io.github.litestream.jdbc.AtomicTransactionsTests.Outcome;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.LockModeType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.orm.jpa.persistenceunit.PersistenceManagedTypes;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guarantee of {@link AtomicTransactionsTests} with JPA: Hibernate's
 * {@code SQLiteDialect} and Spring's {@code JpaTransactionManager} over a Hikari pool
 * wrapped by the starter, with the starter's defaults (issue 19). Hibernate switches
 * auto-commit off to begin, commits, and switches it back on before the connection
 * returns to the pool; every one of those calls goes through the wrapper.
 * <p>
 * No transaction may fail with the pool of 4 that the guide and the JPA sample use
 * (benchmark scenario 12: none of 24 000 failed). With Hikari's default pool of 10, eight
 * writers wait in SQLite's busy handler, which is no queue, and on a loaded machine a
 * {@code BEGIN IMMEDIATE} can wait past the 5 s busy timeout (scenario 12: 6 of 13 612);
 * such a transaction must fail whole, before it ran anything.
 */
class JpaAtomicTransactionsTests {

	private static final int WRITERS = 8;

	private static final int TRANSACTIONS_PER_WRITER = 100;

	/** The JPA sample's {@code maximum-pool-size}. */
	private static final int SMALL_POOL = 4;

	/** Hikari's default {@code maximumPoolSize}. */
	private static final int DEFAULT_POOL = 10;

	@TempDir
	Path dir;

	private final List<AutoCloseable> open = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.open.size() - 1; i >= 0; i--) {
			this.open.get(i).close();
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "IMMEDIATE", "DEFERRED" })
	void concurrentJpaWritersNeitherFailNorApplyTransactionsReportedAsFailed(String transactionMode) throws Exception {
		Jpa jpa = jpa("?transaction_mode=" + transactionMode, SMALL_POOL);
		Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
		Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
		concurrently((txn) -> {
			jpa.transactions().executeWithoutResult((status) -> {
				for (int step = 1; step <= 3; step++) {
					jpa.entityManager().persist(new Work(txn, step));
				}
			});
			acknowledged.add(txn);
		}, failures);
		Map<Integer, Integer> rows = new HashMap<>();
		jpa.jdbc()
			.query("SELECT txn, COUNT(*) FROM work GROUP BY txn", (rs, row) -> rows.put(rs.getInt(1), rs.getInt(2)));
		int attempted = WRITERS * TRANSACTIONS_PER_WRITER;
		assertThat(Outcome.of(attempted, acknowledged, rows)).as("failures: %s", failures)
			.isEqualTo(Outcome.clean(attempted));
	}

	@Test
	void concurrentReadModifyWriteTransactionsLoseNoUpdateWithImmediateMode() throws Exception {
		Jpa jpa = jpa("?transaction_mode=IMMEDIATE", SMALL_POOL);
		jpa.jdbc().update("INSERT INTO counter (id, total) VALUES (1, 0)");
		AtomicInteger acknowledged = new AtomicInteger();
		Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
		concurrently((txn) -> {
			jpa.transactions().executeWithoutResult((status) -> {
				// Read, then write: the write lock taken by BEGIN IMMEDIATE keeps the
				// snapshot read here current until the commit.
				Counter counter = jpa.entityManager().find(Counter.class, 1L, LockModeType.NONE);
				counter.total++;
				jpa.entityManager().persist(new Work(txn, counter.total));
			});
			acknowledged.incrementAndGet();
		}, failures);
		assertThat(failures).isEmpty();
		assertThat(jpa.jdbc().queryForObject("SELECT total FROM counter", Integer.class)).isEqualTo(acknowledged.get())
			.isEqualTo(WRITERS * TRANSACTIONS_PER_WRITER);
		assertThat(jpa.jdbc().queryForObject("SELECT COUNT(DISTINCT step) FROM work", Integer.class))
			.isEqualTo(WRITERS * TRANSACTIONS_PER_WRITER);
	}

	@Test
	void withHikarisDefaultPoolATransactionThatFailsHasRunNothing() throws Exception {
		Jpa jpa = jpa("?transaction_mode=IMMEDIATE", DEFAULT_POOL);
		jpa.jdbc().update("INSERT INTO counter (id, total) VALUES (1, 0)");
		Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
		Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
		concurrently((txn) -> {
			jpa.transactions().executeWithoutResult((status) -> {
				Counter counter = jpa.entityManager().find(Counter.class, 1L, LockModeType.NONE);
				counter.total++;
				jpa.entityManager().persist(new Work(txn, counter.total));
			});
			acknowledged.add(txn);
		}, failures);
		assertThat(failures.keySet()).as("failures")
			.allMatch((failure) -> failure.startsWith("CannotCreateTransactionException")
					&& failure.contains("SQLITE_BUSY"));
		assertThat(jpa.jdbc().queryForList("SELECT txn FROM work", Integer.class))
			.containsExactlyInAnyOrderElementsOf(acknowledged);
		assertThat(jpa.jdbc().queryForObject("SELECT total FROM counter", Integer.class))
			.isEqualTo(acknowledged.size());
	}

	private void concurrently(Transaction transaction, Map<String, AtomicInteger> failures) throws Exception {
		CountDownLatch start = new CountDownLatch(1);
		ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
		try {
			List<Future<?>> done = new ArrayList<>();
			for (int w = 0; w < WRITERS; w++) {
				int writer = w;
				done.add(writers.submit(() -> {
					start.await();
					for (int i = 0; i < TRANSACTIONS_PER_WRITER; i++) {
						try {
							transaction.run(writer * TRANSACTIONS_PER_WRITER + i);
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
	}

	/**
	 * A Hikari pool wrapped by the starter, and Hibernate on it.
	 */
	private Jpa jpa(String parameters, int poolSize) throws Exception {
		LitestreamDataSource dataSource = WrappedPools.open(this.dir, parameters, poolSize);
		this.open.add(dataSource::close);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, txn INTEGER NOT NULL, step INTEGER NOT NULL)");
		jdbc.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)");
		LocalContainerEntityManagerFactoryBean factory = new LocalContainerEntityManagerFactoryBean();
		factory.setDataSource(dataSource);
		factory.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
		factory.setManagedTypes(PersistenceManagedTypes.of(Work.class.getName(), Counter.class.getName()));
		factory.setJpaPropertyMap(Map.of("hibernate.dialect", "org.hibernate.community.dialect.SQLiteDialect",
				"hibernate.hbm2ddl.auto", "validate"));
		factory.afterPropertiesSet();
		EntityManagerFactory entityManagerFactory = factory.getObject();
		this.open.add(factory::destroy);
		return new Jpa(jdbc, new TransactionTemplate(new JpaTransactionManager(entityManagerFactory)),
				SharedEntityManagerCreator.createSharedEntityManager(entityManagerFactory));
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null) {
			root = root.getCause();
		}
		return ex.getClass().getSimpleName() + ": " + root.getMessage();
	}

	record Jpa(JdbcTemplate jdbc, TransactionTemplate transactions, EntityManager entityManager) {
	}

	@FunctionalInterface
	interface Transaction {

		void run(int txn);

	}

	/**
	 * One of the three rows of a transaction.
	 */
	@Entity(name = "Work")
	@jakarta.persistence.Table(name = "work")
	static class Work {

		// SQLite's rowid alias is INTEGER PRIMARY KEY exactly; Hibernate maps Long to
		// bigint and its validation would refuse the column.
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
	 * A row that every transaction of the read-modify-write test reads and increments.
	 */
	@Entity(name = "Counter")
	@jakarta.persistence.Table(name = "counter")
	static class Counter {

		@Id
		@Column(columnDefinition = "integer")
		Long id;

		int total;

	}

}
