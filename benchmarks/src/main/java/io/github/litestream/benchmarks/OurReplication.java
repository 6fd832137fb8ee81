package io.github.litestream.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationDefaults;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.replication.Replicator;

/**
 * Our engine in this JVM, replicating one database to one replica.
 */
final class OurReplication implements Replication {

	private final Replicator replicator;

	private OurReplication(Replicator replicator) {
		this.replicator = replicator;
	}

	static OurReplication start(Path db, ReplicaTarget target, Duration syncInterval, List<Duration> levels)
			throws IOException, InterruptedException {
		return start(db, target, syncInterval, levels, UnaryOperator.identity());
	}

	/**
	 * Starts replicating with settings adjusted by a scenario.
	 * @param customize adjusts the builder (for example the truncate page count)
	 */
	static OurReplication start(Path db, ReplicaTarget target, Duration syncInterval, List<Duration> levels,
			UnaryOperator<ReplicatorConfig.Builder> customize) throws IOException, InterruptedException {
		ReplicatorConfig config = customize.apply(ReplicatorConfig.builder("bench", db))
			.replica(new ReplicaConfig("bench", target.client(), syncInterval))
			.levels(levels)
			// Measurements end before close; a stalled replica must not hold the run for
			// 30 s.
			.shutdownSyncTimeout(Duration.ofSeconds(5))
			.build();
		Replicator replicator = new Replicator(config);
		replicator.start();
		long txid = replicator.sync();
		if (!replicator.awaitReplicated(txid, Duration.ofMinutes(5))) {
			replicator.close();
			throw new IllegalStateException("Initial upload of " + db + " did not finish");
		}
		return new OurReplication(replicator);
	}

	static List<Duration> defaultLevels() {
		return ReplicationDefaults.LEVEL_INTERVALS;
	}

	@Override
	public void afterCommit() {
		this.replicator.notifyCommit();
	}

	@Override
	public boolean ownsCheckpoints() {
		return true;
	}

	@Override
	public void close() {
		this.replicator.close();
	}

}
