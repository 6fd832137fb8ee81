package io.github.litestream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.replication.Replicator;
import io.github.litestream.replication.StartupRestore;
import io.github.litestream.restore.IntegrityCheck;

/**
 * Scenario 10, what a restore on startup costs the replica afterwards: a database is
 * replicated by a tool, then restored on startup into an empty directory (ours:
 * {@link StartupRestore} then the engine, as the starter does; Litestream:
 * {@code litestream restore -if-db-not-exists -if-replica-exists} then
 * {@code litestream replicate}) and written at a low rate. Measured: the bytes and files
 * that appeared in the replica (new names or changed sizes, the lease object apart)
 * during the first minute after the restore, read from the replica's directory (for
 * S3Proxy, its filesystem backend).
 */
final class RestoreUpload {

	private RestoreUpload() {
	}

	/** What one run measured. */
	record Run(String kind, Mode mode, long databaseBytes, long fullCopyBytes, double restoreMs, int files, long bytes,
			String largest, long largestBytes) {

		@Override
		public String toString() {
			return String.format(java.util.Locale.ROOT,
					"%s %s: restore %.0f ms, then %d files, %d bytes uploaded (largest %s, %d bytes) for a %d-byte "
							+ "database whose full copy on the replica is %d bytes",
					this.kind, this.mode.label, this.restoreMs, this.files, this.bytes, this.largest, this.largestBytes,
					this.databaseBytes, this.fullCopyBytes);
		}

	}

	static Run ours(Path dir, Path base, ReplicaTarget target, int rate, int seconds) throws Exception {
		Path source = Files.createDirectories(dir.resolve("source")).resolve("bench.db");
		Files.copy(base, source);
		try (OurReplication replication = OurReplication.start(source, target, Duration.ofSeconds(1),
				OurReplication.defaultLevels())) {
			// The initial upload is done when start returns; close releases the lease.
		}
		Map<String, Long> before = listing(target.root());
		Path db = Files.createDirectories(dir.resolve("restored")).resolve("bench.db");
		ReplicatorConfig config = ReplicatorConfig.builder("bench", db)
			.replica(new ReplicaConfig("bench", target.client(), Duration.ofSeconds(1)))
			.levels(OurReplication.defaultLevels())
			.shutdownSyncTimeout(Duration.ofSeconds(5))
			.build();
		long start = System.nanoTime();
		new StartupRestore(config, IntegrityCheck.NONE).run(true)
			.orElseThrow(() -> new IllegalStateException("Nothing restored from " + target.root()));
		double restoreMs = (System.nanoTime() - start) / 1e6;
		try (Replicator replicator = new Replicator(config)) {
			replicator.start();
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
			Workload.paced(db, replication, rate, rate * seconds, new long[rate * seconds]);
			return result(target, Mode.OURS, Files.size(base), restoreMs, before, listing(target.root()));
		}
	}

	static Run litestream(Path binary, Path dir, Path base, ReplicaTarget target, int rate, int seconds)
			throws Exception {
		Path source = Files.createDirectories(dir.resolve("source")).resolve("bench.db");
		Files.copy(base, source);
		try (Litestream.Sidecar sidecar = Litestream.Sidecar.start(binary, source, target, Duration.ofSeconds(1),
				Duration.ofSeconds(1), OurReplication.defaultLevels())) {
			// Its first file (the whole database) is on the replica; SIGTERM once its own
			// bookkeeping is done: the replica unchanged for a second.
			awaitQuiet(target.root(), Duration.ofSeconds(1), Duration.ofMinutes(1));
		}
		Map<String, Long> before = listing(target.root());
		Path restoredDir = Files.createDirectories(dir.resolve("restored"));
		Path db = restoredDir.resolve("bench.db");
		Path config = restoredDir.resolve("litestream-restore.yml");
		Files.writeString(config, Litestream.config(db, target, Duration.ofSeconds(1), Duration.ofSeconds(1),
				OurReplication.defaultLevels()));
		long start = System.nanoTime();
		Bench.run(List.of(binary.toString(), "restore", "-no-expand-env", "-config", config.toString(),
				"-if-db-not-exists", "-if-replica-exists", db.toString()), restoredDir.resolve("restore.log"));
		double restoreMs = (System.nanoTime() - start) / 1e6;
		if (!Files.isRegularFile(db)) {
			throw new IllegalStateException("litestream restore left no database at " + db);
		}
		try (Litestream.Sidecar sidecar = Litestream.Sidecar.start(binary, db, target, Duration.ofSeconds(1),
				Duration.ofSeconds(1), OurReplication.defaultLevels())) {
			Workload.paced(db, sidecar, rate, rate * seconds, new long[rate * seconds]);
			return result(target, Mode.LITESTREAM, Files.size(base), restoreMs, before, listing(target.root()));
		}
	}

	private static Run result(ReplicaTarget target, Mode mode, long databaseBytes, double restoreMs,
			Map<String, Long> before, Map<String, Long> after) {
		int files = 0;
		long bytes = 0;
		String largest = "none";
		long largestBytes = 0;
		for (Map.Entry<String, Long> file : after.entrySet()) {
			Long previous = before.get(file.getKey());
			if (previous == null || !previous.equals(file.getValue())) {
				files++;
				bytes += file.getValue();
				if (file.getValue() > largestBytes) {
					largest = file.getKey();
					largestBytes = file.getValue();
				}
			}
		}
		// The largest file before the restore: the tool's full copy of the database.
		long fullCopy = before.values().stream().mapToLong(Long::longValue).max().orElse(0);
		return new Run(target.kind(), mode, databaseBytes, fullCopy, restoreMs, files, bytes, largest, largestBytes);
	}

	/** Every file under the replica's root, by relative path, the lease object apart. */
	/**
	 * Waits until the replica's files (names and sizes) stay the same for {@code quiet},
	 * at most {@code max}.
	 */
	static void awaitQuiet(Path root, Duration quiet, Duration max) throws IOException, InterruptedException {
		long deadline = System.nanoTime() + max.toNanos();
		Map<String, Long> seen = listing(root);
		long since = System.nanoTime();
		while (System.nanoTime() - since < quiet.toNanos()) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("Replica " + root + " still changing after " + max);
			}
			Thread.sleep(100);
			Map<String, Long> now = listing(root);
			if (!now.equals(seen) || now.isEmpty()) {
				seen = now;
				since = System.nanoTime();
			}
		}
	}

	static Map<String, Long> listing(Path root) throws IOException {
		Map<String, Long> files = new TreeMap<>();
		if (!Files.isDirectory(root)) {
			return files;
		}
		List<Path> paths = new ArrayList<>();
		try (Stream<Path> walk = Files.walk(root)) {
			walk.filter(Files::isRegularFile).forEach(paths::add);
		}
		for (Path path : paths) {
			if (path.getFileName().toString().equals("lock.json")) {
				continue;
			}
			try {
				files.put(root.relativize(path).toString(), Files.size(path));
			}
			catch (IOException ex) {
				// Deleted meanwhile (retention, a temporary file).
			}
		}
		return files;
	}

}
