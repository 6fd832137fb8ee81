package io.github.litestream.s3e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.replication.Replicator;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.OfficialLitestream;
import io.github.litestream.testsupport.S3Server;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Interoperability through S3: the official Litestream (newest v0.5 and v0.5.15) restores
 * what we replicate to S3, and we restore what {@code litestream replicate} writes there;
 * on S3Proxy and on moto.
 */
@ParameterizedClass(name = "[{0}]")
@EnumSource(S3ServerExtension.Implementation.class)
class S3OfficialLitestreamTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	@Parameter
	S3ServerExtension.Implementation implementation;

	@BeforeParameterizedClassInvocation
	static void selectServer(S3ServerExtension.Implementation implementation) {
		s3.use(implementation);
	}

	private static final Duration TIMEOUT = Duration.ofSeconds(90);

	@TempDir
	Path dir;

	@ParameterizedTest(name = "litestream {0}")
	@ValueSource(strings = { "latest", "legacy" })
	void officialLitestreamRestoresOurS3Replica(String which) throws Exception {
		Path binary = which.equals("latest") ? OfficialLitestream.latest() : OfficialLitestream.legacy();
		String bucket = s3.server().createBucket("official-restore-" + which);
		S3ReplicaClient client = S3ReplicaClient.builder(s3.server().client(), bucket).prefix("app/db").build();
		Path db = this.dir.resolve("app.db");
		String expected;
		try (Connection connection = Databases.open(db);
				Replicator replicator = new Replicator(ReplicatorConfig.builder("interop", db)
					.monitorInterval(Duration.ofMillis(50))
					.replica(new ReplicaConfig("s3", client, Duration.ofMillis(50)))
					.build())) {
			Databases.insert(connection, 1, 300);
			replicator.start();
			Databases.insert(connection, 301, 900);
			Databases.execute(connection, "DELETE FROM t WHERE id % 5 = 0");
			replicator.notifyCommit();
			long txid = replicator.sync();
			assertThat(replicator.awaitReplicated(txid, TIMEOUT)).isTrue();
			expected = Databases.digest(connection);
			replicator.stop();
		}
		Path config = writeConfig(db, bucket, "app/db");
		Path restored = this.dir.resolve("restored.db");
		run(binary, "restore", "restore", "-config", config.toString(), "-o", restored.toString(), db.toString());
		assertThat(Databases.digest(restored)).isEqualTo(expected);
		assertThat(Databases.integrityCheck(restored)).isEqualTo("ok");
	}

	@Test
	void weRestoreWhatOfficialLitestreamReplicatesToS3() throws Exception {
		Path binary = OfficialLitestream.latest();
		String bucket = s3.server().createBucket("official-replicate");
		Path db = this.dir.resolve("source.db");
		Path config = writeConfig(db, bucket, "source");
		S3ReplicaClient client = S3ReplicaClient.builder(s3.server().client(), bucket).prefix("source").build();
		try (Connection connection = Databases.open(db)) {
			Databases.insert(connection, 1, 400);
			Process litestream = start(binary, "replicate", "replicate", "-no-expand-env", "-config",
					config.toString());
			try {
				Databases.insert(connection, 401, 1200);
				Databases.execute(connection, "UPDATE t SET v = 'changed' WHERE id % 3 = 0");
				String expected = Databases.digest(connection);
				Path restored = this.dir.resolve("restored.db");
				// Litestream uploads on its own schedule: restore until it has caught up.
				// Until its first upload the replica is empty: that restores nothing (an
				// exception would end the wait at once, however soon the upload came).
				await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
					Files.deleteIfExists(restored);
					return new Restorer()
						.restore(client, restored,
								RestoreOptions.defaults()
									.withIntegrityCheck(IntegrityCheck.QUICK)
									.withConditions(false, true))
						.isPresent() && Databases.digest(restored).equals(expected);
				});
			}
			finally {
				litestream.destroy();
				if (!litestream.waitFor(60, TimeUnit.SECONDS)) {
					litestream.destroyForcibly();
				}
			}
		}
	}

	/**
	 * A config file rather than the {@code s3://...?endpoint=} URL form, which is
	 * unreliable.
	 */
	private Path writeConfig(Path db, String bucket, String path) throws IOException {
		S3Server server = s3.server();
		String yaml = String.join("\n", "dbs:", "  - path: \"" + db.toAbsolutePath() + "\"",
				"    monitor-interval: 100ms", "    replica:", "      type: s3", "      bucket: " + bucket,
				"      path: " + path, "      endpoint: " + server.endpoint(), "      region: " + server.region(),
				"      force-path-style: true", "      access-key-id: " + server.accessKey(),
				"      secret-access-key: " + server.secretKey(), "      sync-interval: 100ms", "");
		return Files.writeString(this.dir.resolve("litestream-" + bucket + ".yml"), yaml);
	}

	private Process start(Path binary, String name, String... args) throws IOException {
		List<String> command = new ArrayList<>();
		command.add(binary.toString());
		command.addAll(List.of(args));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(this.dir.resolve(name + ".log").toFile());
		// AWS_CA_BUNDLE (set on our machines) breaks the Go SDK's client, and any AWS_*
		// variable could change what the config file says: the file alone decides
		builder.environment().keySet().removeIf((variable) -> variable.startsWith("AWS_"));
		return builder.start();
	}

	private void run(Path binary, String name, String... args) throws Exception {
		Process process = start(binary, name, args);
		boolean exited = process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		if (!exited) {
			process.destroyForcibly();
		}
		assertThat(exited && process.exitValue() == 0)
			.as("litestream %s: %s", String.join(" ", args), Files.readString(this.dir.resolve(name + ".log")))
			.isTrue();
	}

}
