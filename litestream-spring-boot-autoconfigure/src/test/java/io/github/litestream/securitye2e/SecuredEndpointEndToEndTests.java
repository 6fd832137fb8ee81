package io.github.litestream.securitye2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.ltx.LtxFileName;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.audit.AuditEvent;
import org.springframework.boot.actuate.audit.AuditEventRepository;
import org.springframework.boot.actuate.audit.InMemoryAuditEventRepository;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code litestream} endpoint's write operations granted
 * ({@code access=unrestricted}) on a management port of its own and secured with Spring
 * Security as the guide shows ({@link ActuatorSecurityConfiguration}): a restore without
 * credentials or by a user without the {@code OPERATOR} role is refused and changes
 * nothing; the operator's restore rolls the database back and is recorded as an audit
 * event naming the operator. Health stays open; the application's port serves no
 * operation.
 */
@SpringBootTest(classes = SecuredEndpointEndToEndTests.Application.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "management.server.port=0", "management.server.address=127.0.0.1",
				"management.endpoints.web.exposure.include=health,litestream",
				"management.endpoint.litestream.access=unrestricted",
				"management.endpoint.health.show-details=when-authorized",
				"management.endpoint.health.roles=OPERATOR" })
class SecuredEndpointEndToEndTests {

	private static final Path DIR = createTempDirectory();

