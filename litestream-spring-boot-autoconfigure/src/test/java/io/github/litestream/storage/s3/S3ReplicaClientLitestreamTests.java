package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.LitestreamReplicate;
import io.github.litestream.testsupport.OfficialLitestream;
import io.github.litestream.testsupport.S3Server;
import io.github.litestream.testsupport.S3ServerExtension;
import io.github.litestream.testsupport.SqliteCommandMain;
import io.github.litestream.testsupport.SqliteFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Interoperability with the official Litestream on S3: files that this client uploads are
 * listed by {@code litestream ltx} and restored by {@code litestream restore}, including
 * a point-in-time restore, which works only if Litestream reads our
 * {@code litestream-timestamp} metadata (the objects' {@code LastModified} is the upload
 * time, later than every header timestamp).
 * <p>
 * The LTX files come from the official tool itself (a file replica), so this checks the
 * S3 layer alone; end-to-end replication by our engine is tested elsewhere.
 */
class S3ReplicaClientLitestreamTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static final Map<String, Object> FAST = Map.of("monitor-interval", Duration.ofMillis(100), "sync-interval",
			Duration.ofMillis(100));

	private static final String ROWS = "SELECT id, note FROM t ORDER BY id";

	private static final Pattern LISTED = Pattern.compile(
			"\"level\":\\s*(\\d+),\\s*\"min_txid\":\\s*\"([0-9a-f]{16})\",\\s*\"max_txid\":\\s*\"([0-9a-f]{16})\"");

	@Test
	void officialLitestreamListsAndRestoresWhatThisClientUploaded(@TempDir Path dir) throws Exception {
		Path binary = OfficialLitestream.latest();
		Path db = dir.resolve("app.db");
		Path fileReplica = dir.resolve("file-replica");
		SqliteCommandMain.run(db,
				List.of("PRAGMA journal_mode=WAL", "CREATE TABLE t(id INTEGER PRIMARY KEY, note TEXT)",
						"INSERT INTO t(note) VALUES ('first'), ('second')"),
				TIMEOUT);
		List<List<Object>> firstRows;
		try (LitestreamReplicate litestream = OfficialLitestream.start(binary, db, fileReplica, FAST)) {
			litestream.awaitCaughtUp(TIMEOUT);
			firstRows = SqliteFiles.rows(db, ROWS);
			// Later commits must carry a later header timestamp than everything so far
			Instant lastTimestamp = newestTimestamp(fileReplica);
			await().atMost(TIMEOUT).until(() -> Instant.now().isAfter(lastTimestamp.plusMillis(5)));
			SqliteCommandMain.run(db, List.of("INSERT INTO t(note) VALUES ('third')"), TIMEOUT);
			litestream.awaitCaughtUp(TIMEOUT);
			assertThat(litestream.stop()).as(litestream.logTail()).isZero();
		}
		List<List<Object>> allRows = SqliteFiles.rows(db, ROWS);
		assertThat(allRows).hasSize(3);

		String bucket = s3.server().createBucket("litestream-interop");
		List<LtxFileInfo> uploaded = new ArrayList<>();
		try (FileReplicaClient source = new FileReplicaClient(fileReplica);
				S3ReplicaClient target = S3ReplicaClient.builder(s3.server().client(), bucket)
					.prefix("backups/app-db")
					.build()) {
			for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
				for (LtxFileInfo file : source.listFiles(level)) {
					try (InputStream in = source.openFile(level, file.minTxid(), file.maxTxid())) {
						uploaded.add(target.writeFile(level, file.minTxid(), file.maxTxid(), file.createdAt(), in));
					}
				}
			}
		}
		assertThat(uploaded).isNotEmpty();
		Path config = writeConfig(dir, db, bucket, "backups/app-db");

		assertThat(listedByLitestream(binary, config, db, dir)).containsExactlyInAnyOrderElementsOf(
				uploaded.stream().map((file) -> file.level() + "/" + file.fileName()).toList());

		Path latest = dir.resolve("restored-latest.db");
		run(binary, dir, "restore-latest", "restore", "-config", config.toString(), "-o", latest.toString(),
				db.toString());
		SqliteFiles.integrityCheck(latest);
		assertThat(SqliteFiles.rows(latest, ROWS)).isEqualTo(allRows);

		// Just after the first L0 file (the initial snapshot, TXID 1): Litestream uses
		// files whose timestamp is strictly before the target
		LtxFileInfo first = uploaded.stream()
			.filter((file) -> file.level() == 0)
			.min(Comparator.comparing(LtxFileInfo::minTxid))
			.orElseThrow();
		assertThat(first.minTxid()).isOne();
		Path pointInTime = dir.resolve("restored-point-in-time.db");
		run(binary, dir, "restore-timestamp", "restore", "-config", config.toString(), "-o", pointInTime.toString(),
				"-timestamp", DateTimeFormatter.ISO_INSTANT.format(first.createdAt().plusMillis(1)), db.toString());
		SqliteFiles.integrityCheck(pointInTime);
		assertThat(SqliteFiles.rows(pointInTime, ROWS)).isEqualTo(firstRows);
	}

	private static Instant newestTimestamp(Path fileReplica) throws IOException {
		Instant newest = Instant.EPOCH;
		try (FileReplicaClient replica = new FileReplicaClient(fileReplica)) {
			for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
				for (LtxFileInfo file : replica.listFiles(level)) {
					newest = file.createdAt().isAfter(newest) ? file.createdAt() : newest;
				}
			}
		}
		return newest.truncatedTo(ChronoUnit.MILLIS);
	}

	/**
	 * Writes a Litestream configuration for the S3 replica: a config file rather than the
	 * {@code s3://...?endpoint=} URL form, which is unreliable.
	 */
	private static Path writeConfig(Path dir, Path db, String bucket, String path) throws IOException {
		S3Server server = s3.server();
		String yaml = String.join("\n", "dbs:", "  - path: " + db.toAbsolutePath(), "    replicas:", "      - type: s3",
				"        bucket: " + bucket, "        path: " + path, "        endpoint: " + server.endpoint(),
				"        region: " + server.region(), "        force-path-style: true",
				"        access-key-id: " + server.accessKey(), "        secret-access-key: " + server.secretKey(), "");
		return Files.writeString(dir.resolve("litestream-s3.yml"), yaml);
	}

	private static List<String> listedByLitestream(Path binary, Path config, Path db, Path dir)
			throws IOException, InterruptedException {
		String json = run(binary, dir, "ltx", "ltx", "-config", config.toString(), "-level", "all", "-json",
				db.toString());
		List<String> listed = new ArrayList<>();
		Matcher matcher = LISTED.matcher(json);
		while (matcher.find()) {
			listed.add(matcher.group(1) + "/" + LtxFileName.format(Long.parseUnsignedLong(matcher.group(2), 16),
					Long.parseUnsignedLong(matcher.group(3), 16)));
		}
		return listed;
	}

	/**
	 * Runs the official binary and returns its standard output, failing with its output
	 * when it exits non-zero.
	 */
	private static String run(Path binary, Path dir, String name, String... args)
			throws IOException, InterruptedException {
		List<String> command = new ArrayList<>();
		command.add(binary.toString());
		command.addAll(List.of(args));
		Path stdout = dir.resolve(name + ".out");
		Path stderr = dir.resolve(name + ".err");
		ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile())
			.redirectError(stderr.toFile());
		// The AWS SDK for Go reads AWS_* variables (a CA bundle it cannot use with its
		// HTTP client makes it fail, a profile would change credentials): the config file
		// alone must decide
		builder.environment().keySet().removeIf((variable) -> variable.startsWith("AWS_"));
		Process process = builder.start();
		boolean exited = process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		if (!exited) {
			process.destroyForcibly().waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		}
		String output = Files.readString(stdout);
		assertThat(exited && process.exitValue() == 0)
			.as("'%s' exited with %s; stdout:%n%s%nstderr:%n%s", String.join(" ", command),
					exited ? process.exitValue() : "a timeout", output, Files.readString(stderr))
			.isTrue();
		return output;
	}

}
