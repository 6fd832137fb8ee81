package io.github.litestream.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.SyncResult;
import io.github.litestream.core.UploadResult;
import io.github.litestream.replication.Replicator;

/**
 * A diagnostic, not a scenario: prints the engine's sync, upload and checkpoint events
 * (ms since the workload began) while one writer commits at a fixed rate to a file
 * replica. Usage: {@code LagTimeline
 *
<dir>
 *  <tx/s> <seconds> <sync-interval-ms>}.
 */
public final class LagTimeline {

	private LagTimeline() {
	}

	public static void main(String[] args) throws Exception {
		Path dir = Bench.fresh(Path.of(args[0]));
		int rate = Integer.parseInt(args[1]);
		int seconds = Integer.parseInt(args[2]);
		Duration interval = Duration.ofMillis(Long.parseLong(args[3]));
		Path db = dir.resolve("bench.db");
		Workload.createSchema(db);
		long[] t0 = { System.nanoTime() };
		ReplicationListener listener = new ReplicationListener() {
			@Override
			public void onSync(String database, SyncResult sync) {
				print("sync   txid=%d pages=%d took=%dms", sync.txid(), sync.pageCount(), sync.duration().toMillis());
			}

			@Override
			public void onUpload(String database, String replica, UploadResult upload) {
				print("upload L%d %d-%d took=%dms", upload.level(), upload.minTxid(), upload.maxTxid(),
						upload.duration().toMillis());
			}

			@Override
			public void onCheckpoint(String database, String mode, Duration duration, boolean walRestarted) {
				print("checkpoint %s took=%dms restarted=%s", mode, duration.toMillis(), walRestarted);
			}

			@Override
			public void onUploadError(String database, String replica, Throwable error, int attempt) {
				print("upload FAILED (attempt %d): %s", attempt, error);
			}

			@Override
			public void onCheckpointError(String database, String mode, Throwable error) {
				print("checkpoint %s FAILED: %s", mode, error.getMessage());
			}

			private void print(String format, Object... values) {
				System.out.println(String.format(Locale.ROOT, "%7.1f ", (System.nanoTime() - t0[0]) / 1e6)
						+ String.format(Locale.ROOT, format, values));
			}
		};
		S3Proxy s3 = null;
		ReplicaTarget target = new FileTarget(dir.resolve("replica"));
		if (args.length > 4 && args[4].equals("s3")) {
			s3 = S3Proxy.start(Path.of(args.length > 5 ? args[5] : "benchmarks/target/tools/s3proxy.jar"),
					dir.resolve("s3proxy"));
			s3.createBucket("timeline");
			target = new S3Target(s3.endpoint(), "timeline", "db", s3.basedir());
		}
		ReplicatorConfig config = ReplicatorConfig.builder("bench", db)
			.replica(new ReplicaConfig("bench", target.client(), interval))
			.listener(listener)
			.levels(List.of())
			.build();
		try (Replicator replicator = new Replicator(config)) {
			replicator.start();
			replicator.awaitReplicated(replicator.sync(), Duration.ofSeconds(30));
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
			t0[0] = System.nanoTime();
			Workload.paced(db, replication, rate, rate * seconds, new long[rate * seconds]);
			System.out.println(String.format(Locale.ROOT, "%7.1f writes done, WAL %d bytes",
					(System.nanoTime() - t0[0]) / 1e6, java.nio.file.Files.size(config.walPath())));
		}
		if (s3 != null) {
			s3.close();
		}
		System.exit(0);
	}

}
