package io.github.litestream.sample;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.BootAppInstance;
import io.github.litestream.testsupport.ContinuousWriters;
import io.github.litestream.testsupport.OfficialLitestream;
import io.github.litestream.testsupport.S3ProxyServer;
import org.assertj.core.api.SoftAssertions;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling deploy of the sample application as Kubernetes (maxUnavailable 0), Kamal or
 * Fly run it: two real JVMs overlap on one replica. Instance A serves writes; instance B
 * starts on its own empty disk against A's replica and takes the lease over (issue 11
 * item 5); once B is ready, A is stopped with SIGTERM and B serves alone. Clients write
 * the whole time, round robin over the instances that listen (A, then A and B). Every
 * note a client saw acknowledged (2xx) must be in the replica afterwards, restored by us
 * and by the official {@code litestream restore}, on a file replica and on S3Proxy. By
 * the time B is ready, A's readiness must be 503 (REFUSING_TRAFFIC), its liveness still
 * UP and its {@code litestream} health OUT_OF_SERVICE (HANDED_OVER); both must stop
 * cleanly on SIGTERM.
 * <p>
 * Both instances run the sample application from this module's test classpath in child
 * JVMs ({@link BootAppInstance}, writes by {@link ContinuousWriters}), with a short lease
 * (TTL 6 s, renewed every second) so that a run takes well under a minute per replica.
 */
class SampleRollingDeployTests {

	/** How long the clients may take to get a number of notes acknowledged. */
	private static final Duration WRITE_TIMEOUT = Duration.ofMinutes(2);

	/** Notes acknowledged by A before B starts, and by B after A stopped. */
	private static final int NOTES_PER_PHASE = 40;

	private static final int CLIENTS = 2;

	private static @Nullable S3ProxyServer s3;

	@TempDir
	Path dir;

	@AfterAll
	static void stopS3() {
		S3ProxyServer server = s3;
		if (server != null) {
			server.close();
		}
	}

	/**
	 * The replica both instances write to.
	 */
	enum Backend {

		FILE, S3PROXY

	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(Backend.class)
	void rollingDeployLosesNoAcknowledgedNote(Backend backend) throws Exception {
		Replica replica = (backend == Backend.FILE) ? new FileReplica(this.dir.resolve("replica")) : s3Replica();
		ContinuousWriters clients = new ContinuousWriters(CLIENTS, SampleRollingDeployTests::postNote);
		int aReadinessWhenBWasReady;
		int aLivenessWhenBWasReady;
		HttpResponse<String> aLitestreamHealth;
		int aExit;
		int bExit;
		try (BootAppInstance a = start(this.dir, "a", replica); BootAppInstance b = new BootAppInstance("b")) {
			a.awaitReady();
			clients.add(a);
			clients.start();
			clients.awaitAcknowledged(a, NOTES_PER_PHASE, WRITE_TIMEOUT);

			start(b, this.dir, replica);
			clients.add(b);
			b.awaitReady();
			aReadinessWhenBWasReady = a.readiness();
			aLivenessWhenBWasReady = a.managementGet("/actuator/health/liveness").statusCode();
			aLitestreamHealth = a.managementGet("/actuator/health/litestream");

			aExit = a.stop();
			int acknowledgedByB = clients.acknowledged(b);
			clients.awaitAcknowledged(b, acknowledgedByB + NOTES_PER_PHASE, WRITE_TIMEOUT);
			clients.stop();
			bExit = b.stop();
		}
		finally {
			clients.stop();
		}

		Map<String, String> acknowledged = clients.acknowledgedWrites();
		Path ours = this.dir.resolve("restored-ours.db");
		assertThat(new Restorer().restore(replica.client(), ours, RestoreOptions.defaults())).isPresent();
		Path official = this.dir.resolve("restored-official.db");
		replica.restoreWithOfficialLitestream(official, this.dir);
		String summary = clients.summary();
		Set<String> missingFromOurs = missing(acknowledged, ours);
		Set<String> missingFromOfficial = missing(acknowledged, official);
		String oursIntegrity = integrityCheck(ours);
		String officialIntegrity = integrityCheck(official);
		SoftAssertions.assertSoftly((softly) -> {
			softly.assertThat(missingFromOurs)
				.as("%d of %d acknowledged notes missing from our restore (%s)", missingFromOurs.size(),
						acknowledged.size(), summary)
				.isEmpty();
			softly.assertThat(missingFromOfficial)
				.as("%d of %d acknowledged notes missing from the official Litestream's restore (%s)",
						missingFromOfficial.size(), acknowledged.size(), summary)
				.isEmpty();
			softly.assertThat(oursIntegrity).as("integrity_check of our restore").isEqualTo("ok");
			softly.assertThat(officialIntegrity)
				.as("integrity_check of the official Litestream's restore")
				.isEqualTo("ok");
			softly.assertThat(aReadinessWhenBWasReady)
				.as("A's /actuator/health/readiness once B was ready (REFUSING_TRAFFIC after the handover)")
				.isEqualTo(503);
			// Live: a restart would only ask for the lease back.
			softly.assertThat(aLivenessWhenBWasReady)
				.as("A's /actuator/health/liveness once B was ready")
				.isEqualTo(200);
			softly.assertThat(aLitestreamHealth.body())
				.as("A's /actuator/health/litestream once B was ready")
				.contains("OUT_OF_SERVICE", "HANDED_OVER");
			// 143: the JVM exited on SIGTERM after its shutdown hooks; 137 would be the
			// SIGKILL that ChildJvm sends after its grace period.
			softly.assertThat(aExit).as("A's exit code after SIGTERM").isEqualTo(143);
			softly.assertThat(bExit).as("B's exit code after SIGTERM").isEqualTo(143);
		});
	}

