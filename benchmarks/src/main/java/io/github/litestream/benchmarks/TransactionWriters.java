package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import com.zaxxer.hikari.HikariDataSource;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.jdbc.CompositeReplicationListener;
import io.github.litestream.jdbc.LitestreamDataSource;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.storage.file.FileReplicaClient;

/**
 * What scenarios 11 and 12 share: the starter's DataSource around a Hikari pool, the
 * writer threads that attempt numbered transactions until a count or a time limit, and
 * the comparison of what the writers were told with the rows each transaction left. One
 * copy, so that the two scenarios count outcomes the same way.
 */
final class TransactionWriters {

	private TransactionWriters() {
	}

	/**
	 * Wraps a pool with the starter's {@code LitestreamDataSource}, replicating to a file
	 * replica under {@code dir} with default settings, and starts its engine.
	 */
	static LitestreamDataSource starter(HikariDataSource hikari, Path dir, Path db) throws Exception {
		FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
		List<Replica> replicas = List.of(new Replica("file", client.location(), client, Duration.ofSeconds(1)));
		CompositeReplicationListener listener = new CompositeReplicationListener();
		ReplicatorConfig engine = LitestreamDatabase.config(ReplicatorConfig.builder("dataSource", db), replicas,
				listener);
		LitestreamDatabase database = new LitestreamDatabase(engine, replicas,
				new LitestreamDatabase.Settings(true, IntegrityCheck.NONE, Duration.ofSeconds(10)), listener);
		LitestreamDataSource wrapped = new LitestreamDataSource(hikari, database);
		database.start();
		return wrapped;
	}

	/**
	 * What the writers saw.
	 *
	 * @param attempted transactions attempted (numbered from 0)
	 * @param acknowledged the numbers of the transactions that returned
	 * @param seconds how long the writers ran
	 * @param errors the most frequent errors, with counts, or {@code none}
	 */
	record Attempts(int attempted, Set<Integer> acknowledged, double seconds, String errors) {

		int failed() {
			return this.attempted - this.acknowledged.size();
		}

	}

	/**
	 * Runs {@code writers} threads that each take the next transaction number and run
	 * {@code transaction} with it, until {@code transactions} were attempted or
	 * {@code limit} passed; a transaction that throws counts as failed.
	 */
	static Attempts run(int writers, int transactions, Duration limit, IntConsumer transaction) throws Exception {
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
							transaction.accept(txn);
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
		StringBuilder top = new StringBuilder();
		errors.entrySet()
			.stream()
			.sorted((a, b) -> b.getValue().get() - a.getValue().get())
			.limit(3)
			.forEach((e) -> top.append(top.isEmpty() ? "" : "; ").append(e.getValue()).append("× ").append(e.getKey()));
		return new Attempts((int) attempted.get(), acknowledged, (ended - started) / 1e9,
				top.isEmpty() ? "none" : top.toString());
	}

	/**
	 * Each transaction's outcome, from the rows it left and what its writer was told.
	 *
	 * @param partial transactions applied in part
	 * @param appliedButReportedFailed transactions reported as failed and applied whole
	 * @param acknowledgedButMissing transactions reported as committed and not applied
	 * whole
	 * @param acknowledgedAndApplied transactions reported as committed and applied whole
	 */
	record Outcomes(int partial, int appliedButReportedFailed, int acknowledgedButMissing, int acknowledgedAndApplied) {

		/**
		 * Counts the outcomes of every attempted transaction.
		 * @param attempts what the writers saw
		 * @param rows how many rows each transaction number left
		 * @param expected how many rows a whole transaction leaves
		 */
		static Outcomes of(Attempts attempts, Map<Integer, Integer> rows, int expected) {
			int partial = 0;
			int appliedButReportedFailed = 0;
			int acknowledgedButMissing = 0;
			int acknowledgedAndApplied = 0;
			for (int txn = 0; txn < attempts.attempted(); txn++) {
				int count = rows.getOrDefault(txn, 0);
				boolean ack = attempts.acknowledged().contains(txn);
				partial += (count != 0 && count != expected) ? 1 : 0;
				appliedButReportedFailed += (!ack && count == expected) ? 1 : 0;
				acknowledgedButMissing += (ack && count != expected) ? 1 : 0;
				acknowledgedAndApplied += (ack && count == expected) ? 1 : 0;
			}
			return new Outcomes(partial, appliedButReportedFailed, acknowledgedButMissing, acknowledgedAndApplied);
		}

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
