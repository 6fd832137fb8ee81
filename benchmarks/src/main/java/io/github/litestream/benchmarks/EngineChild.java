package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.replication.Replicator;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;

/**
 * Our engine in a child JVM, so that its heap and RSS are measured alone.
 * <ul>
 * <li>{@code replicate <db> <target> <levels-ms,...> <tx/s> <seconds>}: start
 * replicating, time the first upload, then write at a fixed rate and stop (final
 * sync);</li>
 * <li>{@code restore <target> <output> [<timestamp>]}: restore the latest state or the
 * state at an instant;</li>
 * <li>{@code serve <db> <target> <sync-interval-ms>}: replicate a database that another
 * process writes (default levels, lease on), print {@code READY} once the first upload is
 * done, call {@code notifyCommit()} for every byte read from standard input (the writer
 * sends one per commit, as the starter's DataSource notifies the engine) and stop when
 * standard input ends.</li>
 * </ul>
 * A target is {@code file:
 *
<dir>
 * } (or {@code s3:...}, see {@link Targets}). The last line printed is
 * {@code RESULT key=value ...}.
 */
public final class EngineChild {

	private EngineChild() {
	}

	public static void main(String[] args) throws Exception {
		switch (args[0]) {
			case "replicate" -> replicate(Path.of(args[1]), Targets.parse(args[2]), levels(args[3]),
					Double.parseDouble(args[4]), Integer.parseInt(args[5]));
			case "restore" ->
				restore(Targets.parse(args[1]), Path.of(args[2]), (args.length > 3) ? Instant.parse(args[3]) : null);
			case "serve" -> serve(Path.of(args[1]), Targets.parse(args[2]), Duration.ofMillis(Long.parseLong(args[3])));
			default -> throw new IllegalArgumentException(Arrays.toString(args));
		}
		System.exit(0);
	}

	private static List<Duration> levels(String csv) {
		if (csv.equals("default")) {
			return ReplicationDefaults.LEVEL_INTERVALS;
		}
		return Arrays.stream(csv.split(",")).map((ms) -> Duration.ofMillis(Long.parseLong(ms))).toList();
	}

	private static void replicate(Path db, ReplicaTarget target, List<Duration> levels, double rate, int seconds)
			throws Exception {
		long start = System.nanoTime();
		ReplicatorConfig config = ReplicatorConfig.builder("bench", db)
			.replica(new ReplicaConfig("bench", target.client(), ReplicationDefaults.SYNC_INTERVAL))
			.levels(levels)
			.build();
		Replicator replicator = new Replicator(config);
		replicator.start();
		long txid = replicator.sync();
		if (!replicator.awaitReplicated(txid, Duration.ofMinutes(10))) {
			throw new IllegalStateException("initial upload did not finish");
		}
		long initialMs = (System.nanoTime() - start) / 1_000_000;
		Replication replication = new Replication() {
			@Override
			public void afterCommit() {
				replicator.notifyCommit();
			}

			@Override
			public boolean ownsCheckpoints() {
				return true;
			}

			@Override
			public void close() {
			}
		};
		int count = (int) (rate * seconds);
		long[] commits = new long[count];
		Instant begin = Instant.now();
		Workload.paced(db, replication, rate, count, commits);
		Instant end = Instant.now();
		Instant mid = begin.plus(Duration.between(begin, end).dividedBy(2));
		replicator.close();
		System.out.println("RESULT initialMs=" + initialMs + " mid=" + mid + " peakHeap=" + ProcMem.peakHeapBytes()
				+ " rssKb=" + ProcMem.peakRssKb(ProcessHandle.current().pid()));
	}

	private static void serve(Path db, ReplicaTarget target, Duration syncInterval) throws Exception {
		ReplicatorConfig config = ReplicatorConfig.builder("bench", db)
			.replica(new ReplicaConfig("bench", target.client(), syncInterval))
			.levels(ReplicationDefaults.LEVEL_INTERVALS)
			.shutdownSyncTimeout(Duration.ofSeconds(5))
			.build();
		Replicator replicator = new Replicator(config);
		replicator.start();
		long txid = replicator.sync();
		if (!replicator.awaitReplicated(txid, Duration.ofMinutes(5))) {
			throw new IllegalStateException("initial upload did not finish");
		}
		System.out.println("READY");
		System.out.flush();
		byte[] buffer = new byte[4096];
		while (System.in.read(buffer) >= 0) {
			replicator.notifyCommit();
		}
		replicator.close();
		System.out.println("RESULT peakHeap=" + ProcMem.peakHeapBytes());
	}

	private static void restore(ReplicaTarget target, Path output, Instant timestamp) throws Exception {
		long start = System.nanoTime();
		RestoreOptions options = new RestoreOptions(
				(timestamp != null) ? RestoreTarget.at(timestamp) : RestoreTarget.latest(), IntegrityCheck.NONE, false,
				false);
		Optional<RestoreResult> result = new Restorer().restore(target.client(), output, options);
		long ms = (System.nanoTime() - start) / 1_000_000;
		System.out
			.println("RESULT engineMs=" + ms + " txid=" + result.map(RestoreResult::txid).orElse(-1L) + " peakHeap="
					+ ProcMem.peakHeapBytes() + " rssKb=" + ProcMem.peakRssKb(ProcessHandle.current().pid()));
	}

}
