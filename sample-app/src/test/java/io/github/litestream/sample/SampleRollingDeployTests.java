package io.github.litestream.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.OfficialLitestream;
import io.github.litestream.testsupport.S3ProxyServer;
import org.assertj.core.api.SoftAssertions;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * JVMs ({@link ChildJvm}), with a short lease (TTL 6 s, renewed every second) so that a
 * run takes well under a minute per replica.
 */
class SampleRollingDeployTests {

	/** How long a child JVM may take to start (B includes the handover). */
	private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

	/** How long the clients may take to get a number of notes acknowledged. */
	private static final Duration WRITE_TIMEOUT = Duration.ofMinutes(2);

	/** Notes acknowledged by A before B starts, and by B after A stopped. */
	private static final int NOTES_PER_PHASE = 40;

	private static final int CLIENTS = 2;

	private static final Pattern PORT = Pattern.compile(".*Tomcat started on port (\\d+).*");

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
		Clients clients = new Clients();
		int aReadinessWhenBWasReady;
		int aLivenessWhenBWasReady;
		HttpResponse<String> aLitestreamHealth;
		int aExit;
		int bExit;
		try (Instance a = Instance.start(this.dir, "a", replica); Instance b = new Instance("b")) {
			a.awaitListening();
			a.awaitReady();
			clients.add(a);
			clients.start();
			clients.awaitAcknowledged(a, NOTES_PER_PHASE);

			b.start(this.dir, replica);
			b.awaitListening();
			clients.add(b);
			b.awaitReady();
			aReadinessWhenBWasReady = a.readiness();
			aLivenessWhenBWasReady = a.get("/actuator/health/liveness").statusCode();
			aLitestreamHealth = a.get("/actuator/health/litestream");

			aExit = a.stop();
			int acknowledgedByB = clients.acknowledged(b);
			clients.awaitAcknowledged(b, acknowledgedByB + NOTES_PER_PHASE);
			clients.stop();
			bExit = b.stop();
		}
		finally {
			clients.stop();
		}

		Map<String, String> acknowledged = clients.acknowledgedNotes();
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

	/**
	 * One instance of the sample application in a child JVM, on its own data directory.
	 */
	static final class Instance implements AutoCloseable {

		private static final HttpClient http = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(Duration.ofSeconds(5))
			.build();

		private final String name;

		private volatile @Nullable ChildJvm jvm;

		private volatile @Nullable URI base;

		private volatile @Nullable URI management;

		Instance(String name) {
			this.name = name;
		}

		static Instance start(Path dir, String name, Replica replica) {
			Instance instance = new Instance(name);
			instance.start(dir, replica);
			return instance;
		}

		void start(Path dir, Replica replica) {
			List<String> args = new ArrayList<>(List.of("--server.port=0", "--management.server.port=0",
					"--spring.datasource.url=jdbc:sqlite:" + dir.resolve(this.name).resolve("notes.db"),
					"--litestream.replicas[0].sync-interval=100ms", "--litestream.monitor-interval=100ms",
					"--litestream.lease.ttl=6s", "--litestream.lease.renew-interval=1s",
					"--spring.main.banner-mode=off",
					// The port comes from the "Tomcat started on port" line,
					// also under a logback-test.xml that raises the root level.
					"--logging.level.org.springframework.boot=INFO"));
			args.addAll(replica.applicationArguments());
			this.jvm = ChildJvm.start(dir, this.name, SampleApplication.class,
					List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), args);
		}

		String name() {
			return this.name;
		}

		@Nullable URI base() {
			return this.base;
		}

		private ChildJvm jvm() {
			ChildJvm jvm = this.jvm;
			if (jvm == null) {
				throw new IllegalStateException("Instance " + this.name + " was not started");
			}
			return jvm;
		}

		void awaitListening() {
			Matcher matcher = PORT.matcher(jvm().awaitLine(PORT.pattern(), START_TIMEOUT));
			assertThat(matcher.matches()).isTrue();
			this.base = URI.create("http://127.0.0.1:" + matcher.group(1));
			// Actuator's own server (management.server.port, on 127.0.0.1) logs the same
			// line right after: Boot starts the management context in a later lifecycle
			// phase than the application's web server.
			await("instance " + this.name + "'s management port").atMost(START_TIMEOUT)
				.until(() -> ports().size() >= 2);
			this.management = URI.create("http://127.0.0.1:" + ports().get(1));
		}

