package io.github.litestream.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;

/**
 * Scenario 9, a rolling deploy: an application (its packaged jar: the sample application,
 * or the JPA clinic with a start made ~10 s longer after its DataSource) runs as instance
 * A on its own directory; clients write to it continuously and readers read it; instance
 * B starts on an empty directory against the same replica and takes the lease over;
 * clients write to both, round robin, once B listens, and readers read both; when B's
 * readiness is UP, A gets SIGTERM; the clients go on writing to B, then B stops. A deploy
 * may also add a Flyway migration that only B has. Measured: the time from B's process
 * start to its first acknowledged write, the longest gap between two consecutive
 * acknowledged writes, the longest time in which no instance answered a read, the
 * acknowledged records missing from the replica afterwards (restored by ours and by
 * {@code litestream restore}) and from B's own listing, and where the time went
 * ({@link HandoverPhases}). Lease settings are the defaults.
 */
final class Handover {

	/** Pause between two posts of one client. */
	static final Duration CLIENT_PERIOD = Duration.ofMillis(10);

	static final int CLIENTS = 2;

	private static final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private Handover() {
	}

	/**
	 * What one deploy measured; times in ms after B's process start unless named
	 * otherwise.
	 *
	 * @param app the application deployed
	 * @param kind the replica
	 * @param migration whether B added a migration
	 * @param migrated whether the replica's database has B's migration afterwards
	 * @param firstWriteMs B's first acknowledged write
	 * @param firstReadMs B's first answered read
	 * @param listeningMs B's first HTTP answer (any status)
	 * @param readyMs B's readiness first seen UP
	 * @param longestGapMs the longest time between two consecutive acknowledged writes
	 * @param longestReadGapMs the longest time in which no instance answered a read
	 * @param acknowledgedByA writes A acknowledged
	 * @param acknowledgedByB writes B acknowledged
	 * @param lostOurs acknowledged records missing after our restore
	 * @param lostOfficial acknowledged records missing after {@code litestream restore}
	 * @param missingOnB acknowledged records B did not list at the end
	 * @param refused writes answered with an error or not at all
	 * @param aRefusingMs A's readiness first seen 503
	 * @param phases the phases read from the logs ({@link HandoverPhases})
	 * @param load the load average when the deploy started
	 */
	record Run(DeployedApp app, String kind, boolean migration, boolean migrated, double firstWriteMs,
			double firstReadMs, double listeningMs, double readyMs, double longestGapMs, double longestReadGapMs,
			int acknowledgedByA, int acknowledgedByB, long lostOurs, long lostOfficial, long missingOnB, int refused,
			double aRefusingMs, Map<String, Double> phases, String load) {

		String deploy() {
			return this.migration ? "+ migration" : "same schema";
		}

		long lost() {
			return this.lostOurs + this.lostOfficial + this.missingOnB;
		}

		@Override
		public String toString() {
			return String.format(java.util.Locale.ROOT,
					"%s %s %s: B start -> listening %.0f ms, -> first read %.0f ms, -> ready %.0f ms, -> first "
							+ "acknowledged write %.0f ms; longest write pause %.0f ms; longest read gap %.0f ms; "
							+ "acknowledged A %d, B %d; lost %d (official restore %d, missing on B %d)%s; refused %d; "
							+ "A refusing traffic %.0f ms after B's start; phases %s; load %s",
					this.app.label, this.kind, deploy(), this.listeningMs, this.firstReadMs, this.readyMs,
					this.firstWriteMs, this.longestGapMs, this.longestReadGapMs, this.acknowledgedByA,
					this.acknowledgedByB, this.lostOurs, this.lostOfficial, this.missingOnB,
					this.migration ? (this.migrated ? "; migrated" : "; NOT migrated") : "", this.refused,
					this.aRefusingMs, this.phases, this.load);
		}

	}

