package io.github.litestream.replication;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import io.github.litestream.core.CountingReplicaClient;
import io.github.litestream.core.RecordingListener;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.core.UploadResult;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.replica.ReplicaCompactor;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreReservations;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.ForwardingReplicaClient;
import io.github.litestream.testsupport.NoCompaction;
import io.github.litestream.testsupport.RecordingProxy;
import io.github.litestream.testsupport.S3ServerExtension;
import io.github.litestream.testsupport.SqliteLockProbeMain;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;
import static org.awaitility.Awaitility.await;

/**
 * The engine under the conditions production brings (issue 12): a long application
 * reader, a replica outage, no replica at all, a failed start, a replica that hangs while
 * the engine stops.
 */
class ReplicatorAdverseConditionsTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final long FRAME = 24 + 4096;

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

	private Path wal() {
		return Path.of(db() + "-wal");
	}

	private FileReplicaClient replica() {
		return new FileReplicaClient(this.dir.resolve("replica"));
	}

	private Connection connect() throws Exception {
		Connection connection = TestDatabases.open(db());
		this.closeables.add(connection);
		return connection;
	}

	private Replicator start(ReplicatorConfig.Builder builder) throws Exception {
		Replicator replicator = new Replicator(builder.build());
		replicator.start();
		this.closeables.add(replicator);
		return replicator;
	}

	@Test
	void readerHoldingTheWalMakesNoRequestsWhileIdleAndTruncateAttemptsBackOff() throws Exception {
		Connection writer = connect();
		TestDatabases.execute(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
		CountingReplicaClient client = new CountingReplicaClient(replica());
		RecordingListener listener = new RecordingListener();
		int truncatePages = 100;
		// No compaction: an hourly pass due inside the idle window below would write.
		Replicator replicator = start(NoCompaction.of(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.checkpointInterval(Duration.ofMillis(200))
			.minCheckpointPageCount(20)
			.truncatePageCount(truncatePages)
			.listener(listener)));
		// A long report in another connection: no checkpoint can copy past its snapshot,
		// so the WAL can neither restart nor be truncated while it is open.
		Connection reader = connect();
		TestDatabases.execute(reader, "BEGIN");
		assertThat(TestDatabases.queryLong(reader, "SELECT COUNT(*) FROM t")).isZero();
		TestDatabases.execute(writer, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
				+ (3 * truncatePages) + ") INSERT INTO t SELECT i, randomblob(3000) FROM n");
		replicator.notifyCommit();
		await().atMost(Duration.ofSeconds(30))
			.until(() -> listener.checkpointModes.contains("TRUNCATE:false") && client.writes.get() > 0
					&& replicator.status().replicas().get(0).txid() == replicator.txid());
		assertThat(Files.size(wal())).isGreaterThan(truncatePages * FRAME);
		// Idle with the reader open: no checkpoint writes a TXID, nothing goes to the
		// replica, and the attempts to truncate back off instead of running every pass.
		AtomicReference<String> settled = new AtomicReference<>("");
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
			String current = client.writes.get() + "/" + replicator.txid();
			return settled.getAndSet(current).equals(current);
		});
		int attempts = truncateAttempts(listener);
		int writes = client.writes.get();
		long txid = replicator.txid();
		// Both only grow, so the condition cannot hold again once it failed: the deadline
		// only has to absorb a stalled poll on a busy machine.
		await().during(Duration.ofSeconds(3))
			.atMost(Duration.ofSeconds(20))
			.until(() -> client.writes.get() == writes && replicator.txid() == txid);
		assertThat(truncateAttempts(listener) - attempts).as("TRUNCATE attempts in 3 s idle with a reader open")
			.isLessThanOrEqualTo(2);
		TestDatabases.execute(reader, "ROLLBACK");
		// Once the reader has gone, the next attempt truncates the WAL.
		await().atMost(Duration.ofSeconds(60)).until(() -> listener.checkpointModes.contains("TRUNCATE:true"));
		assertThat(Files.size(wal())).as("WAL truncated to the engine's own write").isLessThan(32 + 10 * FRAME);
		long last = replicator.sync();
		assertThat(replicator.awaitReplicated(last, Duration.ofSeconds(10))).isTrue();
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(replica(), restored, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(TestDatabases.digest(writer, "t"));
	}

	private static int truncateAttempts(RecordingListener listener) {
		return (int) listener.checkpointModes.stream().filter((mode) -> mode.startsWith("TRUNCATE")).count();
	}

	@ParameterizedTest(name = "sync interval {0} ms")
	@ValueSource(longs = { 0, 50 })
	void replicaOutageNeitherSpinsNorStopsCheckpointsAndCatchesUpWithOneMergedFile(long syncMillis) throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
		CountingReplicaClient client = new CountingReplicaClient(replica());
		RecordingListener listener = new RecordingListener();
		int truncatePages = 400;
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(syncMillis)))
			.monitorInterval(Duration.ofMillis(100))
			.checkpointInterval(Duration.ofMillis(500))
			.minCheckpointPageCount(100)
			.truncatePageCount(truncatePages)
			.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
			.levels(List.of(Duration.ofHours(1)))
			.snapshots(Duration.ofHours(1), Duration.ofHours(1))
			.listener(listener));
		TestDatabases.execute(connection, "INSERT INTO t VALUES (0, randomblob(100))");
		replicator.notifyCommit();
		await().atMost(Duration.ofSeconds(20))
			.until(() -> replicator.txid() > 0 && replicator.status().replicas().get(0).txid() == replicator.txid());
		long positionBefore = replicator.status().replicas().get(0).txid();

		// The replica goes down while the application writes several WAL thresholds.
		client.failingWrites.set(Integer.MAX_VALUE);
		int checkpointsBefore = listener.checkpoints.get();
		for (int i = 1; i <= 1500; i++) {
			TestDatabases.execute(connection, "INSERT INTO t VALUES (" + i + ", randomblob(3000))");
			replicator.notifyCommit();
		}
		// Local cuts and checkpoints go on: the WAL stays bounded by the truncate size.
		await().atMost(Duration.ofSeconds(60))
			.until(() -> listener.checkpoints.get() > checkpointsBefore
					&& Files.size(wal()) <= 32 + truncatePages * FRAME);
		assertThat(replicator.status().replicas().get(0).txid()).isEqualTo(positionBefore);
		// Idle during the outage: the sync loop waits for deadlines, it does not spin.
		long passes = replicator.loopPasses();
		// Passes only grow (see above for the deadline).
		await().during(Duration.ofSeconds(2))
			.atMost(Duration.ofSeconds(20))
			.until(() -> replicator.loopPasses() - passes < 200);

		// The replica comes back: everything cut during the outage goes up as one file.
		long localTxid = replicator.txid();
		assertThat(localTxid).isGreaterThan(positionBefore + 2);
		int uploadsBefore = listener.uploads.size();
		client.failingWrites.set(0);
		assertThat(replicator.awaitReplicated(localTxid, Duration.ofSeconds(30))).isTrue();
		List<UploadResult> catchUp = listener.uploads.subList(uploadsBefore, listener.uploads.size())
			.stream()
			.filter((upload) -> upload.level() == 0 && upload.minTxid() <= localTxid)
			.toList();
		assertThat(catchUp).singleElement().satisfies((upload) -> {
			assertThat(upload.minTxid()).isEqualTo(positionBefore + 1);
			assertThat(upload.maxTxid()).isGreaterThanOrEqualTo(localTxid);
		});
		long last = replicator.sync();
		assertThat(replicator.awaitReplicated(last, Duration.ofSeconds(10))).isTrue();
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(replica(), restored, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(TestDatabases.digest(connection, "t"));
	}

	@ParameterizedTest(name = "held upload landed: {0}")
	@ValueSource(booleans = { false, true })
	void uploadHeldThroughAnOutageIsRetriedMergedWithEverythingCutDuringIt(boolean landed) throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
		// A held request may also have reached the store, its answer lost: the merged
		// retry then overlaps it, which restores and compactions must take.
		HoldingReplicaClient client = new HoldingReplicaClient(replica(), landed);
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ZERO))
			.monitorInterval(Duration.ofMillis(50))
			.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
			.levels(List.of(Duration.ofHours(1)))
			.snapshots(Duration.ofHours(1), Duration.ofHours(1)));
		TestDatabases.execute(connection, "INSERT INTO t VALUES (0, randomblob(100))");
		replicator.notifyCommit();
		await().atMost(Duration.ofSeconds(20))
			.until(() -> replicator.txid() > 0 && replicator.status().replicas().get(0).txid() == replicator.txid());
		long positionBefore = replicator.status().replicas().get(0).txid();

		// The replica stops answering: the next upload is held, as a request the network
		// swallowed, while the engine cuts more files locally.
		client.hold();
		TestDatabases.execute(connection, "INSERT INTO t VALUES (1, randomblob(100))");
		replicator.notifyCommit();
		await().atMost(Duration.ofSeconds(20)).until(() -> client.held.get() == 1);
		for (int i = 2; i <= 20; i++) {
			TestDatabases.execute(connection, "INSERT INTO t VALUES (" + i + ", randomblob(100))");
			replicator.notifyCommit();
		}
		long localTxid = replicator.sync();
		assertThat(localTxid).isGreaterThan(positionBefore + 2);

		// The outage ends by dropping the held request: its retry goes up merged with
		// everything cut since, one level-0 file from the held file's first TXID on.
		client.dropHeld();
		assertThat(replicator.awaitReplicated(localTxid, Duration.ofSeconds(30))).isTrue();
		assertThat(client.stored).as("level-0 files stored after the outage").singleElement().satisfies((file) -> {
			assertThat(file.minTxid()).isEqualTo(positionBefore + 1);
			assertThat(file.maxTxid()).isGreaterThanOrEqualTo(localTxid);
		});
		assertThat(replica().listFiles(0)).as("level-0 files")
			.filteredOn((file) -> file.minTxid() == positionBefore + 1)
			.hasSize(landed ? 2 : 1);
		replicator.stop();
		String expected = TestDatabases.digest(connection, "t");
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(replica(), restored, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(expected);
		// Level 1, then a snapshot, merge the overlapping files: each restores the rows
		ReplicatorConfig config = ReplicatorConfig.builder("app", db())
			.replica(ReplicaConfig.of("file", replica()))
			.levels(List.of(Duration.ofSeconds(1)))
			.build();
		ReplicaCompactor compactor = new ReplicaCompactor(config, config.replicas().get(0), new RestoreReservations());
		compactor.compact(1);
		assertThat(restoreFromLevels(List.of(1, 9), "level1.db")).isEqualTo(expected);
		compactor.snapshot(Instant.now().plus(Duration.ofDays(2)));
		assertThat(replica().listFiles(9)).hasSize(2);
		assertThat(restoreFromLevels(List.of(9), "snapshot.db")).isEqualTo(expected);
	}

	private String restoreFromLevels(List<Integer> levels, String name) throws Exception {
		ReplicaClient only = new ForwardingReplicaClient(replica()) {
			@Override
			public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
				return levels.contains(level) ? super.listFiles(level, minTxidAtLeast) : List.of();
			}
		};
		Path restored = this.dir.resolve(name);
		new Restorer().restore(only, restored, RestoreOptions.defaults()).orElseThrow();
		return TestDatabases.digest(restored, "t");
	}

	@Test
	void s3OutageCatchesUpWithOneMergedUploadInsteadOfRepeatingTheHeldRequest() throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
		String bucket = s3.server().createBucket("outage");
		RecordingProxy network = RecordingProxy.start(s3.server().endpoint());
		this.closeables.add(network);
		// The SDK's own retries stay on, as in an application's S3 client
		S3Client s3Client = s3.server().clientBuilder().endpointOverride(network.endpoint()).build();
		this.closeables.add(s3Client);
		ReplicaClient client = S3ReplicaClient.builder(s3Client, bucket).prefix("db").build();
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("s3", client, Duration.ZERO))
			.monitorInterval(Duration.ofMillis(50))
			.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
			.levels(List.of(Duration.ofHours(1)))
			.snapshots(Duration.ofHours(1), Duration.ofHours(1)));
		TestDatabases.execute(connection, "INSERT INTO t VALUES (0, randomblob(100))");
		replicator.notifyCommit();
		await().atMost(Duration.ofSeconds(30))
			.until(() -> replicator.txid() > 0 && replicator.status().replicas().get(0).txid() == replicator.txid());
		long positionBefore = replicator.status().replicas().get(0).txid();

		// The network swallows requests: the next level-0 upload is held while the
		// engine cuts more files locally.
		network.stall(true);
		TestDatabases.execute(connection, "INSERT INTO t VALUES (1, randomblob(100))");
		replicator.notifyCommit();
		await().atMost(Duration.ofSeconds(30))
			.until(() -> network.held().stream().anyMatch(ReplicatorAdverseConditionsTests::isLevelZeroPut));
		long heldSince = System.nanoTime();
		for (int i = 2; i <= 20; i++) {
			TestDatabases.execute(connection, "INSERT INTO t VALUES (" + i + ", randomblob(100))");
			replicator.notifyCommit();
		}
		long localTxid = replicator.sync();
		// An outage, not a hiccup: longer than a failed attempt the client repeats itself
		await().atMost(Duration.ofSeconds(10))
			.until(() -> System.nanoTime() - heldSince > S3ReplicaClient.HELD_ATTEMPT.toNanos());

		// The partition ends, dropping what it held: one level-0 PUT covers the held file
		// and everything cut since; the held request is not repeated on its own.
		network.clear();
		network.stall(false);
		assertThat(replicator.awaitReplicated(localTxid, Duration.ofSeconds(60))).isTrue();
		List<LtxFileName> puts = network.requests()
			.stream()
			.filter(ReplicatorAdverseConditionsTests::isLevelZeroPut)
			.map((request) -> LtxFileName.parse(request.target().substring(request.target().lastIndexOf('/') + 1)))
			.toList();
		assertThat(puts).as("level-0 PUTs after the outage").singleElement().satisfies((file) -> {
			assertThat(file.minTxid()).isEqualTo(positionBefore + 1);
			assertThat(file.maxTxid()).isGreaterThanOrEqualTo(localTxid);
		});
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(client, restored, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.digest(restored, "t")).isEqualTo(TestDatabases.digest(connection, "t"));
	}

	private static boolean isLevelZeroPut(RecordingProxy.Request request) {
		return request.method().equals("PUT") && request.target().contains("/0000/");
	}

	@Test
	void withoutReplicaLocalFilesArePrunedAndChangeTimesStayBounded() throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
		Replicator replicator = start(ReplicatorConfig.builder("app", db()));
		for (int i = 0; i < 50; i++) {
			TestDatabases.execute(connection, "INSERT INTO t VALUES (" + i + ", randomblob(2000))");
			replicator.sync();
		}
		assertThat(replicator.txid()).isGreaterThanOrEqualTo(50);
		try (Stream<Path> files = Files.list(replicator.config().metaDirectory().resolve("ltx/0"))) {
			assertThat(files.count()).as("local L0 files without a replica").isLessThanOrEqualTo(2);
		}
		assertThat(replicator.trackedChanges()).isLessThanOrEqualTo(2);
	}

	@Test
	void failedStartKeepsTheApplicationsSqliteLocks() throws Exception {
		Connection application = connect();
		TestDatabases.execute(application, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
		assertThat(probeLock()).isEqualTo("locked");
		// The meta directory cannot be created: a file is in the way.
		Path blocker = this.dir.resolve("blocker");
		Files.writeString(blocker, "x");
		Replicator replicator = new Replicator(ReplicatorConfig.builder("app", db())
			.metaDirectory(blocker.resolve("meta"))
			.replica(ReplicaConfig.of("file", replica()))
			.build());
		assertThatIOException().isThrownBy(replicator::start);
		assertThat(probeLock()).as("the application's SQLite lock after a failed engine start").isEqualTo("locked");
		TestDatabases.execute(application, "INSERT INTO t VALUES (1)");
		application.close();
		replicator.close();
		assertThat(probeLock()).as("after the application and the engine closed").isEqualTo("free");
	}

	private String probeLock() {
		try (ChildJvm probe = ChildJvm.start(this.dir, "probe-" + System.nanoTime(), SqliteLockProbeMain.class,
				List.of(), List.of(db().toString()))) {
			assertThat(probe.awaitExit(Duration.ofSeconds(60))).as(probe.outputTail()).isZero();
			return probe.lines().get(0);
		}
	}

	@Test
	void stopEndsEveryEngineThreadEvenWhileTheReplicaHangs() throws Exception {
		Connection connection = connect();
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		HangingReplicaClient client = new HangingReplicaClient(replica());
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.shutdownSyncTimeout(Duration.ofMillis(200))
			.levels(List.of(Duration.ofMillis(100)))
			.snapshots(Duration.ofMillis(100), Duration.ofHours(1))
			// Without a lease the uploader and the compactor both reach the hanging
			// replica; with one, the holder fences itself first and they never call it.
			.lease(LeaseConfig.DISABLED));
		TestDatabases.execute(connection, "INSERT INTO t VALUES (1, 'a')");
		replicator.notifyCommit();
		await().atMost(Duration.ofSeconds(20)).until(() -> replicator.status().replicas().get(0).txid() > 0);
		client.hang = true;
		TestDatabases.execute(connection, "INSERT INTO t VALUES (2, 'b')");
		replicator.notifyCommit();
		// Both the uploader and the compactor are stuck in a replica call.
		await().atMost(Duration.ofSeconds(20)).until(() -> client.hanging.get() >= 2);
		replicator.stop();
		assertThat(engineThreads()).as("engine threads alive after stop()").isEmpty();
	}

	private static List<String> engineThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter((name) -> name.startsWith("litestream-app-"))
			.toList();
	}

	/**
	 * A real replica whose level-0 writes, once {@link #hold()} is called, are held
	 * unanswered until {@link #dropHeld()} fails them, as a network partition drops a
	 * request (or, when {@code lands}, the request's answer: the file is stored first);
	 * it records the level-0 files stored after that.
	 */
	private static final class HoldingReplicaClient extends ForwardingReplicaClient {

		final AtomicInteger held = new AtomicInteger();

		final List<LtxFileInfo> stored = new CopyOnWriteArrayList<>();

		private volatile @Nullable CountDownLatch outage;

		private volatile boolean dropped;

		private final boolean lands;

		HoldingReplicaClient(ReplicaClient delegate, boolean lands) {
			super(delegate);
			this.lands = lands;
		}

		void hold() {
			this.outage = new CountDownLatch(1);
		}

		void dropHeld() {
			this.dropped = true;
			CountDownLatch outage = this.outage;
			this.outage = null;
			if (outage != null) {
				outage.countDown();
			}
		}

		@Override
		public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
				throws IOException {
			CountDownLatch outage = this.outage;
			if (level == 0 && outage != null) {
				if (this.lands) {
					super.createFile(level, minTxid, maxTxid, timestamp, data);
				}
				this.held.incrementAndGet();
				try {
					outage.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new InterruptedIOException("interrupted while held");
				}
				throw new ReplicaException("Injected: connection closed before a response", true, null);
			}
			LtxFileInfo file = super.createFile(level, minTxid, maxTxid, timestamp, data);
			if (level == 0 && this.dropped) {
				this.stored.add(file);
			}
			return file;
		}

	}

	/**
	 * A real replica whose calls block, once {@link #hang} is set, until the calling
	 * thread is interrupted: a replica that stopped answering.
	 */
	private static final class HangingReplicaClient extends ForwardingReplicaClient {

		private static final Set<Call> FILE_CALLS = EnumSet.of(Call.LIST, Call.OPEN, Call.WRITE, Call.CREATE,
				Call.DELETE);

		private final CountDownLatch never = new CountDownLatch(1);

		final AtomicInteger hanging = new AtomicInteger();

		volatile boolean hang;

		HangingReplicaClient(ReplicaClient delegate) {
			super(delegate);
		}

		@Override
		protected void beforeRequest(Call call) throws IOException {
			// The file requests hang; downloads and the lease pass
			if (!this.hang || !FILE_CALLS.contains(call)) {
				return;
			}
			this.hanging.incrementAndGet();
			try {
				this.never.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new InterruptedIOException("interrupted while the replica hangs");
			}
			finally {
				this.hanging.decrementAndGet();
			}
		}

	}

}
