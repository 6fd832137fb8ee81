package io.github.litestream.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.core.CountingReplicaClient;
import io.github.litestream.core.RecordingListener;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.NoBackupException;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.NoCompaction;
import io.github.litestream.testsupport.SqliteWriterMain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Replicates real SQLite databases written by several connections and restores them.
 */
class ReplicatorTests {

	@TempDir
	Path dir;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	private Path db() {
		return this.dir.resolve("app.db");
	}

	private FileReplicaClient replica() {
		return new FileReplicaClient(this.dir.resolve("replica"));
	}

	private Replicator start(ReplicatorConfig.Builder builder) throws Exception {
		Replicator replicator = new Replicator(builder.build());
		replicator.start();
		this.closeables.add(replicator);
		return replicator;
	}

	private ReplicatorConfig.Builder config(FileReplicaClient client) {
		return ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.minCheckpointPageCount(200)
			.checkpointInterval(Duration.ofMillis(500));
	}

	private Connection connect() throws Exception {
		Connection connection = TestDatabases.open(db());
		this.closeables.add(connection);
		return connection;
	}

	@Test
	void restoreOfConcurrentWritersEqualsSource() throws Exception {
		Connection setup = connect();
		TestDatabases.execute(setup,
				"CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, writer INTEGER, payload BLOB)");
		FileReplicaClient client = replica();
		Replicator replicator = start(config(client));
		// A second OS process writes to the same database at the same time.
		ChildJvm otherProcess = ChildJvm.start(this.dir, "other-process", SqliteWriterMain.class, List.of(),
				List.of(db().toString(), "other-process", "300", "4", "200", "--pause=2ms", "--busy-timeout=60s"));
		this.closeables.add(otherProcess);
		AtomicInteger commits = new AtomicInteger();
		ExecutorService executor = Executors.newFixedThreadPool(4);
		List<Future<?>> writers = new ArrayList<>();
		for (int w = 0; w < 4; w++) {
			int writer = w;
			Connection connection = connect();
			writers.add(executor.submit(() -> {
				byte[] payload = new byte[300];
				for (int txn = 0; txn < 150; txn++) {
					connection.setAutoCommit(false);
					try (PreparedStatement insert = connection
						.prepareStatement("INSERT INTO t (writer, payload) VALUES (?, ?)")) {
						for (int i = 0; i < 5; i++) {
							ThreadLocalRandom.current().nextBytes(payload);
							insert.setInt(1, writer);
							insert.setBytes(2, payload);
							insert.executeUpdate();
						}
					}
					if (ThreadLocalRandom.current().nextInt(10) == 0) {
						TestDatabases.execute(connection, "DELETE FROM t WHERE id % 7 = " + writer);
					}
					connection.commit();
					replicator.notifyCommit();
					commits.incrementAndGet();
				}
				return null;
			}));
		}
		for (Future<?> writer : writers) {
			writer.get(120, TimeUnit.SECONDS);
		}
		assertThat(otherProcess.awaitExit(Duration.ofSeconds(120))).as(otherProcess.outputTail()).isZero();
		assertThat(commits.get()).isEqualTo(600);
		executor.shutdown();
		long txid = replicator.sync();
		assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(30))).isTrue();
		String expected = TestDatabases.digest(setup, "t");
		long rows = TestDatabases.queryLong(setup, "SELECT COUNT(*) FROM t");

		Path restored = this.dir.resolve("restored.db");
		RestoreResult result = new Restorer()
			.restore(client, restored, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.FULL))
			.orElseThrow();
		assertThat(result.txid()).isEqualTo(txid);
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(expected);
		assertThat(TestDatabases.queryLong(restored, "SELECT COUNT(*) FROM t")).isEqualTo(rows);
		assertThat(TestDatabases.integrityCheck(restored)).isEqualTo("ok");
		assertThat(TestDatabases.queryLong(restored, "SELECT COUNT(*) FROM t WHERE writer = 'other-process'"))
			.as("rows of the other process")
			.isPositive();

		// Byte-level equality at the final TXID: stop (final sync), close everything so
		// the source is checkpointed, restore the latest state again and compare the
		// rolling checksums of both files. (The engine's own checkpoint may have written
		// _litestream_seq after the restore above, so that file may be one TXID behind.)
		replicator.stop();
		for (AutoCloseable closeable : this.closeables) {
			if (closeable instanceof Connection connection) {
				connection.close();
			}
		}
		replicator.close();
		Path last = this.dir.resolve("last.db");
		new Restorer().restore(client, last, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.digest(last, "t")).isEqualTo(expected);
		assertThat(TestDatabases.checksum(last)).isEqualTo(TestDatabases.checksum(db()));
	}

	@Test
	void restoreToEachRecordedPointGivesExactlyItsRows() throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		FileReplicaClient client = replica();
		// No time-based checkpoint: its sequence write is a file of the engine's own,
		// which could be cut between a point's sync and its recorded time.
		Replicator replicator = start(config(client).checkpointInterval(Duration.ofHours(1)));
		record Point(Instant at, long txid, long rows) {
		}
		List<Point> points = new ArrayList<>();
		int id = 0;
		for (int p = 0; p < 20; p++) {
			for (int i = 0; i < 1 + p % 3; i++) {
				TestDatabases.execute(connection, "INSERT INTO t VALUES (" + (++id) + ", 'v" + id + "')");
			}
			long txid = replicator.sync();
			// One file per point: files pending together would go up merged into one,
			// and a point inside it could not be restored exactly.
			assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(30))).isTrue();
			Instant at = Instant.now();
			points.add(new Point(at, txid, id));
			// Ensure the next file carries a later millisecond than the recorded point.
			await().until(() -> Instant.now().toEpochMilli() > at.toEpochMilli());
		}
		long last = replicator.sync();
		assertThat(replicator.awaitReplicated(last, Duration.ofSeconds(30))).isTrue();
		Restorer restorer = new Restorer();
		for (Point point : points) {
			Path out = this.dir.resolve("pit-" + point.txid() + ".db");
			RestoreResult byTime = restorer
				.restore(client, out, RestoreOptions.defaults().withTarget(RestoreTarget.at(point.at())))
				.orElseThrow();
			assertThat(byTime.txid()).isEqualTo(point.txid());
			assertThat(TestDatabases.queryLong(out, "SELECT COUNT(*) FROM t")).isEqualTo(point.rows());
			assertThat(TestDatabases.queryLong(out, "SELECT MAX(id) FROM t")).isEqualTo(point.rows());
			Path byTxid = this.dir.resolve("txid-" + point.txid() + ".db");
			restorer.restore(client, byTxid, RestoreOptions.defaults().withTarget(RestoreTarget.txid(point.txid())))
				.orElseThrow();
			assertThat(TestDatabases.queryLong(byTxid, "SELECT COUNT(*) FROM t")).isEqualTo(point.rows());
		}
		assertThatExceptionOfType(RestoreException.class)
			.isThrownBy(() -> restorer.restore(client, this.dir.resolve("early.db"),
					RestoreOptions.defaults().withTarget(RestoreTarget.at(Instant.now().minusSeconds(3600)))))
			.withMessageContaining("earliest restorable time");
	}

	@Test
	void flippedByteInAnyFileFailsRestoreNamingTheFile() throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		FileReplicaClient client = replica();
		// A level-1 file would cover the L0 files, and the restore would not read them.
		Replicator replicator = start(NoCompaction.of(config(client)));
		for (int i = 0; i < 5; i++) {
			TestDatabases.execute(connection, "INSERT INTO t VALUES (" + i + ", '" + "x".repeat(500) + "')");
			// Each file reaches the replica before the next is cut: files pending
			// together
			// would go up merged into one.
			assertThat(replicator.awaitReplicated(replicator.sync(), Duration.ofSeconds(30))).isTrue();
		}
		replicator.stop();
		List<LtxFileInfo> files = RestorePlanner.listAll(client);
		assertThat(files).hasSizeGreaterThanOrEqualTo(5);
		Path out = this.dir.resolve("restored.db");
		for (LtxFileInfo file : files) {
			Path path = client.filePath(file.level(), file.minTxid(), file.maxTxid());
			byte[] original = Files.readAllBytes(path);
			for (int offset : new int[] { 10, 40, 100, original.length / 2, original.length - 20,
					original.length - 1 }) {
				byte[] corrupt = original.clone();
				corrupt[offset] ^= 0x5a;
				Files.write(path, corrupt);
				assertThatExceptionOfType(RestoreException.class).as("byte %d of %s", offset, file.fileName())
					.isThrownBy(() -> new Restorer().restore(client, out, RestoreOptions.defaults()))
					.withMessageContaining(file.fileName());
				assertThat(out).doesNotExist();
			}
			Files.write(path, original);
		}
		// A missing file in the middle of the chain fails instead of restoring less.
		LtxFileInfo middle = files.get(files.size() / 2);
		Files.delete(client.filePath(middle.level(), middle.minTxid(), middle.maxTxid()));
		assertThatExceptionOfType(RestoreException.class)
			.isThrownBy(() -> new Restorer().restore(client, out, RestoreOptions.defaults()))
			.withMessageContaining("missing");
		assertThat(out).doesNotExist();
	}

	@Test
	void walHeldLongByAReaderIsTruncatedOnceTheReaderEndsAndABurstLeavesNoLargeWalBehind() throws Exception {
		Connection writer = connect();
		TestDatabases.execute(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
		RecordingListener listener = new RecordingListener();
		int truncatePages = 100;
		Replicator replicator = start(config(replica()).minCheckpointPageCount(20)
			.truncatePageCount(truncatePages)
			.busyTimeout(Duration.ofMillis(200))
			.listener(listener));
		// An application reader in the middle of a long read transaction: no checkpoint
		// can copy past its snapshot, so the WAL cannot restart and grows.
		Connection reader = connect();
		TestDatabases.execute(reader, "BEGIN");
		assertThat(TestDatabases.queryLong(reader, "SELECT COUNT(*) FROM t")).isZero();
		for (int i = 0; i < 300; i++) {
			TestDatabases.execute(writer, "INSERT INTO t VALUES (" + i + ", randomblob(3000))");
			replicator.notifyCommit();
		}
		Path wal = Path.of(db() + "-wal");
		long written = replicator.sync();
		assertThat(replicator.awaitReplicated(written, Duration.ofSeconds(20))).isTrue();
		// While the reader is open nothing can restart or truncate the WAL.
		assertThat(Files.size(wal)).isGreaterThan(truncatePages * 4096L);
		assertThat(listener.checkpointModes).doesNotContain("TRUNCATE:true", "PASSIVE:true");
		TestDatabases.execute(reader, "ROLLBACK");
		// The next attempt, however far it was backed off, truncates the WAL.
		await().atMost(Duration.ofSeconds(60)).until(() -> listener.checkpointModes.contains("TRUNCATE:true"));
		long frame = 24 + 4096;
		assertThat(Files.size(wal)).as("WAL truncated to the engine's own write").isLessThan(32 + 10 * frame);

		// A burst without readers (one transaction of several truncate sizes): a PASSIVE
		// checkpoint restarts the WAL, and the engine's restarting write cuts the file
		// back to the truncate size.
		int before = listener.checkpointModes.size();
		// The reader's snapshot keeps the WAL from restarting until the size is read.
		TestDatabases.execute(reader, "BEGIN");
		TestDatabases.queryLong(reader, "SELECT COUNT(*) FROM t");
		TestDatabases.execute(writer, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
				+ (4 * truncatePages) + ") INSERT INTO t SELECT i + 1000, randomblob(3000) FROM n");
		replicator.notifyCommit();
		assertThat(Files.size(wal)).isGreaterThan(32 + 3 * truncatePages * frame);
		TestDatabases.execute(reader, "ROLLBACK");
		await().atMost(Duration.ofSeconds(20))
			.until(() -> listener.checkpointModes.subList(before, listener.checkpointModes.size())
				.contains("PASSIVE:true") && replicator.sync() > 0 && Files.size(wal) <= 32 + truncatePages * frame);
		assertThat(listener.checkpointModes.subList(before, listener.checkpointModes.size()))
			.doesNotContain("TRUNCATE:false", "PASSIVE:false");

		long txid = replicator.sync();
		assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(10))).isTrue();
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(replica(), restored, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(TestDatabases.digest(writer, "t"));
	}

	@Test
	void idleDatabaseMakesNoReplicaOperations() throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		CountingReplicaClient client = new CountingReplicaClient(replica());
		RecordingListener listener = new RecordingListener();
		Replicator replicator = new Replicator(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.checkpointInterval(Duration.ofMillis(200))
			.levels(List.of(Duration.ofMillis(200)))
			.listener(listener)
			.build());
		replicator.start();
		this.closeables.add(replicator);
		TestDatabases.execute(connection, "INSERT INTO t VALUES (1, 'a')");
		replicator.notifyCommit();
		// The insert, the engine's checkpoint and its own sequence write reach the
		// replica; after that the database is idle.
		await().atMost(Duration.ofSeconds(10))
			.until(() -> listener.checkpoints.get() >= 1
					&& replicator.status().replicas().get(0).txid() == replicator.txid());
		// Compaction and the first snapshot catch up with what was uploaded; then idle.
		await().atMost(Duration.ofSeconds(10))
			.until(() -> client.listFiles(1).stream().anyMatch((f) -> f.maxTxid() == replicator.txid())
					&& !client.listFiles(9).isEmpty());
		// Then wait until nothing moves for a few seconds, so background work started by
		// the last upload (compaction, the first snapshot, retention) has finished.
		AtomicInteger settled = new AtomicInteger(-1);
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofSeconds(2))
			.until(() -> settled.getAndSet(client.total()) == client.total());
		int before = client.total();
		long txid = replicator.txid();
		// Both only grow: once the condition fails it stays failed, so a generous
		// deadline does not weaken it; it only absorbs a stalled poll on a busy machine.
		await().during(Duration.ofSeconds(10))
			.atMost(Duration.ofSeconds(30))
			.until(() -> client.total() == before && replicator.txid() == txid);
	}

	@Test
	void failedUploadsAreRetriedInOrderWithoutGaps() throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		FileReplicaClient files = replica();
		CountingReplicaClient client = new CountingReplicaClient(files);
		RecordingListener listener = new RecordingListener();
		// Only uploads write: a compaction would take some of the injected failures.
		Replicator replicator = start(NoCompaction.of(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(20)))
			.monitorInterval(Duration.ofMillis(20))
			.retryBackoff(Duration.ofMillis(10), Duration.ofMillis(80))
			.listener(listener)));
		client.failingWrites.set(7);
		for (int i = 1; i <= 30; i++) {
			TestDatabases.execute(connection, "INSERT INTO t VALUES (" + i + ", 'v')");
			replicator.sync();
		}
		long txid = replicator.sync();
		assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(30))).isTrue();
		assertThat(listener.uploadErrors.get()).isEqualTo(7);
		assertThat(replicator.status().replicas().get(0).lastError()).isNull();
		// Level 0 continues the replica's first snapshot without gaps.
		long previous = files.listFiles(9).get(0).maxTxid();
		for (LtxFileInfo file : files.listFiles(0)) {
			assertThat(file.minTxid()).isEqualTo(previous + 1);
			previous = file.maxTxid();
		}
		assertThat(previous).isEqualTo(txid);
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(files, restored, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.queryLong(restored, "SELECT COUNT(*) FROM t")).isEqualTo(30);
	}

	@Test
	void emptyReplicaRestoreFailsUnlessIfReplicaExists() throws Exception {
		FileReplicaClient client = replica();
		Path out = this.dir.resolve("restored.db");
		assertThatExceptionOfType(NoBackupException.class)
			.isThrownBy(() -> new Restorer().restore(client, out, RestoreOptions.defaults()))
			.withMessageContaining("holds no backup");
		assertThat(new Restorer().restore(client, out, RestoreOptions.defaults().withConditions(false, true)))
			.isEmpty();
		Files.writeString(out, "existing");
		assertThat(new Restorer().restore(client, out, RestoreOptions.defaults().withConditions(true, false)))
			.isEmpty();
		assertThat(Files.readString(out)).isEqualTo("existing");
	}

}
