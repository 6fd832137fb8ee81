package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.replication.ReplicationTimeoutException;
import io.github.litestream.replication.Replicator;

/**
 * Scenario 14: what waiting for a durable acknowledgement costs (issue 19, item 7).
 * Requests arrive at a fixed rate, independent of how long earlier ones took (an open
 * loop, as clients of a service do); each commits one row through its own connection,
 * tells the engine (as the starter's DataSource does) and then calls
 * {@code awaitCommitsReplicated}, the engine call behind
 * {@code LitestreamDatabase.awaitReplicated} and {@code @AwaitReplicated}. The latency
 * measured is that of the wait alone, from the commit's return to the answer.
 */
final class DurableAcknowledgement {

	private DurableAcknowledgement() {
	}

	/**
	 * One run.
	 *
	 * @param kind the replica kind
	 * @param interval the sync interval
	 * @param waits the wait of every request after the first second, in ms
	 * @param commitP50 the median commit time, in ms, for comparison
	 * @param timeouts waits that timed out (30 s)
	 */
	record Run(String kind, Duration interval, double[] waits, double commitP50, int timeouts) {

		double p50() {
			return Stats.percentile(this.waits, 50);
		}

		double p99() {
			return Stats.percentile(this.waits, 99);
		}

		double max() {
			return Stats.percentile(this.waits, 100);
		}

	}

	static Run measure(Path dir, ReplicaTarget target, Duration interval, int rate, int seconds) throws Exception {
		Path db = dir.resolve("bench.db");
		Workload.createSchema(db);
		ReplicatorConfig config = ReplicatorConfig.builder("bench", db)
			.replica(new ReplicaConfig("bench", target.client(), interval))
			.levels(OurReplication.defaultLevels())
			.shutdownSyncTimeout(Duration.ofSeconds(5))
			.build();
		int count = rate * seconds;
		double[] waits = new double[count];
		double[] commits = new double[count];
		AtomicInteger timeouts = new AtomicInteger();
		List<Connection> connections = Collections.synchronizedList(new ArrayList<>());
		ThreadLocal<Connection> connection = ThreadLocal.withInitial(() -> {
			try {
				Connection opened = Workload.open(db, true);
				connections.add(opened);
				return opened;
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		AtomicLong ids = new AtomicLong(Workload.ROW_BASE);
		ExecutorService requests = Executors.newFixedThreadPool(64);
		try (Replicator replicator = new Replicator(config)) {
			replicator.start();
			// The initial full upload is not a request's wait
			replicator.awaitCommitsReplicated(Duration.ofMinutes(5));
			List<Future<?>> pending = new ArrayList<>();
			long start = System.nanoTime();
			for (int i = 0; i < count; i++) {
				long due = start + (long) (i * 1e9 / rate);
				while (System.nanoTime() < due) {
					LockSupport.parkNanos(due - System.nanoTime());
				}
				int request = i;
				pending.add(requests.submit(() -> {
					long begin = System.nanoTime();
					try (PreparedStatement insert = connection.get()
						.prepareStatement("INSERT INTO bench (id, ts, payload) VALUES (?, ?, ?)")) {
						insert.setLong(1, ids.incrementAndGet());
						insert.setLong(2, System.currentTimeMillis());
						insert.setString(3, Workload.PAYLOAD);
						insert.executeUpdate();
					}
					replicator.notifyCommit();
					long committed = System.nanoTime();
					commits[request] = (committed - begin) / 1e6;
					try {
						replicator.awaitCommitsReplicated(Duration.ofSeconds(30));
						waits[request] = (System.nanoTime() - committed) / 1e6;
					}
					catch (ReplicationTimeoutException ex) {
						timeouts.incrementAndGet();
						waits[request] = Double.POSITIVE_INFINITY;
					}
					return null;
				}));
			}
			for (Future<?> future : pending) {
				future.get();
			}
		}
		finally {
			requests.shutdownNow();
			for (Connection opened : connections) {
				opened.close();
			}
		}
		// The first second is warm-up
		int from = Math.min(rate, count - 1);
		double[] measured = Arrays.copyOfRange(waits, from, count);
		return new Run(target.kind(), interval, measured,
				Stats.percentile(Arrays.copyOfRange(commits, from, count), 50), timeouts.get());
	}

	static String section(List<Run> runs, int rate, int seconds, int reps) {
		StringBuilder s = new StringBuilder("## 14. Durable acknowledgement\n\n");
		s.append("Requests arrive at ")
			.append(rate)
			.append(" per second for ")
			.append(seconds)
			.append(" s (an open loop: a slow answer does not delay the next request); each inserts one row in its ")
			.append("own autocommit transaction, tells the engine (as the starter's DataSource does), then waits ")
			.append("with `awaitCommitsReplicated` (what `LitestreamDatabase.awaitReplicated` and ")
			.append("`@AwaitReplicated` call) until the replica holds its commit. Wait: from the commit's return ")
			.append("to the answer; the first second is warm-up. No upload is forced: the commit rides the next ")
			.append("regular cut, so with a 1 s sync interval a request waits for the rest of the current interval ")
			.append("plus the upload, and in eager mode (`sync-interval: 0`) for the cut and upload under way plus ")
			.append("its own. ")
			.append(reps)
			.append(" run(s) per configuration; the figures are the median over runs (range in brackets). Reproduce: ")
			.append("`./mvnw -B -pl benchmarks -am package -DskipTests && java -jar benchmarks/target/benchmarks.jar ")
			.append("--only=durable --reps=")
			.append(reps)
			.append("` (about ")
			.append(4 * (seconds + 1))
			.append(" s per repetition).\n\n");
		s.append("| replica | sync interval | wait p50 ms | wait p99 ms | wait max ms | commit p50 ms | timeouts |\n")
			.append("|---|---|---|---|---|---|---|\n");
		List<String> seen = new ArrayList<>();
		for (Run run : runs) {
			String key = run.kind() + " " + run.interval();
			if (seen.contains(key)) {
				continue;
			}
			seen.add(key);
			List<Run> same = runs.stream()
				.filter((r) -> r.kind().equals(run.kind()) && r.interval().equals(run.interval()))
				.toList();
			s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d |%n", run.kind(),
					run.interval().isZero() ? "0 (eager)" : run.interval().toMillis() + " ms",
					Stats.spread(same.stream().map(Run::p50).toList(), "%.1f"),
					Stats.spread(same.stream().map(Run::p99).toList(), "%.1f"),
					Stats.spread(same.stream().map(Run::max).toList(), "%.1f"),
					Stats.spread(same.stream().map(Run::commitP50).toList(), "%.2f"),
					same.stream().mapToInt(Run::timeouts).sum()));
		}
		return s.toString();
	}

}