	private static Set<String> missing(Map<String, String> acknowledged, Path restored) throws Exception {
		Set<String> texts = new HashSet<>();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + restored);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT text FROM note")) {
			while (rs.next()) {
				texts.add(rs.getString(1));
			}
		}
		Set<String> missing = new TreeSet<>(acknowledged.keySet());
		missing.removeAll(texts);
		return missing;
	}

	private static String integrityCheck(Path db) throws Exception {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA integrity_check")) {
			return rs.next() ? rs.getString(1) : "<no result>";
		}
	}

	private static synchronized S3Replica s3Replica() {
		S3ProxyServer server = s3;
		if (server == null) {
			server = S3ProxyServer.start();
			s3 = server;
		}
		return new S3Replica(server, server.createBucket("rolling-deploy"));
	}

	/**
	 * The replica of a run: how the application is told about it, how we read it, and how
	 * the official Litestream restores it.
	 */
	interface Replica {

		List<String> applicationArguments();

		ReplicaClient client();

		void restoreWithOfficialLitestream(Path output, Path workDir) throws Exception;

	}

	record FileReplica(Path root) implements Replica {

		@Override
		public List<String> applicationArguments() {
			return List.of("--litestream.replicas[0].name=local", "--litestream.replicas[0].url=" + this.root);
		}

		@Override
		public ReplicaClient client() {
			return new FileReplicaClient(this.root);
		}

		@Override
		public void restoreWithOfficialLitestream(Path output, Path workDir) {
			OfficialLitestream.restore(OfficialLitestream.latest(), this.root, output, null, null);
		}

	}

	record S3Replica(S3ProxyServer server, String bucket) implements Replica {

		private static final String PREFIX = "notes";

		@Override
		public List<String> applicationArguments() {
			return List.of("--litestream.replicas[0].name=s3",
					"--litestream.replicas[0].url=s3://" + this.bucket + "/" + PREFIX,
					"--litestream.replicas[0].endpoint=" + this.server.endpoint(),
					"--litestream.replicas[0].region=" + this.server.region(),
					"--litestream.replicas[0].force-path-style=true",
					"--litestream.replicas[0].access-key-id=" + this.server.accessKey(),
					"--litestream.replicas[0].secret-access-key=" + this.server.secretKey());
		}

		@Override
		public ReplicaClient client() {
			return S3ReplicaClient.builder(this.server.client(), this.bucket).prefix(PREFIX).build();
		}

		/**
		 * Restores with a configuration file: the {@code s3://...?endpoint=} URL form is
		 * unreliable.
		 */
		@Override
		public void restoreWithOfficialLitestream(Path output, Path workDir) throws Exception {
			Path db = workDir.resolve("official-s3.db");
			Path config = workDir.resolve("litestream-s3.yml");
			Files.writeString(config,
					String.join("\n", "dbs:", "  - path: \"" + db.toAbsolutePath() + "\"", "    replica:",
							"      type: s3", "      bucket: " + this.bucket, "      path: " + PREFIX,
							"      endpoint: " + this.server.endpoint(), "      region: " + this.server.region(),
							"      force-path-style: true", "      access-key-id: " + this.server.accessKey(),
							"      secret-access-key: " + this.server.secretKey(), ""));
			Path log = workDir.resolve("litestream-restore-s3.log");
			ProcessBuilder builder = new ProcessBuilder(OfficialLitestream.latest().toString(), "restore", "-config",
					config.toString(), "-o", output.toString(), db.toString())
				.redirectErrorStream(true)
				.redirectOutput(log.toFile());
			// AWS_CA_BUNDLE (set on our machines) breaks the Go SDK's client, and any
			// AWS_*
			// variable could change what the configuration file says.
			builder.environment().keySet().removeIf((variable) -> variable.startsWith("AWS_"));
			Process process = builder.start();
			boolean exited = process.waitFor(OfficialLitestream.RESTORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			if (!exited) {
				process.destroyForcibly();
			}
			assertThat(exited && process.exitValue() == 0).as("litestream restore: %s", Files.readString(log)).isTrue();
		}

	}

	private static BootAppInstance start(Path dir, String name, Replica replica) {
		BootAppInstance instance = new BootAppInstance(name);
		start(instance, dir, replica);
		return instance;
	}

	/**
	 * Starts the sample application from this module's test classpath in a child JVM on
	 * its own data directory, with a short lease, and waits until it listens.
	 */
	private static void start(BootAppInstance instance, Path dir, Replica replica) {
		List<String> args = new ArrayList<>(
				List.of("--spring.datasource.url=jdbc:sqlite:" + dir.resolve(instance.name()).resolve("notes.db"),
						"--litestream.replicas[0].sync-interval=100ms", "--litestream.monitor-interval=100ms",
						"--litestream.lease.ttl=6s", "--litestream.lease.renew-interval=1s"));
		args.addAll(replica.applicationArguments());
		instance.start(dir, SampleApplication.class, args);
		instance.awaitListening();
	}

	/**
	 * Posts a note whose text is the client's key.
	 * @return the HTTP status
	 */
	private static int postNote(BootAppInstance target, String key) throws IOException, InterruptedException {
		return target.post("/api/notes", "{\"text\":\"" + key + "\"}").statusCode();
	}

}
