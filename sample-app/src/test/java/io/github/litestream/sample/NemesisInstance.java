package io.github.litestream.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import io.github.litestream.testsupport.ChildJvm;
import io.github.litestream.testsupport.LoopbackPorts;
import io.github.litestream.testsupport.S3ProxyServer;

/**
 * One process of the sample application in {@link SampleNemesisTests}: a child JVM on its
 * own data directory, HTTP port and management port, reaching S3 through its own
 * {@link NemesisProxy}. The flags are the nemesis's and the readiness monitor's view of
 * it.
 */
final class NemesisInstance implements AutoCloseable {

	/** The database's name at the Litestream endpoint (the DataSource bean's name). */
	static final String DATABASE = "dataSource";

	private static final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(2))
		.build();

	private final String name;

	private final Path dataDir;

	private final NemesisProxy proxy;

	private final ChildJvm jvm;

	private final URI base;

	private final URI management;

	/** Readiness answered 200 at the last poll. */
	volatile boolean ready;

	/** Readiness answered 200 at least once. */
	volatile boolean everReady;

	/** Between SIGSTOP and SIGCONT. */
	volatile boolean frozen;

	/** Cut off from S3. */
	volatile boolean partitioned;

	/** SIGTERM or SIGKILL sent. */
	volatile boolean stopping;

	/** An in-place restore is running. */
	volatile boolean restoring;

	private NemesisInstance(String name, Path dataDir, NemesisProxy proxy, ChildJvm jvm, int port, int managementPort) {
		this.name = name;
		this.dataDir = dataDir;
		this.proxy = proxy;
		this.jvm = jvm;
		this.base = URI.create("http://127.0.0.1:" + port);
		this.management = URI.create("http://127.0.0.1:" + managementPort);
	}

	/**
	 * Starts an instance on {@code dataDir} (new or left by an earlier instance).
	 */
	static NemesisInstance start(Path runDir, String name, Path dataDir, S3ProxyServer s3, String bucket,
			String prefix) {
		NemesisProxy proxy = NemesisProxy.start(name, s3.endpoint());
		int port = LoopbackPorts.free();
		int managementPort = LoopbackPorts.free();
		List<String> args = new ArrayList<>(List.of("--server.port=" + port,
				"--management.server.port=" + managementPort, "--management.server.address=127.0.0.1",
				"--spring.datasource.url=jdbc:sqlite:" + dataDir.resolve("notes.db"),
				"--litestream.replicas[0].name=s3", "--litestream.replicas[0].url=s3://" + bucket + "/" + prefix,
				"--litestream.replicas[0].endpoint=" + proxy.endpoint(),
				"--litestream.replicas[0].region=" + s3.region(), "--litestream.replicas[0].force-path-style=true",
				"--litestream.replicas[0].access-key-id=" + s3.accessKey(),
				"--litestream.replicas[0].secret-access-key=" + s3.secretKey(),
				"--litestream.replicas[0].sync-interval=" + SampleNemesisTests.SYNC_INTERVAL.toMillis() + "ms",
				"--litestream.monitor-interval=100ms",
				"--litestream.lease.ttl=" + SampleNemesisTests.LEASE_TTL.toSeconds() + "s",
				"--litestream.lease.renew-interval=1s", "--litestream.lease.startup-timeout=60s",
				"--litestream.shutdown-sync-timeout=10s", "--spring.main.banner-mode=off"));
		ChildJvm jvm = ChildJvm.start(runDir, name, SampleApplication.class,
				List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"), args);
		return new NemesisInstance(name, dataDir, proxy, jvm, port, managementPort);
	}

	String name() {
		return this.name;
	}

	Path dataDir() {
		return this.dataDir;
	}

	long pid() {
		return this.jvm.pid();
	}

	NemesisProxy proxy() {
		return this.proxy;
	}

	boolean isAlive() {
		return this.jvm.isAlive();
	}

	OptionalInt exitCode() {
		return this.jvm.exitCode();
	}

	/** Started, not stopping, not yet seen ready. */
	boolean starting() {
		return isAlive() && !this.stopping && !this.everReady;
	}

	/**
	 * Whether it serves or may serve again by itself: starting, ready, or ready before a
	 * freeze or a partition that has not ended. Not an instance that handed the database
	 * over (ready once, unready now, nothing injected).
	 */
	boolean serviceable() {
		return isAlive() && !this.stopping
				&& (!this.everReady || this.ready || this.frozen || this.partitioned || this.restoring);
	}

	/**
	 * The status of {@code GET /actuator/health/readiness}, or -1 without an answer
	 * within a second.
	 */
	int readiness() {
		try {
			HttpRequest request = HttpRequest.newBuilder(this.management.resolve("/actuator/health/readiness"))
				.timeout(Duration.ofSeconds(1))
				.GET()
				.build();
			return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
		}
		catch (IOException ex) {
			return -1;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return -1;
		}
	}

	/**
	 * Posts a note.
	 * @throws IOException if no answer came (including a timeout): not an acknowledgement
	 */
	HttpResponse<String> post(String text, Duration timeout) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(this.base.resolve("/api/notes"))
			.timeout(timeout)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}"))
			.build();
		return http.send(request, HttpResponse.BodyHandlers.ofString());
	}

	/**
	 * {@code POST /actuator/litestream/dataSource/restore} with an empty body: the newest
	 * state the replica holds.
	 */
	HttpResponse<String> restoreLatest(Duration timeout) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest
			.newBuilder(this.management.resolve("/actuator/litestream/" + DATABASE + "/restore"))
			.timeout(timeout)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.noBody())
			.build();
		return http.send(request, HttpResponse.BodyHandlers.ofString());
	}

	/**
	 * {@code GET /actuator/health/litestream}, for the log, or why there is none.
	 */
	String litestreamHealth() {
		try {
			HttpRequest request = HttpRequest.newBuilder(this.management.resolve("/actuator/health/litestream"))
				.timeout(Duration.ofSeconds(2))
				.GET()
				.build();
			HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
			return response.statusCode() + " " + response.body();
		}
		catch (IOException ex) {
			return ex.toString();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return ex.toString();
		}
	}

	void signal(String signal) {
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
			if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
				throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * SIGTERM, then SIGKILL after {@link ChildJvm#STOP_GRACE}; waits for the exit.
	 * @return the exit code
	 */
	int terminate() {
		this.stopping = true;
		return this.jvm.stop();
	}

	/**
	 * SIGKILL; waits for the exit.
	 * @return the exit code
	 */
	int kill() {
		this.stopping = true;
		return this.jvm.kill();
	}

	String outputTail() {
		return this.jvm.outputTail();
	}

	@Override
	public void close() {
		if (this.frozen && isAlive()) {
			signal("CONT");
		}
		this.jvm.close();
		this.proxy.close();
	}

	@Override
	public String toString() {
		return this.name + " (pid " + pid() + ", " + this.dataDir.getFileName() + ")";
	}

}
