package io.github.litestream.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample notes service end to end: the API, replication to a local directory, the
 * Actuator endpoint, health and meters. Actuator is on the management port (a random one
 * here, as {@code RANDOM_PORT} sets it), bound to the loopback address.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

	private static final Path DIR = createTempDirectory();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("spring.datasource.url", () -> "jdbc:sqlite:" + DIR.resolve("data/notes.db"));
		registry.add("litestream.replicas[0].url", () -> DIR.resolve("backup").toString());
		registry.add("litestream.replicas[0].name", () -> "local");
		registry.add("litestream.replicas[0].sync-interval", () -> "100ms");
		registry.add("litestream.monitor-interval", () -> "100ms");
	}

	@Value("${local.server.port}")
	int port;

	@LocalManagementPort
	int managementPort;

	private RestClient client() {
		return RestClient.create("http://localhost:" + this.port);
	}

	private RestClient management() {
		return RestClient.create("http://127.0.0.1:" + this.managementPort);
	}

	@Test
	void notesWrittenThroughTheApiAppearInTheReplica() throws Exception {
		List<String> texts = IntStream.range(0, 3).mapToObj((i) -> "replicated-" + i).toList();
		for (String text : texts) {
			ResponseEntity<Map<String, Object>> created = createNote(text);
			assertThat(created.getStatusCode()).isEqualTo(HttpStatus.CREATED);
			assertThat(created.getBody()).containsKey("id").containsEntry("text", text);
		}
		await().atMost(Duration.ofSeconds(20))
			.untilAsserted(
					() -> assertThat(SampleTestSupport.notesInReplica(DIR.resolve("backup"), DIR)).containsAll(texts));
	}

	@Test
	void restoreThroughTheEndpointToATimestampRemovesExactlyTheLaterNotes() {
		createNote("before-1");
		createNote("before-2");
		awaitCaughtUp();
		List<Map<String, Object>> before = notes();
		Instant timestamp = Instant.now();
		await().until(() -> Instant.now().isAfter(timestamp.plusMillis(5)));
		createNote("after-1");
		createNote("after-2");
		awaitCaughtUp();
		assertThat(notes()).hasSize(before.size() + 2);

		Map<String, Object> restored = management().post()
			.uri("/actuator/litestream/dataSource/restore")
			.contentType(MediaType.APPLICATION_JSON)
			.body(Map.of("timestamp", timestamp.toString()))
			.retrieve()
			.body(new ParameterizedTypeReference<>() {
			});
		assertThat(restored).containsKeys("txid", "durationMillis");
		assertThat(notes()).isEqualTo(before);

		assertThat(createNote("after-restore").getStatusCode()).isEqualTo(HttpStatus.CREATED);
		assertThat(count()).isEqualTo(before.size() + 1);
	}

	@Test
	void endpointFailuresAreProblemDetails() {
		awaitCaughtUp();
		ResponseEntity<Map<String, Object>> past = post("/actuator/litestream/dataSource/restore",
				Map.of("txid", Long.MAX_VALUE));
		assertThat(past.getStatusCode().value()).isEqualTo(422);
		assertThat(past.getHeaders().getContentType()).hasToString("application/problem+json");
		assertThat(past.getBody()).containsEntry("status", 422).containsKeys("title", "detail", "earliest", "latest");

		ResponseEntity<Map<String, Object>> malformed = post("/actuator/litestream/dataSource/restore",
				Map.of("timestamp", "yesterday"));
		assertThat(malformed.getStatusCode().value()).isEqualTo(400);
		assertThat(malformed.getHeaders().getContentType()).hasToString("application/problem+json");
		assertThat(malformed.getBody().get("detail")).asString().contains("{\"timestamp\":\"2026-11-25T10:00:00Z\"}");

		ResponseEntity<Map<String, Object>> unknownKey = post("/actuator/litestream/dataSource/restore",
				Map.of("foo", 1));
		assertThat(unknownKey.getStatusCode().value()).isEqualTo(400);
		assertThat(unknownKey.getBody()).containsEntry("unknownKeys", List.of("foo"));

		ResponseEntity<Map<String, Object>> unknownDatabase = post("/actuator/litestream/nope/sync", Map.of());
		assertThat(unknownDatabase.getStatusCode().value()).isEqualTo(404);
		assertThat(unknownDatabase.getHeaders().getContentType()).hasToString("application/problem+json");
	}

	private ResponseEntity<Map<String, Object>> post(String uri, Map<String, Object> body) {
		return post(management(), uri, body);
	}

	private static ResponseEntity<Map<String, Object>> post(RestClient client, String uri, Map<String, Object> body) {
		return client.post()
			.uri(uri)
			.contentType(MediaType.APPLICATION_JSON)
			.body(body)
			.retrieve()
			.onStatus((status) -> true, (request, response) -> {
			})
			.toEntity(new ParameterizedTypeReference<>() {
			});
	}

	@Test
	void theApplicationPortServesNoOperationAndTheManagementPortOnlyLoopback() throws Exception {
		awaitCaughtUp();
		ResponseEntity<Map<String, Object>> sync = post(client(), "/actuator/litestream/dataSource/sync", Map.of());
		assertThat(sync.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
		assertThat(getStatus(client(), "/actuator/litestream")).isEqualTo(HttpStatus.NOT_FOUND);
		assertThat(getStatus(management(), "/actuator/litestream")).isEqualTo(HttpStatus.OK);
		// The probes stay reachable for a kubelet on the application's port
		assertThat(getStatus(client(), "/readyz")).isEqualTo(HttpStatus.OK);
		InetAddress external = nonLoopbackAddress();
		assumeThat(external).as("a non-loopback address of this machine").isNotNull();
		assertThatExceptionOfType(ConnectException.class)
			.isThrownBy(() -> new Socket(external, this.managementPort).close());
	}

	private static HttpStatusCode getStatus(RestClient client, String uri) {
		return client.get().uri(uri).retrieve().onStatus((status) -> true, (request, response) -> {
		}).toBodilessEntity().getStatusCode();
	}

	private static InetAddress nonLoopbackAddress() throws SocketException {
		for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
			if (network.isUp() && !network.isLoopback()) {
				for (InetAddress address : Collections.list(network.getInetAddresses())) {
					if (address instanceof Inet4Address) {
						return address;
					}
				}
			}
		}
		return null;
	}

	@Test
	void healthShowsLitestreamUpWithDetails() {
		awaitCaughtUp();
		Map<String, Object> health = management().get()
			.uri("/actuator/health/litestream")
			.retrieve()
			.body(new ParameterizedTypeReference<>() {
			});
		assertThat(health).containsEntry("status", "UP");
		assertThat(health.get("details")).asString().contains("dataSource", "replicas", "lagSeconds");
	}

	@Test
	void prometheusHasTheLitestreamMeters() {
		createNote("metered");
		awaitCaughtUp();
		String prometheus = management().get().uri("/actuator/prometheus").retrieve().body(String.class);
		assertThat(prometheus).contains("litestream_replica_lag_seconds{database=\"dataSource\",replica=\"local\"}",
				"litestream_replica_txid", "litestream_txid", "litestream_db_size_bytes", "litestream_wal_size_bytes",
				"litestream_sync_seconds_count", "litestream_sync_errors_total", "litestream_replica_operations_total",
				"litestream_replica_bytes_total", "litestream_restore_seconds_count",
				"litestream_lease_held{database=\"dataSource\",replica=\"local\"} 1.0",
				"litestream_lease_acquisitions_total", "litestream_lease_lost_total",
				"litestream_uploads_rejected_total");
	}

	@Test
	void endpointListsTheDatabaseAndItsReplica() {
		Map<String, Object> body = management().get()
			.uri("/actuator/litestream")
			.retrieve()
			.body(new ParameterizedTypeReference<>() {
			});
		assertThat(body).containsKey("databases");
		assertThat(body.get("databases")).asString()
			.contains("dataSource", "pageSize", "walSize", "local", "lease", "state=HELD", "held=true", "epoch=",
					"expiresAt=");
	}

	private ResponseEntity<Map<String, Object>> createNote(String text) {
		return client().post()
			.uri("/api/notes")
			.contentType(MediaType.APPLICATION_JSON)
			.body(Map.of("text", text))
			.retrieve()
			.toEntity(new ParameterizedTypeReference<>() {
			});
	}

	private List<Map<String, Object>> notes() {
		return client().get().uri("/api/notes").retrieve().body(new ParameterizedTypeReference<>() {
		});
	}

	private long count() {
		Map<String, Number> body = client().get()
			.uri("/api/notes/count")
			.retrieve()
			.body(new ParameterizedTypeReference<>() {
			});
		return body.get("count").longValue();
	}

	/**
	 * Makes the engine read every commit made so far and waits until the replica has it
	 * (the sync operation does both). Comparing the replica's TXID with the engine's is
	 * not enough: the engine learns of a commit on its own thread, so both can still be
	 * equal at the TXID before the notes just written.
	 */
	private void awaitCaughtUp() {
		ResponseEntity<Map<String, Object>> synced = post("/actuator/litestream/dataSource/sync", Map.of());
		assertThat(synced.getStatusCode()).isEqualTo(HttpStatus.OK);
		assertThat(synced.getBody()).containsEntry("replicated", true);
	}

	private static Path createTempDirectory() {
		try {
			return Files.createTempDirectory("litestream-sample");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
