package io.github.litestream.core;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.regex.Pattern;

import io.github.litestream.storage.file.FileReplicaClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long restore tells the operator what it does: one start line (replica, target, files,
 * bytes), progress lines while it runs, one summary line, and nothing else about the same
 * restore. The database is {@code litestream.test.restoreMegabytes} MB (100 by default,
 * made of 1 MB blobs so it is generated in seconds); raise it to watch a longer restore.
 */
@ExtendWith(OutputCaptureExtension.class)
class RestoreProgressTests {

	private static final int MEGABYTES = Integer.getInteger("litestream.test.restoreMegabytes", 100);

	@TempDir
	Path dir;

	@Test
	void largeRestoreLogsAStartLineProgressAndOneSummary(CapturedOutput output) throws Exception {
		Path db = this.dir.resolve("big.db");
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db)) {
			TestDatabases.execute(connection, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)",
					"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + MEGABYTES + ") "
							+ "INSERT INTO blobs (data) SELECT randomblob(1048576) FROM n",
					"PRAGMA journal_mode = WAL");
		}
		assertThat(Files.size(db)).isGreaterThanOrEqualTo(MEGABYTES * 1024L * 1024);
		FileReplicaClient client = new FileReplicaClient(this.dir.resolve("replica"));
		try (Connection open = TestDatabases.open(db);
				Replicator replicator = new Replicator(ReplicatorConfig.builder("big", db)
					.replica(new ReplicaConfig("file", client, Duration.ZERO))
					.monitorInterval(Duration.ofMillis(50))
					.build())) {
			replicator.start();
			long txid = replicator.sync();
			assertThat(replicator.awaitReplicated(txid, Duration.ofMinutes(5))).isTrue();
			replicator.stop();
		}
		int before = output.getAll().length();

		Path restored = this.dir.resolve("restored.db");
		RestoreResult result = new Restorer().restore(client, restored, RestoreOptions.defaults()).orElseThrow();

		String log = output.getAll().substring(before);
		String subject = Pattern.quote(restored.toString());
		assertThat(log).containsPattern("Restoring " + subject + " from " + Pattern.quote(client.location())
				+ " to latest \\(TXID [0-9a-f]{16}\\): \\d+ files, \\d+\\.\\d MB");
		assertThat(log).containsPattern("Restoring " + subject + ": \\d+% \\(\\d+ of \\d+ pages\\) in");
		assertThat(log.lines().filter((line) -> line.contains("Restoring " + restored + ": ")).count()).isBetween(1L,
				9L + 2 * (MEGABYTES / 10L));
		assertThat(log.lines().filter((line) -> line.contains("Restored ")).toList()).singleElement()
			.asString()
			.contains("Restored " + restored + " from " + client.location() + " to TXID")
			.contains(result.pageCount() + " pages");
	}

}
