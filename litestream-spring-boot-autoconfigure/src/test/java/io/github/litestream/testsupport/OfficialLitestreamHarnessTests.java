package io.github.litestream.testsupport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.ltx.PageEncoding;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Proves the harness end to end with real processes, and pins what the official
 * Litestream does (the facts our engine must match): layout and headers of a file
 * replica, which version reads which page encoding, and how restore fails.
 */
class OfficialLitestreamHarnessTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	/**
	 * Sync quickly so the test is fast; everything else stays at Litestream's defaults.
	 */
	private static final Map<String, Object> FAST = Map.of("monitor-interval", Duration.ofMillis(100), "sync-interval",
			Duration.ofMillis(100));

	private static final String ROWS = "SELECT id, writer, hex(payload) FROM t ORDER BY id";

	private static final String CREATE_TABLE = "CREATE TABLE t(id INTEGER PRIMARY KEY, writer TEXT, payload BLOB)";

	@Test
	void bothVersionsInstallIntoTheCacheAndReportTheirVersion(@TempDir Path dir) {
		for (String version : List.of(OfficialLitestream.latestVersion(), OfficialLitestream.legacyVersion())) {
			Path binary = OfficialLitestream.binary(version);
			assertThat(binary).isEqualTo(OfficialLitestream.cacheDir().resolve("litestream-" + version + "/litestream"))
				.isExecutable();
			ProcessResult result = Processes.run(List.of(binary.toString(), "version"),
					dir.resolve("version-" + version + ".log"), TIMEOUT);
			assertThat(result.exitCode()).isZero();
			assertThat(result.output().strip()).isEqualTo(version);
		}
	}

	@Test
	void latestRestoresEveryCommitOfAChildWriterWhileLegacyRejectsItsBlockPages(@TempDir Path dir) throws Exception {
		Path db = dir.resolve("app.db");
		Path replica = dir.resolve("replica");
		SqliteCommandMain.run(db, List.of("PRAGMA journal_mode=WAL", CREATE_TABLE), TIMEOUT);
		Instant midRun;
		long reportedAtMidRun;
		long schemaTxid;
		try (LitestreamReplicate litestream = OfficialLitestream.start(OfficialLitestream.latest(), db, replica,
				FAST)) {
			schemaTxid = litestream.awaitCaughtUp(TIMEOUT);
			try (ChildJvm writer = ChildJvm.start(dir, "writer", SqliteWriterMain.class, List.of("-Xmx64m"),
					List.of(db.toString(), "w1", "200", "1", "100", "--pause=10ms"))) {
				writer.awaitLine("committed w1 40", TIMEOUT);
				// Mid-run: some commits are on the replica, more are to come.
				await().atMost(TIMEOUT).until(() -> litestream.replicaTxid() > schemaTxid);
				midRun = Instant.now();
				await().atMost(TIMEOUT).until(() -> Instant.now().isAfter(midRun));
				reportedAtMidRun = SqliteWriterMain.lastCommittedId(writer.lines());
				assertThat(reportedAtMidRun).as("rows reported when the timestamp was taken").isLessThan(200);
				assertThat(writer.awaitExit(TIMEOUT)).as(writer.outputTail()).isZero();
				assertThat(writer.lines()).hasSize(201).endsWith("done w1 200");
			}
			litestream.awaitCaughtUp(TIMEOUT);
			assertReplicaLayoutOfLatest(litestream);
			assertThat(litestream.stop()).as("exit code after SIGTERM").isZero();
		}
		List<List<Object>> committed = SqliteFiles.rows(db, ROWS);
		assertThat(committed).hasSize(200);

		Path latest = dir.resolve("restored-latest.db");
		OfficialLitestream.restore(OfficialLitestream.latest(), replica, latest, null, null);
		SqliteFiles.integrityCheck(latest);
		assertThat(SqliteFiles.rows(latest, ROWS)).isEqualTo(committed);

		// v0.5.15 reads frame-encoded pages only; v0.5.17 writes block-encoded ones.
		Path legacy = dir.resolve("restored-legacy.db");
		ProcessResult legacyResult = OfficialLitestream.tryRestore(OfficialLitestream.legacy(), replica, legacy, null,
				null);
		assertThat(legacyResult.exitCode()).isEqualTo(1);
		assertThat(legacyResult.output()).contains("no flags allowed, reserved for future use");
		assertThat(legacy).doesNotExist();

		Path pointInTime = dir.resolve("restored-mid-run.db");
		OfficialLitestream.restore(OfficialLitestream.latest(), replica, pointInTime, midRun, null);
		SqliteFiles.integrityCheck(pointInTime);
		List<List<Object>> prefix = SqliteFiles.rows(pointInTime, ROWS);
		// A commit may land between COMMIT returning and its line being printed: one row.
		assertThat(prefix.size()).isBetween(1, (int) reportedAtMidRun + 1);
		assertThat(prefix).isEqualTo(committed.subList(0, prefix.size()));

		Path beforeWriter = dir.resolve("restored-txid.db");
		OfficialLitestream.restore(OfficialLitestream.latest(), replica, beforeWriter, null, schemaTxid);
		assertThat(SqliteFiles.rows(beforeWriter, "SELECT count(*) FROM t")).containsExactly(List.of(0L));
	}

	private static void assertReplicaLayoutOfLatest(LitestreamReplicate litestream) throws IOException {
		FileReplicaClient replica = litestream.replica();
		// v0.5.17 takes a level-9 snapshot right after its first sync, not after 24 h.
		await().atMost(TIMEOUT).until(() -> !ReplicaFiles.list(replica, 9).isEmpty());
		assertThat(ReplicaFiles.list(replica, 9)).allSatisfy((file) -> assertThat(file.minTxid()).isOne());
		List<LtxFileInfo> level0 = ReplicaFiles.list(replica, 0);
		assertThat(level0).as(ReplicaFiles.describe(replica)).isNotEmpty();
		for (int i = 0; i < level0.size(); i++) {
			// One TXID per sync, contiguous from 1.
			assertThat(level0.get(i).minTxid()).isEqualTo(i + 1);
			assertThat(level0.get(i).maxTxid()).isEqualTo(i + 1);
		}
		LtxHeader first = ReplicaFiles.header(replica, level0.get(0));
		assertThat(first.flags()).isEqualTo(LtxHeader.FLAG_NO_CHECKSUM);
		assertThat(first.isSnapshot()).isTrue();
		assertThat(first.walOffset()).isEqualTo(32);
		assertThat(ReplicaFiles.firstPageEncoding(replica, level0.get(0))).isEqualTo(PageEncoding.BLOCK);
		// The file replica sets each mtime to the header timestamp just after the rename.
		await().atMost(TIMEOUT)
			.untilAsserted(() -> assertThat(ReplicaFiles.list(replica))
				.allSatisfy((file) -> assertThat(ReplicaFiles.lastModified(replica, file))
					.isEqualTo(Instant.ofEpochMilli(ReplicaFiles.header(replica, file).timestamp()))));
		// The local meta directory holds nothing but staged L0 files.
		Path meta = litestream.staging().root();
		assertThat(fileNames(meta)).containsExactly("ltx");
		assertThat(fileNames(meta.resolve("ltx"))).containsExactly("0");
	}

	@Test
	void legacyWritesFramePagesThatBothVersionsRestoreAndACorruptFileFailsLoudly(@TempDir Path dir) throws Exception {
		Path db = dir.resolve("legacy.db");
		Path replica = dir.resolve("replica");
		SqliteCommandMain.run(db, List.of("PRAGMA journal_mode=WAL", CREATE_TABLE), TIMEOUT);
		try (LitestreamReplicate litestream = OfficialLitestream.start(OfficialLitestream.legacy(), db, replica,
				FAST)) {
			litestream.awaitCaughtUp(TIMEOUT);
			List<String> inserts = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				inserts.add("INSERT INTO t(writer, payload) VALUES ('in-process', randomblob(50))");
			}
			SqliteCommandMain.run(db, inserts, TIMEOUT);
			litestream.awaitCaughtUp(TIMEOUT);
			assertThat(litestream.stop()).isZero();
		}
		FileReplicaClient client = new FileReplicaClient(replica);
		assertThat(ReplicaFiles.list(client)).isNotEmpty()
			.allSatisfy(
					(file) -> assertThat(ReplicaFiles.firstPageEncoding(client, file)).isIn(PageEncoding.FRAME, null));
		List<List<Object>> committed = SqliteFiles.rows(db, ROWS);
		assertThat(committed).hasSize(20);
		for (Path binary : List.of(OfficialLitestream.latest(), OfficialLitestream.legacy())) {
			Path restored = dir.resolve("restored-by-" + binary.getParent().getFileName() + ".db");
			OfficialLitestream.restore(binary, replica, restored, null, null);
			SqliteFiles.integrityCheck(restored);
			assertThat(SqliteFiles.rows(restored, ROWS)).isEqualTo(committed);
		}

		Path corrupt = dir.resolve("corrupt-replica");
		FileReplicaClient corruptClient = new FileReplicaClient(corrupt);
		for (LtxFileInfo file : ReplicaFiles.list(client)) {
			byte[] bytes;
			try (InputStream in = client.openFile(file.level(), file.minTxid(), file.maxTxid())) {
				bytes = in.readAllBytes();
			}
			bytes[bytes.length - 1] ^= 1;
			corruptClient.writeFile(file.level(), file.minTxid(), file.maxTxid(), file.createdAt(),
					new ByteArrayInputStream(bytes));
		}
		Path fromCorrupt = dir.resolve("restored-from-corrupt.db");
		ProcessResult result = OfficialLitestream.tryRestore(OfficialLitestream.latest(), corrupt, fromCorrupt, null,
				null);
		assertThat(result.exitCode()).isEqualTo(1);
		assertThat(result.output()).contains("file checksum mismatch");
		assertThat(fromCorrupt).doesNotExist();
	}

	@Test
	void restoreFromAnEmptyOrMissingReplicaFailsAndWritesNothing(@TempDir Path dir) throws IOException {
		Path empty = Files.createDirectories(dir.resolve("empty"));
		for (Path replica : List.of(empty, dir.resolve("missing"))) {
			Path out = dir.resolve(replica.getFileName() + ".db");
			ProcessResult result = OfficialLitestream.tryRestore(OfficialLitestream.latest(), replica, out, null, null);
			assertThat(result.exitCode()).isEqualTo(1);
			assertThat(result.output()).contains("no matching backup files available");
			assertThat(out).doesNotExist();
		}
	}

	@Test
	void killedWriterKeepsEveryCommitItReportedAndNoPartialTransaction(@TempDir Path dir) throws SQLException {
		Path db = dir.resolve("crash.db");
		try (ChildJvm writer = ChildJvm.start(dir, "writer", SqliteWriterMain.class, List.of("-Xmx64m"),
				List.of(db.toString(), "w1", "30s", "3", "200"))) {
			writer.awaitLine("committed w1 30", TIMEOUT);
			assertThat(writer.kill()).as("SIGKILL").isEqualTo(137);
			long reported = SqliteWriterMain.lastCommittedId(writer.lines());

			ChildJvm command = ChildJvm.start(dir, "checkpoint", SqliteCommandMain.class,
					List.of("-D" + SqliteCommandMain.BUSY_TIMEOUT_PROPERTY + "=5000"),
					List.of(db.toString(), "PRAGMA wal_checkpoint(TRUNCATE)", "SELECT count(*) FROM t"));
			assertThat(command.awaitExit(TIMEOUT)).as(command.outputTail()).isZero();
			List<String> output = command.lines();
			assertThat(output).hasSize(2);
			assertThat(output.get(0)).startsWith("0|");
			long count = Long.parseLong(output.get(1));
			assertThat(count).isGreaterThanOrEqualTo(reported);
			assertThat(count % 3).as("rows of whole transactions only").isZero();
		}
		SqliteFiles.integrityCheck(db);
		assertThat(SqliteFiles.rows(db, "SELECT min(id), max(id), count(*) FROM t")).singleElement()
			.satisfies((row) -> assertThat(row.get(1)).isEqualTo(row.get(2)));

		Path first = dir.resolve("copy-1.db");
		Path second = dir.resolve("copy-2.db");
		try (Connection live = new SQLiteConfig().createConnection("jdbc:sqlite:" + db)) {
			SqliteFiles.backupTo(live, first);
			SqliteFiles.backupTo(live, second);
		}
		assertThat(SqliteFiles.sha256(first)).isEqualTo(SqliteFiles.sha256(second));
		assertThat(SqliteFiles.rows(first, ROWS)).isEqualTo(SqliteFiles.rows(db, ROWS));
	}

	private static List<String> fileNames(Path dir) throws IOException {
		try (Stream<Path> entries = Files.list(dir)) {
			return entries.map((entry) -> entry.getFileName().toString()).sorted().toList();
		}
	}

}