		private List<String> ports() {
			return jvm().lines().stream().map(PORT::matcher).filter(Matcher::matches).map((m) -> m.group(1)).toList();
		}

		void awaitReady() {
			await("instance " + this.name + " ready").atMost(START_TIMEOUT)
				.pollInterval(Duration.ofMillis(100))
				.ignoreExceptions()
				.until(() -> readiness() == 200);
		}

		/**
		 * The status of {@code GET /actuator/health/readiness}.
		 */
		int readiness() throws IOException, InterruptedException {
			return get("/actuator/health/readiness").statusCode();
		}

		/**
		 * Sends a GET to Actuator, on the management port.
		 */
		HttpResponse<String> get(String path) throws IOException, InterruptedException {
			HttpRequest request = HttpRequest.newBuilder(URI.create(this.management + path))
				.timeout(Duration.ofSeconds(10))
				.GET()
				.build();
			return http.send(request, HttpResponse.BodyHandlers.ofString());
		}

		/**
		 * Posts a note.
		 * @return the HTTP status
		 */
		int post(String text) throws IOException, InterruptedException {
			HttpRequest request = HttpRequest.newBuilder(URI.create(this.base + "/api/notes"))
				.timeout(Duration.ofSeconds(30))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}"))
				.build();
			return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
		}

		/**
		 * Stops the instance with SIGTERM (SIGKILL after {@link ChildJvm#STOP_GRACE}).
		 * @return its exit code
		 */
		int stop() {
			return jvm().stop();
		}

		@Override
		public void close() {
			ChildJvm jvm = this.jvm;
			if (jvm != null) {
				jvm.close();
			}
		}

		@Override
		public String toString() {
			ChildJvm jvm = this.jvm;
			return (jvm != null) ? jvm.toString() : "instance " + this.name + " (not started)";
		}

	}

	/**
	 * Clients that post notes continuously, round robin over the instances that listen,
	 * and remember every note acknowledged with a 2xx status, and by whom.
	 */
	static final class Clients {

		private final List<Instance> instances = new CopyOnWriteArrayList<>();

		private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(CLIENTS);

		private final Map<String, String> acknowledged = new ConcurrentHashMap<>();

		private final Map<String, AtomicInteger> acknowledgedBy = new ConcurrentHashMap<>();

		private final Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();

		private final AtomicLong attempts = new AtomicLong();

		void add(Instance instance) {
			this.instances.add(instance);
		}

		void start() {
			for (int client = 0; client < CLIENTS; client++) {
				int id = client;
				AtomicInteger sequence = new AtomicInteger();
				// Paced, so that the two JVMs starting meanwhile get CPU time.
				this.executor.scheduleWithFixedDelay(() -> postOne(id, sequence.incrementAndGet()), 0, 5,
						TimeUnit.MILLISECONDS);
			}
		}

		private void postOne(int client, int sequence) {
			List<Instance> targets = this.instances;
			Instance target = targets.get(sequence % targets.size());
			String text = "c" + client + "-" + sequence;
			this.attempts.incrementAndGet();
			try {
				int status = target.post(text);
				if (status >= 200 && status < 300) {
					this.acknowledged.put(text, target.name());
					this.acknowledgedBy.computeIfAbsent(target.name(), (name) -> new AtomicInteger()).incrementAndGet();
				}
				else {
					this.refused.computeIfAbsent(target.name() + " " + status, (key) -> new AtomicInteger())
						.incrementAndGet();
				}
			}
			catch (IOException | RuntimeException ex) {
				this.refused
					.computeIfAbsent(target.name() + " " + ex.getClass().getSimpleName(), (key) -> new AtomicInteger())
					.incrementAndGet();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		int acknowledged(Instance instance) {
			AtomicInteger count = this.acknowledgedBy.get(instance.name());
			return (count != null) ? count.get() : 0;
		}

		void awaitAcknowledged(Instance instance, int count) {
			await(count + " notes acknowledged by " + instance).atMost(WRITE_TIMEOUT)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> acknowledged(instance) >= count);
		}

		void stop() throws InterruptedException {
			this.executor.shutdownNow();
			assertThat(this.executor.awaitTermination(1, TimeUnit.MINUTES)).as("clients stopped").isTrue();
		}

		Map<String, String> acknowledgedNotes() {
			return Map.copyOf(this.acknowledged);
		}

		String summary() {
			return this.attempts.get() + " attempts, acknowledged " + this.acknowledgedBy + ", refused " + this.refused;
		}

	}

}
