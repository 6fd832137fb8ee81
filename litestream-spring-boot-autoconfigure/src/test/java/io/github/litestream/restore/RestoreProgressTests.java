package io.github.litestream.restore;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.replication.Replicator;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ForwardingReplicaClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

	@Test
	void restoreWaitingForADownloadSaysSoAtASteadyPace(CapturedOutput output) throws Exception {
		Path db = this.dir.resolve("small.db");
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		try (Connection connection = TestDatabases.open(db);
				Replicator replicator = new Replicator(ReplicatorConfig.builder("small", db)
					.replica(new ReplicaConfig("file", files, Duration.ZERO))
					.monitorInterval(Duration.ofMillis(50))
					.build())) {
			replicator.start();
			TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
			replicator.sync();
			TestDatabases.execute(connection, "INSERT INTO t DEFAULT VALUES");
			long txid = replicator.sync();
			assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(30))).isTrue();
			replicator.stop();
		}
		CountDownLatch release = new CountDownLatch(1);
		ReplicaClient slow = new HeldReplicaClient(files, release);
		Path restored = this.dir.resolve("restored.db");
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Future<RestoreResult> restore = executor
				.submit(() -> new Restorer(Clock.systemUTC(), 4).restore(slow, restored, RestoreOptions.defaults())
					.orElseThrow());
			await().atMost(Duration.ofSeconds(60))
				.until(() -> output.getAll().contains("Restoring " + restored + ": downloading level"));
			release.countDown();
			assertThat(restore.get(60, TimeUnit.SECONDS).txid()).isPositive();
		}
		finally {
			release.countDown();
			executor.shutdownNow();
		}
	}

	/**
	 * A real file replica whose files cannot be read until the test releases them, as a
	 * slow download would.
	 */
	private static final class HeldReplicaClient extends ForwardingReplicaClient {

		private final CountDownLatch release;

		HeldReplicaClient(ReplicaClient delegate, CountDownLatch release) {
			super(delegate);
			this.release = release;
		}

		private void awaitRelease() throws IOException {
			try {
				if (!this.release.await(60, TimeUnit.SECONDS)) {
					throw new IOException("not released");
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new InterruptedIOException();
			}
		}

		@Override
		public boolean isLocal() {
			// Downloaded as a remote replica's files are, so the restore reports waiting
			return false;
		}

		@Override
		public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
			awaitRelease();
			return super.openFile(level, minTxid, maxTxid);
		}

		@Override
		public void download(int level, long minTxid, long maxTxid, Path target) throws IOException {
			awaitRelease();
			super.download(level, minTxid, maxTxid, target);
		}

	}

}