	/**
	 * Runs the scenario with the benchmark's options and adds its section to the report.
	 */
	static void scenario(BenchmarkMain main) throws Exception {
		int notes = Integer.parseInt(main.option("handover-notes", "300"));
		String clinicDelay = main.option("handover-clinic-delay", "10s");
		List<DeployedApp> apps = new ArrayList<>();
		for (String key : main.option("handover-apps", "notes,clinic").split(",")) {
			apps.add(DeployedApp.valueOf(key.toUpperCase(java.util.Locale.ROOT)));
		}
		List<Boolean> deploys = Boolean.parseBoolean(main.option("handover-migration", "true")) ? List.of(false, true)
				: List.of(false);
		List<Run> runs = new ArrayList<>();
		for (int rep = 0; rep < main.reps(); rep++) {
			for (DeployedApp app : apps) {
				Path jar = Path.of(main.option(app.jarOption, app.defaultJar));
				if (!Files.isRegularFile(jar)) {
					throw new IllegalStateException(jar + " is missing: build it with ./mvnw -pl " + app.label
							+ " -am package -DskipTests (or pass --" + app.jarOption + "=<jar>)");
				}
				List<String> extra = (app == DeployedApp.CLINIC) ? List.of("--clinic.startup-delay=" + clinicDelay)
						: List.of();
				for (String kind : main.option("handover-replicas", "file,S3Proxy").split(",")) {
					for (boolean migration : deploys) {
						Path dir = Bench.fresh(main.work()
							.resolve("handover")
							.resolve(app.key() + "-" + kind + (migration ? "-migration-" : "-") + rep));
						Run run = run(app, jar, extra, main.litestream(), dir, main.target(kind, dir), notes,
								migration);
						runs.add(run);
						BenchmarkMain.log("  " + run);
					}
				}
			}
		}
		HandoverReport.report(main.report(), runs, notes, clinicDelay, main.option("handover-build", ""), main.reps());
	}

	static Run run(DeployedApp app, Path jar, List<String> extra, Path litestream, Path dir, ReplicaTarget target,
			int notesPerPhase, boolean migration) throws Exception {
		String load = Bench.loadAverage();
		List<String> bExtra = new ArrayList<>(extra);
		if (migration) {
			Path migrations = Files.createDirectories(dir.resolve("migration"));
			Files.writeString(migrations.resolve("V99__deploy_adds_an_index.sql"), app.migration + "\n");
			bExtra.add("--spring.flyway.locations=classpath:db/migration,filesystem:" + migrations);
		}
		Clients clients = new Clients();
		Readers readers = new Readers();
		Instance a = new Instance("a", app, jar, dir, target, extra);
		Instance b = new Instance("b", app, jar, dir, target, bExtra);
		double listeningMs;
		double readyMs;
		double aRefusingMs = Double.NaN;
		long bStart;
		Instant bStartInstant;
		long end;
		List<String> servedByB;
		try (readers) {
			a.start();
			a.awaitReady(Duration.ofMinutes(3));
			clients.add(a);
			clients.start();
			readers.add(a);
			readers.start();
			clients.await(a, notesPerPhase, Duration.ofMinutes(2));
			bStartInstant = Instant.now();
			bStart = System.nanoTime();
			b.start();
			readers.add(b);
			// B is added to the clients' round robin as soon as it accepts requests.
			while (!b.answers()) {
				if (!b.isAlive() || System.nanoTime() - bStart > TimeUnit.MINUTES.toNanos(5)) {
					throw new IllegalStateException("B did not listen: " + b.tail());
				}
				if (Double.isNaN(aRefusingMs) && a.readiness() == 503) {
					aRefusingMs = (System.nanoTime() - bStart) / 1e6;
				}
				Thread.sleep(20);
			}
			listeningMs = (System.nanoTime() - bStart) / 1e6;
			clients.add(b);
			b.awaitReady(Duration.ofMinutes(3));
			readyMs = (System.nanoTime() - bStart) / 1e6;
			if (Double.isNaN(aRefusingMs) && a.readiness() == 503) {
				aRefusingMs = (System.nanoTime() - bStart) / 1e6;
			}
			a.stop();
			int byB = clients.acknowledged(b);
			clients.await(b, byB + notesPerPhase, Duration.ofMinutes(2));
			clients.stop();
			end = System.nanoTime();
			servedByB = b.recordNames();
			b.stop();
		}
		finally {
			clients.stop();
			a.kill();
			b.kill();
		}
		List<Long> acks = clients.acknowledgedAt(null);
		acks.sort(null);
		long longestGap = 0;
		for (int i = 1; i < acks.size(); i++) {
			longestGap = Math.max(longestGap, acks.get(i) - acks.get(i - 1));
		}
		List<Long> byB = clients.acknowledgedAt("b");
		long firstB = byB.stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);