	private static final Map<String, String> PASSWORDS = Map.of("operator", "operator-secret", "viewer",
			"viewer-secret");

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("spring.datasource.url", () -> "jdbc:sqlite:" + DIR.resolve("data/app.db"));
		registry.add("litestream.replicas[0].name", () -> "file");
		registry.add("litestream.replicas[0].url", () -> DIR.resolve("replica").toString());
		registry.add("litestream.replicas[0].sync-interval", () -> "100ms");
		registry.add("litestream.monitor-interval", () -> "100ms");
	}

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	LitestreamDatabases databases;

	@Autowired
	AuditEventRepository auditEvents;

	@BeforeEach
	void createTable() {
		this.jdbc.sql("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)").update();
	}

	@Test
	void restoreWithoutCredentialsIsRefusedAndChangesNothing() throws Exception {
		long target = write("anonymous-before");
		write("anonymous-after");
		List<String> before = texts();
		long txid = database().status().txid();
		int restores = restoreEvents().size();

		ResponseEntity<Map<String, Object>> response = restore(null, target);

		assertThat(response.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
		assertThat(texts()).isEqualTo(before).contains("anonymous-after");
		assertThat(database().status().txid()).isEqualTo(txid);
		assertThat(restoreEvents()).hasSize(restores);
	}

	@Test
	void restoreByAUserWithoutTheOperatorRoleIsRefusedAndChangesNothing() throws Exception {
		long target = write("viewer-before");
		write("viewer-after");
		List<String> before = texts();
		long txid = database().status().txid();
		int restores = restoreEvents().size();

		ResponseEntity<Map<String, Object>> response = restore("viewer", target);

		assertThat(response.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
		assertThat(texts()).isEqualTo(before).contains("viewer-after");
		assertThat(database().status().txid()).isEqualTo(txid);
		assertThat(restoreEvents()).hasSize(restores);
	}

	@Test
	void restoreByTheOperatorRollsBackAndIsAuditedWithTheOperatorsName() throws Exception {
		long target = write("operator-before");
		List<String> atTarget = texts();
		write("operator-after");
		int restores = restoreEvents().size();

		ResponseEntity<Map<String, Object>> response = restore("operator", target);

		assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
		assertThat(texts()).isEqualTo(atTarget).doesNotContain("operator-after");
		List<AuditEvent> events = restoreEvents();
		assertThat(events).hasSize(restores + 1);
		AuditEvent event = events.get(events.size() - 1);
		assertThat(event.getPrincipal()).isEqualTo("operator");
		assertThat(event.getData()).containsEntry("database", "dataSource")
			.containsEntry("operation", "restore")
			.containsEntry("target", "TXID " + LtxFileName.formatTxid(target))
			.containsEntry("outcome", "success")
			.containsEntry("txid", ((Number) response.getBody().get("txid")).longValue());
	}

	@Test
	void healthIsOpenAndEverythingElseOnTheManagementPortNeedsCredentials() {
		assertThat(status(management(null), HttpMethod.GET, "/actuator/health")).isEqualTo(HttpStatus.OK);
		// Let through, but its components are for the operator only (when-authorized)
		assertThat(status(management(null), HttpMethod.GET, "/actuator/health/litestream"))
			.isEqualTo(HttpStatus.NOT_FOUND);
		assertThat(status(management("operator"), HttpMethod.GET, "/actuator/health/litestream"))
			.isEqualTo(HttpStatus.OK);
		assertThat(status(management(null), HttpMethod.GET, "/actuator")).isEqualTo(HttpStatus.UNAUTHORIZED);
		assertThat(status(management(null), HttpMethod.GET, "/actuator/litestream")).isEqualTo(HttpStatus.UNAUTHORIZED);
		assertThat(status(management("viewer"), HttpMethod.GET, "/actuator/litestream"))
			.isEqualTo(HttpStatus.FORBIDDEN);
		assertThat(status(management("operator"), HttpMethod.GET, "/actuator/litestream")).isEqualTo(HttpStatus.OK);
		// Nothing of Actuator on the application's port, credentials or not
		assertThat(status(application("operator"), HttpMethod.POST, "/actuator/litestream/dataSource/sync"))
			.isEqualTo(HttpStatus.NOT_FOUND);
	}

	private LitestreamDatabase database() {
		LitestreamDatabase database = this.databases.get("dataSource");
		assertThat(database).isNotNull();
		return database;
	}

	/**
	 * Inserts a note and waits until the replica holds it.
	 * @return the TXID of the insert, a restorable target
	 */
	private long write(String text) throws Exception {
		this.jdbc.sql("INSERT INTO note (text) VALUES (?)").param(text).update();
		return database().sync().txid();
	}

	private List<String> texts() {
		return this.jdbc.sql("SELECT text FROM note ORDER BY id").query(String.class).list();
	}

	private List<AuditEvent> restoreEvents() {
		return this.auditEvents.find(null, null, "LITESTREAM_RESTORE");
	}

	private ResponseEntity<Map<String, Object>> restore(@Nullable String user, long txid) {
		return management(user).post()
			.uri("/actuator/litestream/dataSource/restore")
			.contentType(MediaType.APPLICATION_JSON)
			.body(Map.of("txid", txid))
			.retrieve()
			.onStatus((status) -> true, (request, response) -> {
			})
			.toEntity(new ParameterizedTypeReference<>() {
			});
	}

	private static HttpStatusCode status(RestClient client, HttpMethod method, String uri) {
		return client.method(method)
			.uri(uri)
			.contentType(MediaType.APPLICATION_JSON)
			.retrieve()
			.onStatus((status) -> true, (request, response) -> {
			})
			.toBodilessEntity()
			.getStatusCode();
	}

	private RestClient management(@Nullable String user) {
		return client(this.managementPort, user);
	}

	private RestClient application(@Nullable String user) {
		return client(this.port, user);
	}

	private static RestClient client(int port, @Nullable String user) {
		return RestClient.builder().baseUrl("http://127.0.0.1:" + port).defaultHeaders((headers) -> {
			if (user != null) {
				headers.setBasicAuth(user, PASSWORDS.get(user));
			}
		}).build();
	}

	private static Path createTempDirectory() {
		try {
			return Files.createTempDirectory("litestream-secured");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@Import(ActuatorSecurityConfiguration.class)
	static class Application {

		@Bean
		InMemoryUserDetailsManager users() {
			return new InMemoryUserDetailsManager(
					User.withUsername("operator")
						.password("{noop}" + PASSWORDS.get("operator"))
						.roles("OPERATOR")
						.build(),
					User.withUsername("viewer").password("{noop}" + PASSWORDS.get("viewer")).roles("USER").build());
		}

		@Bean
		InMemoryAuditEventRepository auditEventRepository() {
			return new InMemoryAuditEventRepository();
		}

	}

}
