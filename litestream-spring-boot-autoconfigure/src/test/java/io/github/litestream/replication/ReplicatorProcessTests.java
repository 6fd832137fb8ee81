package io.github.litestream.replication;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestream.core.RecordingListener;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.SyncResult;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.ltx.LtxChecksum;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.SqliteCommandMain;
import io.github.litestream.testsupport.SqliteLockProbeMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Engine tests that involve other OS processes: a replicating JVM killed with SIGKILL,
 * checkpoints and VACUUM run by another process, SQLite's locks seen from another
 * process, and a database larger than 1 GiB replicated by a JVM with a 64 MiB heap.
 */
class ReplicatorProcessTests {

	private static final Pattern DURABLE = Pattern.compile("durable (\\d+) (\\d+)");

	@TempDir
	Path dir;

	private Path db() {
		return this.dir.resolve("app.db");
	}

	@Test
	void sigkilledReplicatorResumesWithoutGapsAndKeepsEveryDurableRow() throws Exception {
		int loops = Integer.getInteger("litestream.test.crash-loops", 3);
		Path replica = this.dir.resolve("replica");
		long durableRows = 0;
		for (int i = 0; i <= loops; i++) {
			try (ChildJvm child = ChildJvm.start(this.dir, "writer-" + i, ReplicatingWriterMain.class, List.of(),
					List.of(db().toString(), replica.toString()))) {
				child.awaitLine("started \\d+", Duration.ofSeconds(60));
				int wanted = 2 + ThreadLocalRandom.current().nextInt(8);
				await().atMost(Duration.ofSeconds(60))
					.until(() -> child.lines().stream().filter((l) -> DURABLE.matcher(l).matches()).count() >= wanted);
				if (i < loops) {
					child.kill();
				}
				else {
					// A JVM that ran its shutdown hooks after SIGTERM exits with 143.
					assertThat(child.stop()).isIn(0, 143);
					child.awaitLine("stopped \\d+", Duration.ofSeconds(5));
				}
				for (String line : child.lines()) {
					Matcher matcher = DURABLE.matcher(line);
					if (matcher.matches()) {
						durableRows = Math.max(durableRows, Long.parseLong(matcher.group(1)));
					}
				}
			}
		}
		FileReplicaClient client = new FileReplicaClient(replica);
		// Level 0 continues the replica's first snapshot without gaps.
		long previous = client.listFiles(9).get(0).maxTxid();
		for (LtxFileInfo file : client.listFiles(0)) {
			assertThat(file.minTxid()).as("L0 files are contiguous").isEqualTo(previous + 1);
			previous = file.maxTxid();
		}
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(client, restored, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.FULL))
			.orElseThrow();
		assertThat(durableRows).isPositive();
		assertThat(TestDatabases.queryLong(restored, "SELECT COUNT(*) FROM t WHERE id <= " + durableRows))
			.as("every row reported durable is restored")
			.isEqualTo(durableRows);
		// The last run stopped cleanly: the replica holds exactly the source.
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(TestDatabases.digest(db(), "t"));
	}

	@Test
	void externalTruncateCheckpointAndVacuumAreFollowedByFullFiles() throws Exception {
		Connection connection = TestDatabases.open(db());
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
		FileReplicaClient client = new FileReplicaClient(this.dir.resolve("replica"));
		RecordingListener listener = new RecordingListener();
		List<SyncResult> syncs = listener.syncs;
		Replicator replicator = new Replicator(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(20)))
			.monitorInterval(Duration.ofMillis(20))
			.minCheckpointPageCount(20)
			.checkpointInterval(Duration.ofMillis(50))
			.listener(listener)
			.build());
		replicator.start();
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicInteger ids = new AtomicInteger();
		Thread writer = new Thread(() -> {
			try {
				while (running.get()) {
					int id = ids.incrementAndGet();
					TestDatabases.execute(connection, "INSERT INTO t VALUES (" + id + ", randomblob(2000))",
							"DELETE FROM t WHERE id = " + (id - 50));
					replicator.notifyCommit();
				}
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		writer.start();
		try {
			await().atMost(Duration.ofSeconds(30)).until(() -> ids.get() > 200);
			// The engine's read lock stops any other connection from truncating the WAL,
			// except inside the short window of the engine's own checkpoint; the seam
			// runs
			// the other process's TRUNCATE exactly there.
			AtomicInteger truncations = new AtomicInteger();
			AtomicReference<String> truncateResult = new AtomicReference<>();
			int before = syncs.size();
			replicator.setCheckpointWindow(() -> {
				if (truncations.getAndIncrement() == 0) {
					try (ChildJvm truncate = ChildJvm.start(this.dir, "truncate", SqliteCommandMain.class,
							List.of("-D" + SqliteCommandMain.BUSY_TIMEOUT_PROPERTY + "=30000"),
							List.of(db().toString(), "PRAGMA wal_checkpoint(TRUNCATE)"))) {
						truncate.awaitExit(Duration.ofSeconds(60));
						truncateResult.set(String.join("\n", truncate.lines()));
					}
				}
			});
			await().atMost(Duration.ofSeconds(90)).until(() -> truncateResult.get() != null);
			assertThat(truncateResult.get()).as("the other process truncated the WAL").isEqualTo("0|0|0");
			await().atMost(Duration.ofSeconds(30))
				.untilAsserted(() -> assertThat(since(syncs, before)).anyMatch(SyncResult::snapshot));

			int beforeVacuum = syncs.size();
			try (ChildJvm vacuum = ChildJvm.start(this.dir, "vacuum", SqliteCommandMain.class,
					List.of("-D" + SqliteCommandMain.BUSY_TIMEOUT_PROPERTY + "=60000"),
					List.of(db().toString(), "VACUUM"))) {
				assertThat(vacuum.awaitExit(Duration.ofSeconds(90))).as(vacuum.outputTail()).isZero();
			}
			await().atMost(Duration.ofSeconds(30))
				.untilAsserted(() -> assertThat(since(syncs, beforeVacuum))
					.anyMatch((sync) -> sync.snapshot() || sync.pageCount() == sync.commit()));
		}
		finally {
			running.set(false);
			writer.join();
		}
		long txid = replicator.sync();
		assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(30))).isTrue();
		String expected = TestDatabases.digest(connection, "t");
		replicator.stop();
		connection.close();
		replicator.close();
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(client, restored, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.FULL))
			.orElseThrow();
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(expected);
		assertThat(TestDatabases.checksum(restored)).isEqualTo(TestDatabases.checksum(db()));
	}

	private static List<SyncResult> since(List<SyncResult> syncs, int from) {
		List<SyncResult> all = List.copyOf(syncs);
		return all.subList(from, all.size());
	}

	@Test
	void anotherProcessStillSeesOurLockAfterTheEngineRan() throws Exception {
		Connection connection = TestDatabases.open(db());
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		RecordingListener listener = new RecordingListener();
		Replicator replicator = new Replicator(ReplicatorConfig.builder("app", db())
			.replica(ReplicaConfig.of("file", new FileReplicaClient(this.dir.resolve("replica"))))
			.monitorInterval(Duration.ofMillis(20))
			.checkpointInterval(Duration.ofMillis(50))
			.listener(listener)
			.build());
		replicator.start();
		for (int i = 0; i < 20; i++) {
			TestDatabases.execute(connection, "INSERT INTO t VALUES (" + i + ", 'x')");
			replicator.notifyCommit();
		}
		replicator.snapshot();
		await().atMost(Duration.ofSeconds(10)).until(() -> listener.checkpoints.get() > 0);
		replicator.sync();
		replicator.stop();

		assertThat(probeLock(db())).as("another process sees this JVM's SQLite lock").isEqualTo("locked");
		assertThat(TestDatabases.queryLong(connection, "SELECT COUNT(*) FROM t")).isEqualTo(20);

		// The probe does detect dropped locks: opening and closing a descriptor of a
		// database this JVM has open drops SQLite's lock for the whole process.
		Path other = this.dir.resolve("other.db");
		try (Connection victim = TestDatabases.open(other)) {
			TestDatabases.execute(victim, "CREATE TABLE t (id INTEGER)");
			assertThat(probeLock(other)).isEqualTo("locked");
			FileChannel.open(other, StandardOpenOption.READ).close();
			assertThat(probeLock(other)).as("probe after a dropped lock").isEqualTo("free");
		}
		connection.close();
		replicator.close();
	}

	private String probeLock(Path database) {
		try (ChildJvm probe = ChildJvm.start(this.dir, "probe-" + System.nanoTime(), SqliteLockProbeMain.class,
				List.of(), List.of(database.toString()))) {
			assertThat(probe.awaitExit(Duration.ofSeconds(60))).as(probe.outputTail()).isZero();
			return probe.lines().get(0);
		}
	}

	@Test
	void databaseLargerThanOneGibReplicatesAndRestoresWithSmallHeap() throws Exception {
		long target = Long.getLong("litestream.test.large-bytes", 1100L * 1024 * 1024);
		Path restored = this.dir.resolve("restored.db");
		try (ChildJvm child = ChildJvm.start(this.dir, "large", LargeDatabaseMain.class, List.of("-Xmx64m"), List
			.of(db().toString(), this.dir.resolve("replica").toString(), restored.toString(), Long.toString(target)))) {
			assertThat(child.awaitExit(Duration.ofMinutes(8))).as(child.outputTail()).isZero();
			String result = child.awaitLine("result .*", Duration.ofSeconds(1));
			String[] parts = result.split(" ");
			long pages = Long.parseLong(parts[1]);
			if (target > 1024L * 1024 * 1024) {
				assertThat(pages).as("pages on both sides of the lock page").isGreaterThan(LtxChecksum.lockPage(4096));
			}
			assertThat(parts[3]).as("restored checksum").isEqualTo(parts[2]);
		}
		assertThat(TestDatabases.checksum(restored)).isEqualTo(TestDatabases.checksum(db()));
	}

}
