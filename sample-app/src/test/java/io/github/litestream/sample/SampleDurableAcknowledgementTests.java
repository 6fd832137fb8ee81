package io.github.litestream.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestream.testsupport.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A note acknowledged by {@code POST /api/notes/durable} survives the machine: the sample
 * runs in a child JVM with the default one-second sync interval, several clients post
 * durable notes, the JVM is killed with SIGKILL while requests are in flight, and a
 * restore of the replica into an empty directory holds every note that was answered with
 * 201. With the wait removed the newest acknowledged notes are lost (up to a sync
 * interval of them), which is what this test catches.
 */
class SampleDurableAcknowledgementTests {

	private static final Pattern PORT = Pattern.compile(".*Tomcat started on port (\\d+).*");

	private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

	private static final int CLIENTS = 4;

	/** Acknowledgements before the kill: several sync intervals of them. */
	private static final int ACKNOWLEDGED_BEFORE_KILL = 24;

	private static final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(2))
		.build();

	@TempDir
	Path dir;

	@Test
	void everyNoteAcknowledgedAfterTheWaitIsRestoredAfterASigkill() throws Exception {
		Path backup = this.dir.resolve("backup");
		ChildJvm jvm = ChildJvm.start(this.dir, "durable", SampleApplication.class,
				List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
				List.of("--server.port=0", "--management.server.port=0", "--spring.main.banner-mode=off",
						"--spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("data/notes.db"),
						"--litestream.replicas[0].name=local", "--litestream.replicas[0].url=" + backup,
						"--notes.durable-timeout=30s"));
		Set<String> acknowledged = ConcurrentHashMap.newKeySet();
		try (jvm) {
			Matcher matcher = PORT.matcher(jvm.awaitLine(PORT.pattern(), START_TIMEOUT));
			assertThat(matcher.matches()).isTrue();
			URI notes = URI.create("http://127.0.0.1:" + matcher.group(1) + "/api/notes/durable");
			CountDownLatch enough = new CountDownLatch(ACKNOWLEDGED_BEFORE_KILL);
			AtomicBoolean killed = new AtomicBoolean();
			ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
			for (int c = 0; c < CLIENTS; c++) {
				String client = "c" + c;
				clients.submit(() -> {
					for (int n = 0; !killed.get(); n++) {
						String text = client + "-" + n;
						try {
							if (post(notes, text) == 201) {
								acknowledged.add(text);
								enough.countDown();
							}
						}
						catch (IOException ex) {
							// No answer: not acknowledged, whether or not it was stored
						}
						catch (InterruptedException ex) {
							return;
						}
					}
				});
			}
			assertThat(enough.await(120, TimeUnit.SECONDS)).as("acknowledged durable notes before the kill").isTrue();
			// Mid-stream: every client has a request in flight
			jvm.kill();
			killed.set(true);
			clients.shutdown();
			assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
		}
		catch (AssertionError ex) {
			throw new AssertionError(ex.getMessage() + "\n" + jvm.outputTail(), ex);
		}
		List<String> restored = SampleTestSupport.notesInReplica(backup, this.dir);
		assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(ACKNOWLEDGED_BEFORE_KILL);
		assertThat(restored).as("notes in a restore of the replica after SIGKILL").containsAll(acknowledged);
	}

	private static int post(URI uri, String text) throws IOException, InterruptedException {
		HttpRequest request = HttpRequest.newBuilder(uri)
			.timeout(Duration.ofSeconds(60))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}"))
			.build();
		return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
	}

}
