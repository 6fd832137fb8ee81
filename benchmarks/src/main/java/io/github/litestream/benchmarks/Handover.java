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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Scenario 9, a rolling deploy: the sample application (its packaged jar) runs as
 * instance A on its own directory; clients post notes to it continuously; instance B
 * starts on an empty directory against the same replica and takes the lease over (issue
 * 11 item 5); clients write to both, round robin, once B listens; when B's readiness is
 * UP, A gets SIGTERM; the clients go on writing to B, then B stops. Measured: the time
 * from B's process start to its first acknowledged write, the longest gap between two
 * consecutive acknowledged writes the clients saw, and the acknowledged notes missing
 * from the replica afterwards (restored by ours and by {@code litestream
 * restore}). Lease settings are the defaults.
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

	/** What one run measured. */
	record Run(String kind, double firstWriteMs, double listeningMs, double longestGapMs, int acknowledgedByA,
			int acknowledgedByB, long lostOurs, long lostOfficial, int refused, double aRefusingMs) {

		@Override
		public String toString() {
			return String.format(java.util.Locale.ROOT,
					"%s: B start -> listening %.0f ms, -> first acknowledged write %.0f ms; longest gap %.0f ms; "
							+ "acknowledged A %d, B %d; lost %d (official restore %d); refused %d; A refusing "
							+ "traffic %.0f ms after B's start",
					this.kind, this.listeningMs, this.firstWriteMs, this.longestGapMs, this.acknowledgedByA,
					this.acknowledgedByB, this.lostOurs, this.lostOfficial, this.refused, this.aRefusingMs);
		}

	}

	static Run run(Path jar, Path litestream, Path dir, ReplicaTarget target, int notesPerPhase) throws Exception {
		Clients clients = new Clients();
		Instance a = new Instance("a", jar, dir, target);
		Instance b = new Instance("b", jar, dir, target);
		double listeningMs;
		double aRefusingMs = Double.NaN;
		long bStart;
		try {
			a.start();
			a.awaitReady(Duration.ofMinutes(3));
			clients.add(a);
			clients.start();
			clients.await(a, notesPerPhase, Duration.ofMinutes(2));
			bStart = System.nanoTime();
			b.start();
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
			if (Double.isNaN(aRefusingMs) && a.readiness() == 503) {
				aRefusingMs = (System.nanoTime() - bStart) / 1e6;
			}
			a.stop();
			int byB = clients.acknowledged(b);
			clients.await(b, byB + notesPerPhase, Duration.ofMinutes(2));
			clients.stop();
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
		Files.writeString(config, Litestream.config(dir.resolve("notes.db"), target, Duration.ofSeconds(1),
				Duration.ofSeconds(1), List.of()));
		Bench.run(Litestream.restoreCommand(litestream, config, dir.resolve("notes.db"), official, null),
				dir.resolve("litestream-restore.log"));
		return new Run(target.kind(), (firstB - bStart) / 1e6, listeningMs, longestGap / 1e6, clients.count("a"),
				clients.count("b"), clients.missing(ours), clients.missing(official), clients.refused.get(),
				aRefusingMs);
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

	/** One instance of the sample application, started with {@code java -jar}. */
	static final class Instance {

		private final String name;

		private final Path jar;

		private final Path dir;

		private final ReplicaTarget target;

		private final int port;

		private final Path log;

		private Process process;

		Instance(String name, Path jar, Path dir, ReplicaTarget target) throws IOException {
			this.name = name;
			this.jar = jar;
			this.dir = dir;
			this.target = target;
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
					"--management.server.port=0",
					"--spring.datasource.url=jdbc:sqlite:" + this.dir.resolve(this.name).resolve("notes.db")));
			command.addAll(replicaArguments(this.target));
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
			HttpRequest request = HttpRequest.newBuilder(uri("/api/notes"))
				.timeout(Duration.ofSeconds(60))
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}"))
				.build();
			return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
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
			Set<String> texts = new HashSet<>();
			try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + restored);
					Statement statement = connection.createStatement();
					ResultSet rs = statement.executeQuery("SELECT text FROM note")) {
				while (rs.next()) {
					texts.add(rs.getString(1));
				}
			}
			return this.acknowledged.stream().filter((ack) -> !texts.contains(ack.text())).count();
		}

	}

}
