package io.github.litestream.benchmarks;

/**
 * The fixed part of the report: method notes.
 */
final class Notes {

	private Notes() {
	}

	static final String TEXT = """
			## Method notes

			- Every configuration runs the same workload code in the same harness JVM; our engine runs in that
			  JVM (as the starter does) or, for memory and restore, in a child JVM; Litestream runs as a
			  sidecar process. Runs of the configurations alternate within each repetition and the order
			  rotates between repetitions.
			- The writer connections of our engine set `wal_autocheckpoint=0` and call `notifyCommit()` after
			  each commit, which is what the starter's `LitestreamDataSource` does; Litestream's writers keep
			  SQLite's default auto-checkpoint, as Litestream expects.
			- Litestream and its restores run without `AWS_*` environment variables: its Go SDK refuses an
			  `AWS_CA_BUNDLE` together with a custom HTTP client.
			- `cp` times vary a lot between repetitions: the copy competes with the kernel writing back the
			  previous restore's dirty pages. The page cache is never dropped (other people use the machine).
			- The lag observer runs in the harness JVM for every configuration, so its own cost (inotify,
			  decoding each L0 file) is the same for all.
			- The benchmark command is not part of `./mvnw verify`; the module only compiles and packages there.
			- Diagnostics: `java -cp benchmarks/target/benchmarks.jar io.github.litestream.benchmarks.LagTimeline
			  <dir> <tx/s> <seconds> <sync-interval-ms>` prints the engine's sync, upload and checkpoint events
			  with timestamps (used for the analysis above).
			""";

}
