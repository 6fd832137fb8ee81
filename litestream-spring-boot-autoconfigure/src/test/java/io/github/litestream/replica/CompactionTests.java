package io.github.litestream.replica;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.core.UploadResult;
import io.github.litestream.replication.Replicator;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestorePlan;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.LitestreamReplicate;
import io.github.litestream.testsupport.OfficialLitestream;
import io.github.litestream.testsupport.SqliteCommandMain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Compaction levels, snapshots, retention and point-in-time restore over levels (issue
 * 3), with short intervals: levels 1 s / 3 s / 9 s, snapshots every 20 s kept 40 s, L0
 * files kept 40 s after level 1 covers them.
 * <p>
 * The steady-write run lasts {@code -Dlitestream.test.compactionSeconds} (default 60; at
 * least 45, so that a snapshot expires and level 1 is pruned).
 */
class CompactionTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	/**
	 * L0 files are kept as long as snapshots, so every point inside the retention keeps
	 * the per-sync files it needs for an exact restore. Past the L0 retention only the
	 * boundaries of compacted files remain restorable; other points are refused rather
	 * than restored to an older state.
	 */
	private static final Duration L0_RETENTION = Duration.ofSeconds(40);

	private static final Duration SNAPSHOT_RETENTION = Duration.ofSeconds(40);

	@TempDir
	Path dir;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	private final Map<Integer, AtomicInteger> compactions = new ConcurrentHashMap<>();

	private final Map<Integer, AtomicInteger> removals = new ConcurrentHashMap<>();

	private final Set<String> compactionErrors = ConcurrentHashMap.newKeySet();

	private final AtomicInteger l0Uploads = new AtomicInteger();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	private Path db() {
		return this.dir.resolve("app.db");
	}

	private ReplicatorConfig.Builder config(FileReplicaClient client) {
		ReplicationListener listener = new ReplicationListener() {

			@Override
			public void onUpload(String database, String replica, UploadResult upload) {
				if (upload.level() == 0) {
					CompactionTests.this.l0Uploads.incrementAndGet();
				}
			}

			@Override
			public void onCompaction(String database, String replica, LtxFileInfo file, Duration duration) {
				CompactionTests.this.compactions.computeIfAbsent(file.level(), (k) -> new AtomicInteger())
					.incrementAndGet();
			}

			@Override
			public void onCompactionError(String database, String replica, int level, Throwable error) {
				CompactionTests.this.compactionErrors.add(level + ": " + error);
			}

			@Override
			public void onRetention(String database, String replica, int level, int deleted) {
				CompactionTests.this.removals.computeIfAbsent(level, (k) -> new AtomicInteger()).addAndGet(deleted);
			}

		};
		return ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.checkpointInterval(Duration.ofSeconds(5))
			.levels(List.of(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(9)))
			.snapshots(Duration.ofSeconds(20), SNAPSHOT_RETENTION)
			.l0Retention(L0_RETENTION)
			.listener(listener);
	}

	private Replicator start(ReplicatorConfig.Builder builder) throws Exception {
		Replicator replicator = new Replicator(builder.build());
		replicator.start();
		this.closeables.add(replicator);
		return replicator;
	}

	private Connection connect() throws Exception {
		Connection connection = TestDatabases.open(db());
		this.closeables.add(connection);
		return connection;
	}

	private static void pause(Duration duration) {
		// Paces the writer; not a synchronisation.
		Instant until = Instant.now().plus(duration);
		await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).until(() -> Instant.now().isAfter(until));
	}

	private static int level(Path replicaRoot, int level) throws IOException {
		Path directory = replicaRoot.resolve("ltx").resolve(Integer.toString(level));
		if (!Files.isDirectory(directory)) {
			return 0;
		}
		try (Stream<Path> files = Files.list(directory)) {
			return (int) files.filter((f) -> f.getFileName().toString().endsWith(".ltx")).count();
		}
	}

	/** One recorded state: every row up to {@code maxId} existed at {@code time}. */
	private record Point(Instant time, long txid, long rows, long maxId) {
	}

	@Test
	void steadyWritesCompactEveryLevelAndEveryPointInsideRetentionRestoresExactly() throws Exception {
		Duration run = Duration.ofSeconds(Long.getLong("litestream.test.compactionSeconds", 60));
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
		Path replicaRoot = this.dir.resolve("replica");
		FileReplicaClient client = new FileReplicaClient(replicaRoot);
		Replicator replicator = start(config(client));
		Instant started = Instant.now();
		List<Point> points = new ArrayList<>();
		long id = 0;
		try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t (id, payload) VALUES (?, ?)")) {
			while (Instant.now().isBefore(started.plus(run))) {
				connection.setAutoCommit(false);
				for (int i = 0; i < 3; i++) {
					insert.setLong(1, ++id);
					insert.setBytes(2, new byte[200]);
					insert.executeUpdate();
				}
				connection.commit();
				connection.setAutoCommit(true);
				long txid = replicator.sync();
				// One L0 file per point: a file still pending when the next is cut goes
				// up
				// merged with it, and a point inside a merged file is not exactly
				// restorable.
				assertThat(replicator.awaitReplicated(txid, TIMEOUT)).isTrue();
				points.add(new Point(Instant.now(), txid, id, id));
				pause(Duration.ofMillis(100));
			}
		}
		long last = replicator.sync();
		assertThat(replicator.awaitReplicated(last, TIMEOUT)).isTrue();
		// Level 1 picks the tail up within its interval; then the latest plan is short.
		await().atMost(TIMEOUT)
			.until(() -> client.listFiles(1).stream().anyMatch((f) -> f.maxTxid() >= last)
					&& client.listFiles(2).stream().anyMatch((f) -> f.maxTxid() >= last));
		// Level 1 files are pruned once they end below the oldest kept snapshot, so only
		// after a snapshot expired: the seed goes at the first snapshot pass 40 s (the
		// retention) after the compactor's first snapshot, which comes at the first 20 s
		// boundary after the start, the next one 20 s later. That can be after the run;
		// the first snapshot pass after the last write still prunes, since the replica
		// changed since the previous pass. L0 files go 40 s after level 1 covers them.
		// Wait for both instead of asserting how far the compactor got by now.
		await().atMost(TIMEOUT)
			.untilAsserted(() -> assertThat(this.removals.keySet()).as("levels pruned").contains(0, 1));
		// Stop compaction and retention so that the restores below see a fixed replica.
		replicator.close();
		Instant now = Instant.now();

		assertThat(this.compactionErrors).isEmpty();
		assertThat(this.compactions.keySet()).as("levels written").contains(1, 2, 3, 9);
		for (int level : List.of(0, 1, 2, 3, 9)) {
			assertThat(level(replicaRoot, level)).as("files at level " + level).isPositive();
		}
		assertThat(level(replicaRoot, 0)).as("L0 files left").isLessThan(this.l0Uploads.get());

		// The latest state reads a handful of files, far fewer than the L0 files written.
		List<LtxFileInfo> files = RestorePlanner.listAll(client);
		RestorePlan latest = RestorePlanner.plan(files, RestoreTarget.latest(), client.location());
		assertThat(latest.files()).as("plan of the latest state").hasSizeLessThanOrEqualTo(12);
		assertThat(this.l0Uploads.get()).as("L0 files written").isGreaterThan(10 * latest.files().size());
		Path restoredLatest = this.dir.resolve("latest.db");
		RestoreResult result = new Restorer().restore(client, restoredLatest, RestoreOptions.defaults()).orElseThrow();
		assertThat(result.fileCount()).isEqualTo(latest.files().size());
		assertThat(TestDatabases.queryLong(restoredLatest, "SELECT COUNT(*) FROM t")).isEqualTo(id);

		// Every recorded point restores exactly or is refused; none gives other rows.
		int exact = 0;
		int refusedOld = 0;
		int refusedCompacted = 0;
		Instant earliest = null;
		for (int i = 0; i < points.size(); i++) {
			Point point = points.get(i);
			Path out = this.dir.resolve("pit-" + i + ".db");
			try {
				new Restorer().restore(client, out,
						RestoreOptions.defaults().withTarget(RestoreTarget.at(point.time())));
				assertThat(TestDatabases.queryLong(out, "SELECT COUNT(*) FROM t")).as("rows at " + point)
					.isEqualTo(point.rows());
				assertThat(TestDatabases.queryLong(out, "SELECT MAX(id) FROM t")).isEqualTo(point.maxId());
				exact++;
			}
			catch (RestoreException ex) {
				assertThat(out).doesNotExist();
				if (ex.getMessage().contains("no snapshot at or before it")) {
					assertThat(ex.getMessage()).contains("the earliest restorable time is");
					refusedOld++;
				}
				else {
					assertThat(ex.getMessage()).contains("exactly", "restore to");
					refusedCompacted++;
				}
				// Points still inside the retention always restore exactly.
				assertThat(point.time()).as(ex.getMessage())
					.isBefore(now.minus(L0_RETENTION).plus(Duration.ofSeconds(2)));
			}
			finally {
				Files.deleteIfExists(out);
			}
		}
		assertThat(exact).as("points restored exactly").isGreaterThan(points.size() / 10);
		if (this.removals.containsKey(9)) {
			// The first snapshot is gone: the first points are older than retention.
			assertThat(refusedOld).as("points older than the snapshot retention").isPositive();
		}
		// A point before the first commit is refused with the earliest restorable time.
		assertThatExceptionOfType(RestoreException.class)
			.isThrownBy(() -> new Restorer().restore(client, this.dir.resolve("old.db"),
					RestoreOptions.defaults().withTarget(RestoreTarget.at(started.minusSeconds(3600)))))
			.withMessageContaining("the earliest restorable time is");
		System.out.printf(
				"compaction run %s: %d L0 uploads, %d points (%d exact, %d too old, %d compacted), "
						+ "compactions %s, removals %s, latest plan %d files%n",
				run, this.l0Uploads.get(), points.size(), exact, refusedOld, refusedCompacted, this.compactions,
				this.removals, latest.files().size());

		// The official binaries restore the compacted replica: latest and a recent point.
		Point recent = points.get(points.size() - 3);
		for (Path binary : List.of(OfficialLitestream.legacy(), OfficialLitestream.latest())) {
			Path officialLatest = this.dir.resolve("official-latest-" + binary.getParent().getFileName() + ".db");
			OfficialLitestream.restore(binary, replicaRoot, officialLatest, null, null);
			assertThat(TestDatabases.queryLong(officialLatest, "SELECT COUNT(*) FROM t")).isEqualTo(id);
			assertThat(TestDatabases.digest(officialLatest, "t")).isEqualTo(TestDatabases.digest(restoredLatest, "t"));
			Path officialPit = this.dir.resolve("official-pit-" + binary.getParent().getFileName() + ".db");
			// Litestream takes files stamped strictly before the target.
			OfficialLitestream.restore(binary, replicaRoot, officialPit, recent.time().plusMillis(1), null);
			assertThat(TestDatabases.queryLong(officialPit, "SELECT COUNT(*) FROM t")).isEqualTo(recent.rows());
		}
	}

	@Test
	void restoreReadsAReplicaCompactedByLitestreamReplicate() throws Exception {
		Path db = db();
		Path replicaRoot = this.dir.resolve("replica");
		SqliteCommandMain.run(db,
				List.of("PRAGMA journal_mode=WAL", "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)"), TIMEOUT);
		Map<String, Object> options = Map.of("monitor-interval", Duration.ofMillis(100), "sync-interval",
				Duration.ofMillis(100), "levels", List.of(Duration.ofSeconds(1), Duration.ofSeconds(3)),
				"snapshot.interval", Duration.ofSeconds(5), "l0-retention", Duration.ofSeconds(30),
				"l0-retention-check-interval", Duration.ofSeconds(1));
		List<Point> points = new ArrayList<>();
		long id = 0;
		try (LitestreamReplicate litestream = OfficialLitestream.start(OfficialLitestream.latest(), db, replicaRoot,
				options)) {
			litestream.awaitCaughtUp(TIMEOUT);
			Instant end = Instant.now().plusSeconds(12);
			try (Connection connection = TestDatabases.open(db);
					PreparedStatement insert = connection
						.prepareStatement("INSERT INTO t (id, payload) VALUES (?, ?)")) {
				while (Instant.now().isBefore(end)) {
					insert.setLong(1, ++id);
					insert.setBytes(2, new byte[100]);
					insert.executeUpdate();
					litestream.awaitCaughtUp(TIMEOUT);
					points.add(new Point(Instant.now(), 0, id, id));
					pause(Duration.ofMillis(150));
				}
			}
			litestream.awaitCaughtUp(TIMEOUT);
			FileReplicaClient client = new FileReplicaClient(replicaRoot);
			await().atMost(TIMEOUT)
				.until(() -> !client.listFiles(2).isEmpty() && !client.listFiles(9).isEmpty()
						&& client.listFiles(1).stream().anyMatch((f) -> f.maxTxid() >= litestream.replicaTxid()));
			litestream.stop();
		}
		FileReplicaClient client = new FileReplicaClient(replicaRoot);
		Path latest = this.dir.resolve("latest.db");
		new Restorer().restore(client, latest, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.FULL))
			.orElseThrow();
		assertThat(TestDatabases.queryLong(latest, "SELECT COUNT(*) FROM t")).isEqualTo(id);
		Point recent = points.get(points.size() - 2);
		Path pit = this.dir.resolve("pit.db");
		new Restorer().restore(client, pit, RestoreOptions.defaults().withTarget(RestoreTarget.at(recent.time())));
		assertThat(TestDatabases.queryLong(pit, "SELECT COUNT(*) FROM t")).isEqualTo(recent.rows());
	}

}