		Path ours = dir.resolve("restored-ours.db");
		new Restorer().restore(target.client(), ours,
				new RestoreOptions(RestoreTarget.latest(), IntegrityCheck.QUICK, false, false));
		Path official = dir.resolve("restored-official.db");
		Path config = dir.resolve("litestream-restore.yml");
		Path db = dir.resolve(app.databaseFile);
		Files.writeString(config,
				Litestream.config(db, target, Duration.ofSeconds(1), Duration.ofSeconds(1), List.of()));
		Bench.run(Litestream.restoreCommand(litestream, config, db, official, null),
				dir.resolve("litestream-restore.log"));
		Set<String> served = new HashSet<>(servedByB);
		long missingOnB = clients.acknowledged.stream().filter((ack) -> !served.contains(ack.text())).count();
		return new Run(app, target.kind(), migration, migrated(ours), (firstB - bStart) / 1e6,
				(readers.firstAnswer("b") - bStart) / 1e6, listeningMs, readyMs, longestGap / 1e6,
				readers.longestGapMs(end), clients.count("a"), clients.count("b"), clients.missing(app, ours),
				clients.missing(app, official), missingOnB, clients.refused.get(), aRefusingMs,
				HandoverPhases.read(a.log, b.log, bStartInstant), load);
	}

	/** Whether the restored database records the migration a deploy added (V99). */
	private static boolean migrated(Path restored) throws Exception {
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + restored);
				Statement statement = connection.createStatement();
				ResultSet rs = statement
					.executeQuery("SELECT COUNT(*) FROM flyway_schema_history WHERE version = '99' AND success = 1")) {
			return rs.next() && rs.getInt(1) == 1;
		}
	}

	/** The arguments that point the sample application at the replica. */
	static List<String> replicaArguments(ReplicaTarget target) {
		if (target instanceof S3Target s3) {
			return List.of("--litestream.replicas[0].name=s3",
					"--litestream.replicas[0].url=s3://" + s3.bucket() + "/" + s3.prefix(),
					"--litestream.replicas[0].endpoint=" + s3.endpoint(),
					"--litestream.replicas[0].region=" + S3Proxy.REGION,
					"--litestream.replicas[0].force-path-style=true",
					"--litestream.replicas[0].access-key-id=" + S3Proxy.ACCESS_KEY,
					"--litestream.replicas[0].secret-access-key=" + S3Proxy.SECRET_KEY);
		}
		return List.of("--litestream.replicas[0].name=local", "--litestream.replicas[0].url=" + target.root());
	}

	/** One instance of an application, started with {@code java -jar}. */
	static final class Instance {

		private final String name;

		private final DeployedApp app;

		private final Path jar;

		private final Path dir;

		private final ReplicaTarget target;

		private final List<String> extra;

		private final int port;

		private final Path log;

		private Process process;

		/** An instance of the sample application. */
		Instance(String name, Path jar, Path dir, ReplicaTarget target) throws IOException {
			this(name, DeployedApp.NOTES, jar, dir, target, List.of());
		}

		Instance(String name, DeployedApp app, Path jar, Path dir, ReplicaTarget target, List<String> extra)
				throws IOException {
			this.name = name;
			this.app = app;
			this.jar = jar;
			this.dir = dir;
			this.target = target;
			this.extra = extra;
			try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
				this.port = socket.getLocalPort();
			}
			this.log = dir.resolve(name + ".log");
		}

		String name() {
			return this.name;
		}

		void start() throws IOException {
			List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
					"-jar", this.jar.toAbsolutePath().toString(), "--server.port=" + this.port,
					"--management.server.port=0", "--spring.datasource.url=jdbc:sqlite:"
							+ this.dir.resolve(this.name).resolve(this.app.databaseFile) + this.app.urlParameters));
			command.addAll(replicaArguments(this.target));
			command.addAll(this.app.arguments());
			command.addAll(this.extra);
			Files.createDirectories(this.dir.resolve(this.name));
			this.process = Bench.withoutAwsEnvironment(new ProcessBuilder(command))
				.directory(this.dir.resolve(this.name).toFile())
				.redirectErrorStream(true)
				.redirectOutput(this.log.toFile())
				.start();
		}

		boolean isAlive() {
			return this.process != null && this.process.isAlive();
		}

		String tail() throws IOException {
			return Bench.tail(Files.readString(this.log));
		}

		URI uri(String path) {
			return URI.create("http://127.0.0.1:" + this.port + path);
		}

		boolean answers() {
			try {
				readiness();
				return true;
			}
			catch (IOException ex) {
				return false;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}

		int readiness() throws IOException, InterruptedException {
			// As a kubelet probes it: Actuator's own port is loopback only
			HttpRequest request = HttpRequest.newBuilder(uri("/readyz")).timeout(Duration.ofSeconds(10)).GET().build();
			return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
		}

		void awaitReady(Duration timeout) throws Exception {
			long deadline = System.nanoTime() + timeout.toNanos();
			while (true) {
				if (!isAlive()) {
					throw new IllegalStateException("Instance " + this.name + " exited: " + tail());
				}
				try {
					if (readiness() == 200) {
						return;
					}
				}
				catch (IOException ex) {
					// Not listening yet.
				}
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("Instance " + this.name + " not ready: " + tail());
				}
				Thread.sleep(20);
			}
		}

		int post(String text) throws IOException, InterruptedException {
			HttpRequest request = HttpRequest.newBuilder(uri(this.app.writePath))
				.timeout(Duration.ofSeconds(60))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(this.app.writeBody(text)))
				.build();
			return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
		}

		/**
		 * One read of the application's cheap read path.
		 * @return whether it was answered: 2xx with data
		 */
		CompletableFuture<Boolean> readAsync() {
			HttpRequest request = HttpRequest.newBuilder(uri(this.app.readPath))
				.timeout(Duration.ofSeconds(5))
				.GET()
				.build();
			return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
				.thenApply((response) -> response.statusCode() / 100 == 2 && this.app.hasData(response.body()))
				.exceptionally((ex) -> false);
		}

		/** The names of every record the instance lists. */
		List<String> recordNames() throws IOException, InterruptedException {
			HttpRequest request = HttpRequest.newBuilder(uri(this.app.listPath))
				.timeout(Duration.ofSeconds(60))
				.GET()
				.build();
			HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
			if (response.statusCode() != 200) {
				throw new IllegalStateException("Instance " + this.name + " answered " + this.app.listPath + " with "
						+ response.statusCode() + ": " + response.body());
			}
			return this.app.recordNames(response.body());
		}

		void stop() throws InterruptedException {
			this.process.destroy();
			if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
				throw new IllegalStateException("Instance " + this.name + " did not stop within 60 s of SIGTERM");
			}
		}

		void kill() throws InterruptedException {
			if (isAlive()) {
				this.process.destroyForcibly().waitFor();
			}
		}

	}

	/** A note acknowledged with a 2xx status: its text, by whom, and when. */
	record Ack(String text, String instance, long nanos) {
	}

	/** Clients posting notes round robin over the instances that listen. */
	static final class Clients {

		private final List<Instance> instances = new CopyOnWriteArrayList<>();

		private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(CLIENTS);

		private final ConcurrentLinkedQueue<Ack> acknowledged = new ConcurrentLinkedQueue<>();

		private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

		private final AtomicInteger refused = new AtomicInteger();

		void add(Instance instance) {
			this.instances.add(instance);
		}

		void start() {
			for (int client = 0; client < CLIENTS; client++) {
				int id = client;
				AtomicInteger sequence = new AtomicInteger();
				this.executor.scheduleWithFixedDelay(() -> post(id, sequence.incrementAndGet()), 0,
						CLIENT_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
			}
		}

		private void post(int client, int sequence) {
			Instance target = this.instances.get(sequence % this.instances.size());
			String text = "c" + client + "-" + sequence;
			try {
				int status = target.post(text);
				if (status >= 200 && status < 300) {
					this.acknowledged.add(new Ack(text, target.name(), System.nanoTime()));
					this.counts.computeIfAbsent(target.name(), (n) -> new AtomicInteger()).incrementAndGet();
				}
				else {
					this.refused.incrementAndGet();
				}
			}
			catch (IOException | RuntimeException ex) {
				this.refused.incrementAndGet();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		int count(String instance) {
			AtomicInteger count = this.counts.get(instance);
			return (count != null) ? count.get() : 0;
		}

		int acknowledged(Instance instance) {
			return count(instance.name());
		}

		void await(Instance instance, int count, Duration timeout) throws InterruptedException {
			long deadline = System.nanoTime() + timeout.toNanos();
			while (acknowledged(instance) < count) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("Only " + acknowledged(instance) + " of " + count
							+ " notes acknowledged by " + instance.name());
				}
				Thread.sleep(20);
			}
		}

		void stop() throws InterruptedException {
			this.executor.shutdownNow();
			this.executor.awaitTermination(2, TimeUnit.MINUTES);
		}

		/** When each acknowledgement arrived, of one instance or ({@code null}) all. */
		List<Long> acknowledgedAt(String instance) {
			List<Long> times = new ArrayList<>();
			for (Ack ack : this.acknowledged) {
				if (instance == null || instance.equals(ack.instance())) {
					times.add(ack.nanos());
				}
			}
			return times;
		}

		long missing(Path restored) throws Exception {
			return missing(DeployedApp.NOTES, restored);
		}

		/** The acknowledged records missing from a restored database of {@code app}. */
		long missing(DeployedApp app, Path restored) throws Exception {
			Set<String> texts = new HashSet<>();
			try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + restored);
					Statement statement = connection.createStatement();
					ResultSet rs = statement.executeQuery(app.restoredQuery)) {
				while (rs.next()) {
					texts.add(rs.getString(1));
				}
			}
			return this.acknowledged.stream().filter((ack) -> !texts.contains(ack.text())).count();
		}

	}

}
