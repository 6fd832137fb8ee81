package io.github.litestream.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.ltx.PageEncoding;
import io.github.litestream.replication.Replicator;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestorePlanner;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.LitestreamReplicate;
import io.github.litestream.testsupport.OfficialLitestream;
import io.github.litestream.testsupport.ProcessResult;
import io.github.litestream.testsupport.ReplicaFiles;
import io.github.litestream.testsupport.SqliteCommandMain;
import io.github.litestream.testsupport.SqliteFiles;
import io.github.litestream.testsupport.SqliteWriterMain;
import io.github.litestream.wal.WalHeader;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sqlite.SQLiteConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Compatibility with the official Litestream in both directions, against real binaries:
 * the newest v0.5 (block-encoded pages) and a legacy one at or below v0.5.15 (frame pages
 * only), see {@link OfficialLitestream}.
 * <ul>
 * <li>{@code litestream restore} of a replica our engine wrote, at the latest state, at
 * recorded points in time and at recorded TXIDs, gives exactly the rows the source had
 * and passes {@code integrity_check};</li>
 * <li>our {@link Restorer} of a replica {@code litestream replicate} wrote (with L1
 * compactions and its own checkpoints) gives the source's rows, and at points in time and
 * TXIDs the same rows as {@code litestream restore} of the same target;</li>
 * <li>block-encoded pages are readable by the newest binary only, which is why our engine
 * writes frames by default.</li>
 * </ul>
 * Our replica is written once for the class and restored by each binary. Points in time
 * fall half a millisecond after a recorded point: LTX timestamps have millisecond
 * precision, {@code litestream restore -timestamp} takes files stamped strictly before
 * the target and our restore files stamped at or before it, so both read the same files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OfficialLitestreamCompatibilityTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static final String CREATE_TABLE = "CREATE TABLE t(id INTEGER PRIMARY KEY, writer TEXT, payload BLOB)";

	private static final String ROWS = "SELECT id, writer, hex(payload) FROM t ORDER BY id";

	private static final int PHASES = 10;

	private static final int WRITERS = 3;

	private static final int TRANSACTIONS_PER_PHASE = 10;

	/** The phase in which a writer in another process joins the in-JVM writers. */
	private static final int CHILD_WRITER_PHASE = 3;

	/** The phase in which an application connection runs a checkpoint of its own. */
	private static final int APPLICATION_CHECKPOINT_PHASE = 6;

	private FileReplicaClient ourReplica;

	private final List<Point> ourPoints = new ArrayList<>();

	static Stream<Official> officialBinaries() {
		return Stream.of(Official.latest(), Official.legacy());
	}

	/**
	 * Replicates a database with our engine while three connections and, for one phase, a
	 * second process write to it, the engine checkpoints and the application runs a
	 * checkpoint too. After each phase, once every writer has finished, it records the
	 * TXID that covers the phase, the time and the table's content.
	 */
	@BeforeAll
	void replicateWithOurEngine(@TempDir Path shared) throws Exception {
		Path db = shared.resolve("app.db");
		this.ourReplica = new FileReplicaClient(shared.resolve("replica"));
		AtomicInteger restartingCheckpoints = new AtomicInteger();
		List<Connection> connections = new ArrayList<>();
		ExecutorService executor = Executors.newFixedThreadPool(WRITERS);
		Replicator replicator = null;
		try {
			for (int w = 0; w <= WRITERS; w++) {
				connections.add(open(db));
			}
			Connection setup = connections.get(WRITERS);
			execute(setup, CREATE_TABLE);
			replicator = new Replicator(ReplicatorConfig.builder("compat", db)
				.replica(new ReplicaConfig("file", this.ourReplica, Duration.ofMillis(100)))
				.monitorInterval(Duration.ofMillis(50))
				.minCheckpointPageCount(40)
				.checkpointInterval(Duration.ofMillis(300))
				.listener(new ReplicationListener() {
					@Override
					public void onCheckpoint(String database, String mode, Duration duration, boolean walRestarted) {
						if (walRestarted) {
							restartingCheckpoints.incrementAndGet();
						}
					}
				})
				.build());
			replicator.start();
			recordPoint(replicator, db);
			for (int phase = 1; phase <= PHASES; phase++) {
				@Nullable ChildJvm child = (phase != CHILD_WRITER_PHASE) ? null
						: ChildJvm.start(shared, "child-writer", SqliteWriterMain.class, List.of("-Xmx64m"),
								List.of(db.toString(), "child", "25", "1", "300", "--busy-timeout=30s"));
				List<Future<?>> writers = new ArrayList<>();
				for (int w = 0; w < WRITERS; w++) {
					Connection connection = connections.get(w);
					Random random = new Random(phase * 31L + w);
					Replicator engine = replicator;
					String writer = "w" + w;
					writers.add(executor.submit(() -> {
						write(connection, writer, random, engine);
						return null;
					}));
				}
				for (Future<?> writer : writers) {
					writer.get();
				}
				if (child != null) {
					try (child) {
						assertThat(child.awaitExit(TIMEOUT)).as(child.outputTail()).isZero();
					}
				}
				if (phase == APPLICATION_CHECKPOINT_PHASE) {
					// It copies pages back but cannot restart the WAL while the engine
					// holds its read transaction; the engine's own checkpoints do that.
					execute(setup, "PRAGMA wal_checkpoint(PASSIVE)");
					// Later phases then start in a WAL generation the engine restarted.
					await().atMost(TIMEOUT).until(() -> restartingCheckpoints.get() > 0);
				}
				recordPoint(replicator, db);
			}
			long last = replicator.sync();
			assertThat(replicator.awaitReplicated(last, TIMEOUT)).isTrue();
			replicator.stop();
		}
		finally {
			executor.shutdownNow();
			for (Connection connection : connections) {
				connection.close();
			}
			if (replicator != null) {
				replicator.close();
			}
		}
		assertThat(restartingCheckpoints).as("checkpoints that restarted the WAL").hasPositiveValue();
		assertThat(this.ourPoints.get(PHASES).contents().rows()).as("rows written")
			.isGreaterThan(PHASES * WRITERS * TRANSACTIONS_PER_PHASE);
		// Every point differs from every other, so a restore to the wrong one fails.
		assertThat(this.ourPoints).extracting(Point::contents).doesNotHaveDuplicates();
	}

	private void recordPoint(Replicator replicator, Path db) throws IOException, InterruptedException {
		long txid = replicator.sync();
		// The point is a file boundary on the replica: a file still pending when the next
		// phase cuts more would go up merged with them.
		assertThat(replicator.awaitReplicated(txid, TIMEOUT)).isTrue();
		Instant at = Instant.now();
		this.ourPoints.add(new Point(at, txid, Contents.of(db)));
		// The next file then carries a later millisecond than this point.
		await().atMost(TIMEOUT).until(() -> Instant.now().toEpochMilli() > at.toEpochMilli());
	}

	/**
	 * One writer's share of a phase: transactions that insert one to three rows, and now
	 * and then update or delete a random row, so the table is not append-only.
	 */
	private static void write(Connection connection, String writer, Random random, Replicator replicator)
			throws SQLException {
		try (Statement statement = connection.createStatement();
				PreparedStatement insert = connection
					.prepareStatement("INSERT INTO t(writer, payload) VALUES (?, randomblob(?))")) {
			for (int i = 0; i < TRANSACTIONS_PER_PHASE; i++) {
				// BEGIN IMMEDIATE: a deferred transaction that upgrades to a write can
				// fail with SQLITE_BUSY without waiting for the busy timeout.
				statement.execute("BEGIN IMMEDIATE");
				for (int row = 0, rows = 1 + random.nextInt(3); row < rows; row++) {
					insert.setString(1, writer);
					insert.setInt(2, 100 + random.nextInt(1500));
					insert.executeUpdate();
				}
				if (i % 4 == 3) {
					statement.execute("UPDATE t SET payload = randomblob(" + (100 + random.nextInt(3000))
							+ ") WHERE id IN (SELECT id FROM t ORDER BY random() LIMIT 1)");
				}
				if (i % 7 == 6) {
					statement.execute("DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY random() LIMIT 1)");
				}
				statement.execute("COMMIT");
				replicator.notifyCommit();
			}
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("officialBinaries")
	void officialRestoreOfOurReplicaAtLatestEqualsTheSource(Official official, @TempDir Path dir) {
		assertThat(ReplicaFiles.list(this.ourReplica))
			.allSatisfy((file) -> assertThat(ReplicaFiles.firstPageEncoding(this.ourReplica, file))
				.as("page encoding of %s", file)
				.isIn(PageEncoding.FRAME, null));
		Path restored = dir.resolve("latest.db");
		OfficialLitestream.restore(official.binary(), this.ourReplica.root(), restored, null, null);
		SqliteFiles.integrityCheck(restored);
		assertThat(Contents.of(restored)).isEqualTo(this.ourPoints.get(PHASES).contents());
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("officialBinaries")
	void officialRestoreOfOurReplicaToEachRecordedPointInTimeGivesExactlyItsRows(Official official, @TempDir Path dir) {
		Instant newestFile = newestFileTimestamp();
		for (Point point : this.ourPoints) {
			Path restored = dir.resolve("at-" + point.txid() + ".db");
			if (!point.target().isBefore(newestFile)) {
				// Litestream refuses a time after its newest file ("timestamp does not
				// exist"); whether a later file exists depends on whether the engine
				// checkpointed after the last point, so both outcomes are checked.
				ProcessResult refused = OfficialLitestream.tryRestore(official.binary(), this.ourReplica.root(),
						restored, point.target(), null);
				assertThat(refused.output()).contains("timestamp does not exist");
				continue;
			}
			OfficialLitestream.restore(official.binary(), this.ourReplica.root(), restored, point.target(), null);
			SqliteFiles.integrityCheck(restored);
			assertThat(Contents.of(restored)).as("restored to %s", point).isEqualTo(point.contents());
		}
	}

	private Instant newestFileTimestamp() {
		try {
			return RestorePlanner.listAll(this.ourReplica)
				.stream()
				.map(LtxFileInfo::createdAt)
				.max(Comparator.naturalOrder())
				.orElseThrow();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("officialBinaries")
	void officialRestoreOfOurReplicaToEachRecordedTxidGivesExactlyItsRows(Official official, @TempDir Path dir) {
		for (Point point : this.ourPoints) {
			Path restored = dir.resolve("txid-" + point.txid() + ".db");
			OfficialLitestream.restore(official.binary(), this.ourReplica.root(), restored, null, point.txid());
			SqliteFiles.integrityCheck(restored);
			assertThat(Contents.of(restored)).as("restored to %s", point).isEqualTo(point.contents());
		}
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("officialBinaries")
	void ourRestoreOfAReplicaWrittenByOfficialLitestreamAgreesWithItAtLatestPointsInTimeAndTxids(Official official,
			@TempDir Path dir) throws Exception {
		Path db = dir.resolve("official.db");
		SqliteCommandMain.run(db, List.of("PRAGMA journal_mode=WAL", CREATE_TABLE), TIMEOUT);
		// Fast syncs, L1 compactions every second and checkpoints every few pages, so the
		// replica holds compacted files and WAL restarts within a short run.
		Map<String, Object> options = Map.of("monitor-interval", Duration.ofMillis(100), "sync-interval",
				Duration.ofMillis(100), "levels", List.of(Duration.ofSeconds(1)), "min-checkpoint-page-count", 20);
		List<Instant> pointsInTime = new ArrayList<>();
		List<Long> reportedAtPoints = new ArrayList<>();
		long schemaTxid;
		FileReplicaClient replica;
		try (LitestreamReplicate litestream = OfficialLitestream.start(official.binary(), db, dir.resolve("replica"),
				options)) {
			replica = litestream.replica();
			schemaTxid = litestream.awaitCaughtUp(TIMEOUT);
			try (ChildJvm writer = ChildJvm.start(dir, "writer", SqliteWriterMain.class, List.of("-Xmx64m"),
					List.of(db.toString(), "w1", "200", "1", "300", "--pause=10ms"))) {
				for (String line : List.of("committed w1 60", "committed w1 130")) {
					writer.awaitLine(line, TIMEOUT);
					long replicated = litestream.replicaTxid();
					await().atMost(TIMEOUT).until(() -> litestream.replicaTxid() > replicated);
					Instant point = halfAMillisecondAfter(Instant.now());
					await().atMost(TIMEOUT).until(() -> Instant.now().isAfter(point));
					pointsInTime.add(point);
					reportedAtPoints.add(SqliteWriterMain.lastCommittedId(writer.lines()));
				}
				assertThat(writer.awaitExit(TIMEOUT)).as(writer.outputTail()).isZero();
			}
			litestream.awaitCaughtUp(TIMEOUT);
			await().atMost(TIMEOUT).until(() -> !ReplicaFiles.list(replica, 1).isEmpty());
			assertThat(litestream.stop()).as("exit code after SIGTERM").isZero();
		}
		PageEncoding written = official.writesBlockPages() ? PageEncoding.BLOCK : PageEncoding.FRAME;
		List<LtxFileInfo> level0 = ReplicaFiles.list(replica, 0);
		assertThat(level0)
			.allSatisfy((file) -> assertThat(ReplicaFiles.firstPageEncoding(replica, file)).isIn(written, null));
		// A later file that starts at the WAL header: Litestream checkpointed and the
		// WAL restarted, so the restores below cross a WAL generation.
		assertThat(level0.subList(1, level0.size())).as(ReplicaFiles.describe(replica))
			.anySatisfy((file) -> assertThat(ReplicaFiles.header(replica, file).walOffset()).isEqualTo(WalHeader.SIZE));
		List<List<Object>> source = SqliteFiles.rows(db, ROWS);
		assertThat(source).hasSize(200);

		Restorer restorer = new Restorer();
		Path latest = dir.resolve("ours-latest.db");
		RestoreResult result = restorer
			.restore(replica, latest, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.FULL))
			.orElseThrow();
		assertThat(result.txid()).isEqualTo(ReplicaFiles.maxTxid(replica));
		assertThat(SqliteFiles.rows(latest, ROWS)).isEqualTo(source);

		for (int i = 0; i < pointsInTime.size(); i++) {
			Instant point = pointsInTime.get(i);
			Path ours = dir.resolve("ours-at-" + i + ".db");
			long txid = restorer.restore(replica, ours, options(RestoreTarget.at(point))).orElseThrow().txid();
			assertThat(txid).as("newest TXID on the replica stamped before %s", point)
				.isEqualTo(newestTxidBefore(replica, point));
			List<List<Object>> rows = SqliteFiles.rows(ours, ROWS);
			// The writer reports a commit after it returned: one more may be replicated.
			assertThat(rows.size()).isBetween(1, (int) (reportedAtPoints.get(i) + 1));
			assertThat(rows).isEqualTo(source.subList(0, rows.size()));
			assertThat(rowsRestoredByOfficial(official, replica, dir.resolve("official-at-" + i + ".db"), point, null))
				.isEqualTo(rows);
			assertThat(rowsRestoredByUs(replica, dir.resolve("ours-txid-" + txid + ".db"), RestoreTarget.txid(txid)))
				.isEqualTo(rows);
			assertThat(
					rowsRestoredByOfficial(official, replica, dir.resolve("official-txid-" + txid + ".db"), null, txid))
				.isEqualTo(rows);
		}
		assertThat(rowsRestoredByUs(replica, dir.resolve("ours-schema.db"), RestoreTarget.txid(schemaTxid))).isEmpty();
		assertThat(rowsRestoredByOfficial(official, replica, dir.resolve("official-schema.db"), null, schemaTxid))
			.isEmpty();
	}

	@Test
	void blockEncodedReplicaIsRestoredByTheLatestBinaryButRejectedByTheLegacyOne(@TempDir Path dir) throws Exception {
		Path db = dir.resolve("block.db");
		FileReplicaClient replica = new FileReplicaClient(dir.resolve("replica"));
		Connection connection = open(db);
		execute(connection, CREATE_TABLE);
		Replicator replicator = new Replicator(ReplicatorConfig.builder("block", db)
			.replica(new ReplicaConfig("file", replica, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.pageEncoding(PageEncoding.BLOCK)
			.build());
		Contents written;
		try {
			replicator.start();
			long txid = 0;
			// Several syncs: a snapshot first, then incremental files.
			for (int i = 0; i < 3; i++) {
				write(connection, "block", new Random(i), replicator);
				txid = replicator.sync();
			}
			assertThat(replicator.awaitReplicated(txid, TIMEOUT)).isTrue();
			replicator.stop();
			written = Contents.of(db);
		}
		finally {
			// The engine closes last: after every SQLite connection of this JVM.
			connection.close();
			replicator.close();
		}
		assertThat(ReplicaFiles.list(replica)).isNotEmpty()
			.allSatisfy(
					(file) -> assertThat(ReplicaFiles.firstPageEncoding(replica, file)).isIn(PageEncoding.BLOCK, null));

		Path latest = dir.resolve("restored-by-latest.db");
		OfficialLitestream.restore(OfficialLitestream.latest(), replica.root(), latest, null, null);
		SqliteFiles.integrityCheck(latest);
		assertThat(Contents.of(latest)).isEqualTo(written);

		// ltx v0.5.1, which v0.5.15 and older use, knows page flag 0 only.
		Path legacy = dir.resolve("restored-by-legacy.db");
		ProcessResult result = OfficialLitestream.tryRestore(OfficialLitestream.legacy(), replica.root(), legacy, null,
				null);
		assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
		assertThat(result.output()).contains("no flags allowed, reserved for future use");
		assertThat(legacy).doesNotExist();
	}

	private static RestoreOptions options(RestoreTarget target) {
		return RestoreOptions.defaults().withTarget(target).withIntegrityCheck(IntegrityCheck.FULL);
	}

	private static List<List<Object>> rowsRestoredByUs(FileReplicaClient replica, Path out, RestoreTarget target)
			throws IOException {
		new Restorer().restore(replica, out, options(target)).orElseThrow();
		return SqliteFiles.rows(out, ROWS);
	}

	private static List<List<Object>> rowsRestoredByOfficial(Official official, FileReplicaClient replica, Path out,
			@Nullable Instant timestamp, @Nullable Long txid) {
		OfficialLitestream.restore(official.binary(), replica.root(), out, timestamp, txid);
		SqliteFiles.integrityCheck(out);
		return SqliteFiles.rows(out, ROWS);
	}

	/**
	 * The TXID a restore to {@code point} must reach, read from the replica's L0 files
	 * (one per sync, all still there in a short run).
	 */
	private static long newestTxidBefore(FileReplicaClient replica, Instant point) {
		return ReplicaFiles.list(replica, 0)
			.stream()
			.filter((file) -> file.createdAt().isBefore(point))
			.mapToLong(LtxFileInfo::maxTxid)
			.max()
			.orElseThrow();
	}

	private static Instant halfAMillisecondAfter(Instant instant) {
		return instant.truncatedTo(ChronoUnit.MILLIS).plusNanos(500_000);
	}

	/**
	 * Opens a connection the way the starter configures application connections: WAL, no
	 * automatic checkpoints (the engine owns them), a busy timeout for several writers.
	 */
	private static Connection open(Path db) throws SQLException {
		SQLiteConfig config = new SQLiteConfig();
		config.setJournalMode(SQLiteConfig.JournalMode.WAL);
		config.setBusyTimeout(30_000);
		Connection connection = config.createConnection("jdbc:sqlite:" + db);
		execute(connection, "PRAGMA wal_autocheckpoint=0");
		return connection;
	}

	private static void execute(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
	}

	/**
	 * A recorded state of our source database.
	 *
	 * @param at when it was recorded, after the sync that covers it
	 * @param txid the TXID of that sync
	 * @param contents the table's content
	 */
	private record Point(Instant at, long txid, Contents contents) {

		/** A target after this point's file and before the next one. */
		Instant target() {
			return halfAMillisecondAfter(this.at);
		}

	}

	/**
	 * The content of table {@code t}, small enough for assertion messages.
	 *
	 * @param rows the number of rows
	 * @param sha256 a digest of every row in primary-key order
	 */
	private record Contents(int rows, String sha256) {

		static Contents of(Path db) {
			List<List<Object>> rows = SqliteFiles.rows(db, ROWS);
			try {
				MessageDigest digest = MessageDigest.getInstance("SHA-256");
				for (List<Object> row : rows) {
					digest.update(row.toString().getBytes(StandardCharsets.UTF_8));
					digest.update((byte) '\n');
				}
				return new Contents(rows.size(), HexFormat.of().formatHex(digest.digest()));
			}
			catch (NoSuchAlgorithmException ex) {
				throw new IllegalStateException(ex);
			}
		}

	}

	/**
	 * An official Litestream binary, named by its version in test names.
	 *
	 * @param version the release
	 * @param binary its path
	 */
	record Official(String version, Path binary) {

		static Official latest() {
			return new Official(OfficialLitestream.latestVersion(), OfficialLitestream.latest());
		}

		static Official legacy() {
			return new Official(OfficialLitestream.legacyVersion(), OfficialLitestream.legacy());
		}

		/**
		 * Whether it writes (and reads) block-encoded pages: Litestream 0.5.16 moved to
		 * ltx v0.5.2.
		 */
		boolean writesBlockPages() {
			int[] parts = Stream.of(this.version.split("\\.")).mapToInt(Integer::parseInt).toArray();
			return parts[0] > 0 || parts[1] > 5 || (parts[1] == 5 && parts[2] >= 16);
		}

		@Override
		public String toString() {
			return "litestream " + this.version;
		}

	}

}
