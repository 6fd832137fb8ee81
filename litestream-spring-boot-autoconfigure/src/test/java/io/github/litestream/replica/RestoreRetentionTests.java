package io.github.litestream.replica;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.replication.Replicator;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestorePlan;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreReservations;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ForwardingReplicaClient;
import io.github.litestream.testsupport.NoCompaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Retention against restores in progress, the restore planner over levels, and the bound
 * of the local staging directory (issue 3, items 2, 4 and 5).
 */
class RestoreRetentionTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

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

	/**
	 * Replicates {@code commits} commits with compaction off, so the replica holds the
	 * seed snapshot and one L0 file per commit; returns the TXID after each.
	 */
	private List<Long> replicate(FileReplicaClient client, int commits) throws Exception {
		Connection connection = TestDatabases.open(db());
		this.closeables.add(connection);
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
		Replicator replicator = new Replicator(NoCompaction.of(config(client)).build());
		replicator.start();
		List<Long> txids = new ArrayList<>();
		try {
			for (int i = 1; i <= commits; i++) {
				TestDatabases.execute(connection, "INSERT INTO t (id, payload) VALUES (" + i + ", randomblob(300))");
				long txid = replicator.sync();
				// One replica file per sync: pending files would otherwise go up merged.
				assertThat(replicator.awaitReplicated(txid, TIMEOUT)).isTrue();
				txids.add(txid);
			}
		}
		finally {
			replicator.close();
		}
		return txids;
	}

	private ReplicatorConfig.Builder config(ReplicaClient client) {
		return ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(20)))
			.monitorInterval(Duration.ofMillis(50));
	}

	/** A compactor that keeps nothing old: every retention pass deletes what it may. */
	private ReplicaCompactor compactor(ReplicaClient client, RestoreReservations reservations) {
		ReplicatorConfig config = config(client).levels(List.of(Duration.ofSeconds(1)))
			.snapshots(Duration.ofSeconds(1), Duration.ofMillis(1))
			.l0Retention(Duration.ofMillis(1))
			.build();
		return new ReplicaCompactor(config, config.replicas().get(0), reservations);
	}

	@Test
	void retentionRacingARestoreKeepsThePlannedFilesAndTheRestoreSucceeds() throws Exception {
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		List<Long> txids = replicate(files, 20);
		RestoreReservations reservations = new RestoreReservations();
		ReplicaCompactor compactor = compactor(files, reservations);
		compactor.compact(1);
		Instant later = Instant.now().plus(Duration.ofHours(2));
		compactor.snapshot(later);
		long target = txids.get(9);
		RestorePlan expected = RestorePlanner.plan(RestorePlanner.listAll(files), RestoreTarget.txid(target),
				files.location());
		// The replica's first snapshot, then level-0 files.
		assertThat(expected.files()).first().matches((f) -> f.level() == 9 && f.maxTxid() <= txids.get(0));
		assertThat(expected.files().subList(1, expected.files().size())).allMatch((f) -> f.level() == 0);

		CountDownLatch opened = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ReplicaClient blocking = new ForwardingReplicaClient(files) {
			@Override
			public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
				opened.countDown();
				try {
					release.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return super.openFile(level, minTxid, maxTxid);
			}
		};
		Path out = this.dir.resolve("restored.db");
		CompletableFuture<RestoreResult> restore = CompletableFuture.supplyAsync(() -> {
			try {
				return new Restorer(Clock.systemUTC(), 4, reservations)
					.restore(blocking, out, RestoreOptions.defaults().withTarget(RestoreTarget.txid(target)))
					.orElseThrow();
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		});
		assertThat(opened.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
		// Retention runs while the restore reads: everything planned is old enough to go.
		compactor.enforceSnapshotRetention(later);
		compactor.enforceL0Retention(later);
		for (LtxFileInfo planned : expected.files()) {
			assertThat(files.filePath(planned.level(), planned.minTxid(), planned.maxTxid())).as(planned.toString())
				.exists();
		}
		release.countDown();
		RestoreResult result = restore.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(result.txid()).isEqualTo(target);
		assertThat(TestDatabases.queryLong(out, "SELECT COUNT(*) FROM t")).isEqualTo(10);

		// Once the restore ended, the same retention removes them.
		assertThat(reservations.awaitIdle(files.location(), 10, TimeUnit.SECONDS)).isTrue();
		compactor.enforceSnapshotRetention(later);
		compactor.enforceL0Retention(later);
		assertThat(files.listFiles(9)).hasSize(1);
		assertThat(files.listFiles(0)).hasSize(1);
	}

	@Test
	void retentionDeletingFromOneReplicaDoesNotHoldUpARestoreOfAnother() throws Exception {
		RestoreReservations reservations = new RestoreReservations();
		CountDownLatch deleting = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		CompletableFuture<List<LtxFileInfo>> retention = CompletableFuture.supplyAsync(() -> {
			try {
				return reservations.deleteUnreserved("file:///a", List.of(file(0, 1, 1)), (files) -> {
					deleting.countDown();
					// A slow delete request to a replica.
					try {
						release.await(30, TimeUnit.SECONDS);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				});
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		});
		try {
			assertThat(deleting.await(10, TimeUnit.SECONDS)).isTrue();
			CompletableFuture<Boolean> restore = CompletableFuture.supplyAsync(() -> {
				try (RestoreReservations.Reservation reservation = reservations.begin("file:///b")) {
					reservation.plan(List.of(file(0, 1, 1)));
					return reservations.isReserved("file:///b", file(0, 1, 1));
				}
			});
			assertThat(restore).succeedsWithin(Duration.ofSeconds(10)).isEqualTo(true);
		}
		finally {
			release.countDown();
		}
		assertThat(retention).succeedsWithin(Duration.ofSeconds(10)).asList().hasSize(1);
	}

	@Test
	void restoreWhosePlannedFileVanishedPlansAgainAndRestoresTheSameState() throws Exception {
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		List<Long> txids = replicate(files, 12);
		long latest = txids.get(txids.size() - 1);
		// Another process compacts and removes the L0 files in the middle of our restore.
		ReplicaCompactor otherProcess = compactor(files, new RestoreReservations());
		AtomicBoolean vanished = new AtomicBoolean();
		ReplicaClient racing = new ForwardingReplicaClient(files) {
			@Override
			public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
				if (level == 0 && vanished.compareAndSet(false, true)) {
					otherProcess.compact(1);
					otherProcess.enforceL0Retention(Instant.now().plusSeconds(3600));
					assertThat(files.filePath(level, minTxid, maxTxid)).doesNotExist();
				}
				return super.openFile(level, minTxid, maxTxid);
			}
		};
		Path out = this.dir.resolve("restored.db");
		RestoreResult result = new Restorer(Clock.systemUTC(), 1, new RestoreReservations())
			.restore(racing, out, RestoreOptions.defaults())
			.orElseThrow();
		assertThat(vanished).isTrue();
		assertThat(result.txid()).isEqualTo(latest);
		assertThat(TestDatabases.queryLong(out, "SELECT COUNT(*) FROM t")).isEqualTo(12);
	}

	@Test
	void snapshotPassAfterAListingThatLeftOutTheSnapshotStillWritesTheSnapshot() throws Exception {
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		List<Long> txids = replicate(files, 5);
		long latest = txids.get(txids.size() - 1);
		// As S3Proxy's filesystem backend does while files are written: one listing
		// leaves out a file that has long existed, here the history's first snapshot
		AtomicBoolean leftOut = new AtomicBoolean();
		ReplicaClient inconsistent = new ForwardingReplicaClient(files) {
			@Override
			public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
				List<LtxFileInfo> listed = super.listFiles(level, minTxidAtLeast);
				if (level == 9 && !listed.isEmpty() && leftOut.compareAndSet(false, true)) {
					return listed.subList(1, listed.size());
				}
				return listed;
			}
		};
		compactor(inconsistent, new RestoreReservations()).snapshot(Instant.now().plus(Duration.ofDays(2)));
		assertThat(leftOut).isTrue();
		assertThat(files.listFiles(9)).last().satisfies((snapshot) -> {
			assertThat(snapshot.minTxid()).isEqualTo(1);
			assertThat(snapshot.maxTxid()).isEqualTo(latest);
		});
	}

	@Test
	void levelPassMergesManyFilesIntoOneUpload() throws Exception {
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		List<Long> txids = replicate(files, 3 * ReplicaCompactor.MAX_INPUTS);
		long latest = txids.get(txids.size() - 1);
		assertThat(files.listFiles(0)).hasSizeGreaterThan(2 * ReplicaCompactor.MAX_INPUTS);
		// Level 0 starts after the replica's first snapshot.
		long first = files.listFiles(0).get(0).minTxid();
		compactor(files, new RestoreReservations()).compact(1);
		assertThat(files.listFiles(1)).singleElement()
			.satisfies((file) -> assertThat(file.minTxid()).isEqualTo(first))
			.satisfies((file) -> assertThat(file.maxTxid()).isEqualTo(latest));
		// Only the level-1 file after the first snapshot, which must hold exactly the
		// same
		// database.
		ReplicaClient levelOneOnly = new ForwardingReplicaClient(files) {
			@Override
			public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
				return (level == 1 || level == 9) ? super.listFiles(level, minTxidAtLeast) : List.of();
			}
		};
		Path out = this.dir.resolve("level1.db");
		new Restorer().restore(levelOneOnly, out, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.digest(out, "t")).isEqualTo(TestDatabases.digest(db(), "t"));
	}

	@Test
	void plannerTakesTheFewestFilesAcrossLevels() throws Exception {
		List<LtxFileInfo> files = new ArrayList<>();
		files.add(file(9, 1, 10));
		for (long txid = 1; txid <= 42; txid++) {
			files.add(file(0, txid, txid));
		}
		files.add(file(1, 11, 20));
		files.add(file(1, 21, 30));
		files.add(file(1, 31, 40));
		files.add(file(2, 11, 30));
		RestorePlan plan = RestorePlanner.plan(files, RestoreTarget.latest(), "test");
		assertThat(plan.files()).containsExactly(file(9, 1, 10), file(2, 11, 30), file(1, 31, 40), file(0, 41, 41),
				file(0, 42, 42));
		RestorePlan at = RestorePlanner.plan(files, RestoreTarget.at(time(35).plusMillis(500)), "test");
		assertThat(at.txid()).isEqualTo(35);
		assertThat(at.files()).hasSize(2 + 5);
	}

	@Test
	void pointInTimeInsideARangeKnownOnlyCompactedIsRefusedWithTheNearestTimes() throws Exception {
		List<LtxFileInfo> files = List.of(file(9, 1, 10), file(1, 11, 20), file(0, 20, 20));
		assertThatExceptionOfType(RestoreException.class)
			.isThrownBy(() -> RestorePlanner.plan(files, RestoreTarget.at(time(15)), "test"))
			.withMessageContaining("exactly")
			.withMessageContaining("restore to " + time(10) + " or to " + time(20) + " or later");
		assertThat(RestorePlanner.plan(files, RestoreTarget.at(time(20)), "test").txid()).isEqualTo(20);
		assertThat(RestorePlanner.plan(files, RestoreTarget.at(time(10)), "test").txid()).isEqualTo(10);
	}

	@Test
	void pointOlderThanRetentionIsRefusedNamingTheEarliestRestorableTime() {
		List<LtxFileInfo> files = List.of(file(9, 1, 10), file(0, 11, 11));
		assertThatExceptionOfType(RestoreException.class)
			.isThrownBy(() -> RestorePlanner.plan(files, RestoreTarget.at(time(5)), "test"))
			.withMessageContaining("the earliest restorable time is " + time(10));
	}

	@Test
	void metaDirectoryStaysBoundedWhileWriting() throws Exception {
		Duration run = Duration.ofSeconds(Long.getLong("litestream.test.stagingSeconds", 40));
		Connection connection = TestDatabases.open(db());
		this.closeables.add(connection);
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)");
		FileReplicaClient client = new FileReplicaClient(this.dir.resolve("replica"));
		ReplicatorConfig config = config(client).levels(List.of(Duration.ofSeconds(1), Duration.ofSeconds(3)))
			.snapshots(Duration.ofSeconds(10), Duration.ofSeconds(20))
			.l0Retention(Duration.ofSeconds(5))
			.build();
		Replicator replicator = new Replicator(config);
		replicator.start();
		this.closeables.add(replicator);
		AtomicLong worst = new AtomicLong();
		long samples = 0;
		Instant end = Instant.now().plus(run);
		int id = 0;
		while (Instant.now().isBefore(end)) {
			TestDatabases.execute(connection, "INSERT INTO t (id, payload) VALUES (" + (++id) + ", randomblob(1000))");
			replicator.notifyCommit();
			// Paces the writer (about 100 commits a second); not a synchronisation.
			Instant next = Instant.now().plusMillis(10);
			await().pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(2))
				.until(() -> Instant.now().isAfter(next));
			long meta = directorySize(config.metaDirectory());
			long database = Files.size(db()) + sizeOrZero(config.walPath());
			// The bound: the newest L0 file and the files not yet uploaded, plus one
			// compaction scratch file, each at most the size of the database.
			long bound = 2 * database + 1024 * 1024;
			assertThat(meta).as("meta directory bytes with a %d-byte database", database).isLessThanOrEqualTo(bound);
			worst.accumulateAndGet(meta - 2 * database, Math::max);
			samples++;
		}
		assertThat(samples).isPositive();
		System.out.printf("meta directory over %s: %d samples, worst excess over 2 x database = %d bytes%n", run,
				samples, worst.get());
	}

	private static long sizeOrZero(Path file) throws IOException {
		return Files.exists(file) ? Files.size(file) : 0;
	}

	private static long directorySize(Path directory) throws IOException {
		try (Stream<Path> walk = Files.walk(directory)) {
			return walk.mapToLong((p) -> {
				try {
					return Files.isRegularFile(p) ? Files.size(p) : 0;
				}
				catch (IOException ex) {
					// Removed between listing and sizing.
					return 0;
				}
			}).sum();
		}
		catch (java.io.UncheckedIOException | NoSuchFileException ex) {
			// A file vanished during the walk; measure again.
			return directorySize(directory);
		}
	}

	private static Instant time(long txid) {
		return Instant.ofEpochSecond(1_700_000_000L + txid);
	}

	/** A file stamped with its last TXID's time, one second per TXID. */
	private static LtxFileInfo file(int level, long min, long max) {
		return new LtxFileInfo(level, min, max, 100, time(max));
	}

}
