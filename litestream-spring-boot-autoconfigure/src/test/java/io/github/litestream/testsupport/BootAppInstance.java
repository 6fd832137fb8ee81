package io.github.litestream.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One instance of a Spring Boot web application with Actuator on a management port of its
 * own, run in a {@link ChildJvm} so that a test can stop it with SIGTERM or kill it with
 * SIGKILL. Both ports are random; they are read from the "Tomcat started on port" lines
 * (the application's first, then Actuator's: Boot starts the management context in a
 * later lifecycle phase).
 */
public final class BootAppInstance implements AutoCloseable {

	/** How long a child JVM may take to start (including a handover or a restore). */
	public static final Duration START_TIMEOUT = Duration.ofMinutes(3);

	private static final Pattern PORT = Pattern.compile(".*Tomcat started on port (\\d+).*");

	private static final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private final String name;

	private volatile @Nullable ChildJvm jvm;

	private volatile @Nullable URI base;

	private volatile @Nullable URI management;

	/**
	 * Creates an instance that is not started yet.
	 * @param name its name, unique in the test, also the name of its output files
	 */
	public BootAppInstance(String name) {
		this.name = name;
	}

	/**
	 * Starts the application in a child JVM on random ports, with a small heap and the C1
	 * compiler only (quicker starts on a shared machine).
	 * @param dir where the child's output files go
	 * @param mainClass the application's main class, on the test classpath
	 * @param args the application's arguments (data source, replicas, ...)
	 */
	public void start(Path dir, Class<?> mainClass, List<String> args) {
		List<String> all = new ArrayList<>(
				List.of("--server.port=0", "--management.server.port=0", "--spring.main.banner-mode=off",
						// The ports come from the "Tomcat started on port" lines, also
						// under a logback-test.xml that raises the root level.
						"--logging.level.org.springframework.boot=INFO"));
		all.addAll(args);
		this.jvm = ChildJvm.start(dir, this.name, mainClass,
				List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), all);
	}

	/**
	 * Returns the instance's name.
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Returns the child JVM.
	 * @return the running (or exited) child
	 * @throws IllegalStateException if the instance was not started
	 */
	public ChildJvm jvm() {
		ChildJvm jvm = this.jvm;
		if (jvm == null) {
			throw new IllegalStateException("Instance " + this.name + " was not started");
		}
		return jvm;
	}

	/**
	 * Waits until both the application's and Actuator's port listen.
	 */
	public void awaitListening() {
		awaitApplicationPort();
		await("instance " + this.name + "'s management port").atMost(START_TIMEOUT).until(() -> ports().size() >= 2);
		this.management = URI.create("http://127.0.0.1:" + ports().get(1));
	}

	/**
	 * Waits until the application's port listens, not Actuator's: for a test that talks
	 * to an instance while it starts (Actuator then answers once its port is in the
	 * output; until then a request to it fails with {@link IllegalStateException}).
	 */
	public void awaitApplicationPort() {
		Matcher matcher = PORT.matcher(jvm().awaitLine(PORT.pattern(), START_TIMEOUT));
		assertThat(matcher.matches()).isTrue();
		this.base = URI.create("http://127.0.0.1:" + matcher.group(1));
	}

	private List<String> ports() {
		return jvm().lines().stream().map(PORT::matcher).filter(Matcher::matches).map((m) -> m.group(1)).toList();
	}

	/**
	 * Returns Actuator's base URI, read from the output the first time it is there.
	 */
	private URI management() {
		URI management = this.management;
		if (management == null) {
			List<String> ports = ports();
			if (ports.size() < 2) {
				throw new IllegalStateException("Actuator of instance " + this.name + " does not listen yet");
			}
			management = URI.create("http://127.0.0.1:" + ports.get(1));
			this.management = management;
		}
		return management;
	}

	/**
	 * Waits until {@code /actuator/health/readiness} answers 200.
	 */
	public void awaitReady() {
		await("instance " + this.name + " ready").atMost(START_TIMEOUT)
			.pollInterval(Duration.ofMillis(100))
			.ignoreExceptions()
			.until(() -> readiness() == 200);
	}

	/**
	 * Returns the status of {@code GET /actuator/health/readiness}.
	 * @return the HTTP status
	 */
	public int readiness() throws IOException, InterruptedException {
		return managementGet("/actuator/health/readiness").statusCode();
	}

	/**
	 * Sends a GET to Actuator, on the management port.
	 * @param path the path, such as {@code /actuator/litestream}
	 * @return the response
	 */
	public HttpResponse<String> managementGet(String path) throws IOException, InterruptedException {
		return send(
				HttpRequest.newBuilder(URI.create(management() + path)).timeout(Duration.ofSeconds(30)).GET().build());
	}

	/**
	 * Posts a JSON body to Actuator, on the management port (a write operation).
	 * @param path the path, such as {@code /actuator/litestream/dataSource/sync}
	 * @param json the body
	 * @return the response
	 */
	public HttpResponse<String> managementPost(String path, String json) throws IOException, InterruptedException {
		return send(managementPostRequest(path, json, Duration.ofSeconds(30)));
	}

	/**
	 * Posts a JSON body to Actuator without waiting for the answer (an operation that
	 * lasts, such as a restore, while the test acts meanwhile).
	 * @param path the path, such as {@code /actuator/litestream/dataSource/restore}
	 * @param json the body
	 * @param timeout how long the answer may take
	 * @return the answer, when it comes
	 */
	public CompletableFuture<HttpResponse<String>> managementPostAsync(String path, String json, Duration timeout) {
		return http.sendAsync(managementPostRequest(path, json, timeout), HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest managementPostRequest(String path, String json, Duration timeout) {
		return HttpRequest.newBuilder(URI.create(management() + path))
			.timeout(timeout)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.build();
	}

	/**
	 * Sends a GET to the application's port.
	 * @param path the path
	 * @return the response
	 */
	public HttpResponse<String> get(String path) throws IOException, InterruptedException {
		return send(HttpRequest.newBuilder(URI.create(this.base + path)).timeout(Duration.ofSeconds(30)).GET().build());
	}

	/**
	 * Posts a JSON body to the application's port.
	 * @param path the path
	 * @param json the body
	 * @return the response
	 */
	public HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
		return send(HttpRequest.newBuilder(URI.create(this.base + path))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.build());
	}

	private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
		return http.send(request, HttpResponse.BodyHandlers.ofString());
	}

	/**
	 * Stops the instance with SIGTERM (SIGKILL after {@link ChildJvm#STOP_GRACE}).
	 * @return its exit code
	 */
	public int stop() {
		return jvm().stop();
	}

	/**
	 * Kills the instance with SIGKILL.
	 * @return its exit code
	 */
	public int kill() {
		return jvm().kill();
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
