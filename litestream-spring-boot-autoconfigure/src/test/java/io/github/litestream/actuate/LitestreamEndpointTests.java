package io.github.litestream.actuate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.jdbc.CompositeReplicationListener;
import io.github.litestream.jdbc.LitestreamDataSource;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.NoCompaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.actuate.audit.AuditEvent;
import org.springframework.boot.actuate.audit.listener.AuditApplicationEvent;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.InvocationContext;
import org.springframework.boot.actuate.endpoint.OperationType;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.invoke.OperationInvoker;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationEventPublisher;
import org.sqlite.SQLiteDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Tests for {@link LitestreamEndpoint}'s request handling: every failure is an answer
 * with a status and an RFC 9457 problem details body; every write operation is recorded.
 */
@ExtendWith(OutputCaptureExtension.class)
class LitestreamEndpointTests {

	@TempDir
	Path dir;

	private LitestreamDataSource dataSource;

	@AfterEach
	void tearDown() {
		if (this.dataSource != null) {
			this.dataSource.close();
		}
	}

	@Test
	void emptyRestoreBodyTargetsTheLatestState() {
		assertThat(LitestreamEndpoint.target(null, null).isLatest()).isTrue();
		assertThat(LitestreamEndpoint.target("", " ").isLatest()).isTrue();
	}

	@Test
	void restoreTargetsATimestampOrATxidInDecimalOrHex() {
		assertThat(LitestreamEndpoint.target("2026-11-25T10:00:00Z", null))
			.isEqualTo(RestoreTarget.at(Instant.parse("2026-11-25T10:00:00Z")));
		assertThat(LitestreamEndpoint.target(null, "42")).isEqualTo(RestoreTarget.txid(42));
		assertThat(LitestreamEndpoint.target(null, "000000000000002a")).isEqualTo(RestoreTarget.txid(42));
	}

	@Test
	void invalidRestoreBodiesAreBadRequests() {
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target("2026-11-25T10:00:00Z", "42"));
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target("yesterday", null))
			.withMessageContaining("ISO-8601");
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target(null, "0"));
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target(null, "abc"));
	}

	@Test
	void unknownDatabaseIsNotFoundWithAProblemBody() {
		LitestreamEndpoint endpoint = new LitestreamEndpoint(new LitestreamDatabases());
		assertThat(endpoint.databases().databases()).isEmpty();
		assertThat(endpoint.database("missing")).isNull();
		WebEndpointResponse<Map<String, Object>> response = endpoint.operate("missing", "sync", null, null, null);
		assertProblem(response, 404);
		assertThat(response.getBody()).containsEntry("title", "Unknown database").containsEntry("database", "missing");
	}

	@Test
	void malformedTargetIsABadRequestNamingTheAcceptedFormats() throws Exception {
		LitestreamEndpoint endpoint = endpoint();
		WebEndpointResponse<Map<String, Object>> response = endpoint.operate("app", "restore", "yesterday", null, null);
		assertProblem(response, 400);
		assertThat(response.getBody().get("detail")).asString()
			.contains("'timestamp' must be an ISO-8601 instant, was 'yesterday'",
					"{\"timestamp\":\"2026-11-25T10:00:00Z\"}", "{\"txid\":42}", "16 hex digits");
		assertProblem(endpoint.operate("app", "restore", null, "abc", null), 400);
		assertProblem(endpoint.operate("app", "restore", "2026-11-25T10:00:00Z", "42", null), 400);
		assertProblem(endpoint.operate("app", "rewind", null, null, null), 400);
		assertProblem(endpoint.operate("app", "sync", null, "42", null), 400);
	}

	@Test
	void targetOutsideTheRestorableRangeIsUnprocessableNamingTheRange() throws Exception {
		LitestreamEndpoint endpoint = endpoint();
		long txid = execute("CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t DEFAULT VALUES");
		List<String> files = replicaFiles();

		WebEndpointResponse<Map<String, Object>> past = endpoint.operate("app", "restore", null,
				Long.toString(txid + 100), null);
		assertProblem(past, 422);
		assertThat(past.getBody()).containsKeys("earliest", "latest").containsEntry("title", "Target not restorable");
		assertThat(past.getBody().get("latest")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
			.containsEntry("txid", txid)
			.containsKeys("timestamp", "txidHex");
		assertThat(past.getBody().get("detail")).asString().contains("the newest TXID is");

		WebEndpointResponse<Map<String, Object>> early = endpoint.operate("app", "restore",
				Instant.now().minusSeconds(3600).toString(), null, null);
		assertProblem(early, 422);
		assertThat(early.getBody().get("detail")).asString().contains("the earliest restorable time is");

		assertThat(replicaFiles()).isEqualTo(files);
		assertThat(this.dataSource.isPaused()).isFalse();
	}

	@Test
	void restoreToTheLatestStateAnswersWithTheResult() throws Exception {
		LitestreamEndpoint endpoint = endpoint();
		long txid = execute("CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t DEFAULT VALUES");
		WebEndpointResponse<Map<String, Object>> response = endpoint.operate("app", "restore", null,
				Long.toString(txid), null);
		assertThat(response.getStatus()).isEqualTo(200);
		assertThat(response.getBody()).containsEntry("txid", txid).containsKeys("files", "durationMillis");
	}

	@Test
	void restoreTargetsATxidInTheHexFormTheLogsUse() {
		assertThat(LitestreamEndpoint.target(null, "0000000000000a3f")).isEqualTo(RestoreTarget.txid(0xa3f));
		assertThat(LitestreamEndpoint.target(null, "0000000000000A3F")).isEqualTo(RestoreTarget.txid(0xa3f));
		assertThat(LitestreamEndpoint.target(null, "2623")).isEqualTo(RestoreTarget.txid(0xa3f));
	}

	@Test
	void badTxidIsABadRequestNamingTheParameterAndTheValue() throws Exception {
		LitestreamEndpoint endpoint = endpoint();
		for (String bad : List.of("a3f", "0xa3f", "-5", "0", "1.5", "000000000000000g", "99999999999999999999")) {
			WebEndpointResponse<Map<String, Object>> response = endpoint.operate("app", "restore", null, bad, null);
			assertProblem(response, 400);
			assertThat(response.getBody().get("detail")).as(bad)
				.asString()
				.contains("'txid'", "was '" + bad + "'", "16 hex digits");
		}
	}

	@Test
	void txidOfAnotherJsonTypeIsABadRequestNamingTheParameterAndTheValue() {
		LitestreamEndpointRequestAdvisor advisor = new LitestreamEndpointRequestAdvisor();
		OperationInvoker failing = advisor.apply(EndpointId.of("litestream"), OperationType.WRITE, null, (context) -> {
			throw new AssertionError("the operation must not run");
		});
		for (Object bad : List.of(true, 1.5, List.of(42), Map.of("value", 42))) {
			WebEndpointResponse<Map<String, Object>> response = invoke(failing, "txid", bad);
			assertProblem(response, 400);
			assertThat(response.getBody().get("detail")).as("%s", bad)
				.asString()
				.contains("'txid'", "was " + bad, "16 hex digits");
		}
		WebEndpointResponse<Map<String, Object>> timestamp = invoke(failing, "timestamp", 1764064800);
		assertProblem(timestamp, 400);
		assertThat(timestamp.getBody().get("detail")).asString().contains("'timestamp'", "was 1764064800", "ISO-8601");
		OperationInvoker passing = advisor.apply(EndpointId.of("litestream"), OperationType.WRITE, null,
				(context) -> "ran");
		for (Object good : List.of(42, 42L, java.math.BigInteger.valueOf(42), "42", "000000000000002a")) {
			assertThat(passing.invoke(new InvocationContext(SecurityContext.NONE,
					Map.of("database", "app", "operation", "restore", "txid", good))))
				.isEqualTo("ran");
		}
	}

	@Test
	void responsesShowEveryTxidInDecimalAndInHex() throws Exception {
		LitestreamEndpoint endpoint = endpoint();
		long txid = execute("CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t DEFAULT VALUES");
		String hex = LtxFileName.formatTxid(txid);
		assertThat(endpoint.operate("app", "sync", null, null, null).getBody()).containsEntry("txid", txid)
			.containsEntry("txidHex", hex);
		assertThat(endpoint.operate("app", "snapshot", null, null, null).getBody()).containsKeys("txid", "txidHex");
		assertThat(endpoint.operate("app", "restore", null, hex, null).getBody()).containsEntry("txid", txid)
			.containsEntry("txidHex", hex);

		JsonMapper json = JsonMapper.builder().build();
		JsonNode all = json.valueToTree(endpoint.databases()).get("databases").get("app");
		assertThat(all.get("txidHex").asString()).isEqualTo(LtxFileName.formatTxid(all.get("txid").asLong()));
		JsonNode replica = all.get("replicas").get("file");
		assertThat(replica.get("txidHex").asString()).isEqualTo(LtxFileName.formatTxid(replica.get("txid").asLong()));

		JsonNode detail = json.valueToTree(endpoint.database("app"));
		assertThat(detail.get("txidHex").asString()).isEqualTo(LtxFileName.formatTxid(detail.get("txid").asLong()));
		JsonNode detailReplica = detail.get("replicas").get("file");
		assertThat(detailReplica.get("txidHex").asString())
			.isEqualTo(LtxFileName.formatTxid(detailReplica.get("txid").asLong()));
		JsonNode latest = detailReplica.get("restorable").get("latest");
		assertThat(latest.get("txidHex").asString()).isEqualTo(LtxFileName.formatTxid(latest.get("txid").asLong()));
	}

	@Test
	void unknownReplicaTxidHasNoHexForm() {
		assertThat(new LitestreamEndpoint.ReplicaDescriptor("file:///r", -1, 0.0, null, null, null, null).getTxidHex())
			.isNull();
	}

	@SuppressWarnings("unchecked")
	private static WebEndpointResponse<Map<String, Object>> invoke(OperationInvoker invoker, String key, Object value) {
		Object result = invoker.invoke(new InvocationContext(SecurityContext.NONE,
				Map.of("database", "app", "operation", "restore", key, value)));
		assertThat(result).isInstanceOf(WebEndpointResponse.class);
		return (WebEndpointResponse<Map<String, Object>>) result;
	}

	@Test
	void eachWriteOperationIsAuditedWithItsPrincipalTargetAndOutcome(CapturedOutput output) throws Exception {
		List<AuditEvent> events = new CopyOnWriteArrayList<>();
		LitestreamEndpoint endpoint = endpoint((event) -> events.add(((AuditApplicationEvent) event).getAuditEvent()));
		long txid = execute("CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t DEFAULT VALUES");
		Principal operator = () -> "operator";

		assertThat(endpoint.operate("app", "restore", null, Long.toString(txid), operator).getStatus()).isEqualTo(200);
		assertThat(endpoint.operate("app", "restore", null, Long.toString(txid + 100), operator).getStatus())
			.isEqualTo(422);
		assertThat(endpoint.operate("app", "restore", "yesterday", null, operator).getStatus()).isEqualTo(400);
		assertThat(endpoint.operate("app", "sync", null, null, null).getStatus()).isEqualTo(200);

		assertThat(events).extracting(AuditEvent::getPrincipal, AuditEvent::getType)
			.containsExactly(tuple("operator", "LITESTREAM_RESTORE"), tuple("operator", "LITESTREAM_RESTORE"),
					tuple("operator", "LITESTREAM_RESTORE"), tuple("", "LITESTREAM_SYNC"));
		AuditEvent restored = events.get(0);
		assertThat(restored.getData()).containsEntry("database", "app")
			.containsEntry("operation", "restore")
			.containsEntry("target", "TXID " + LtxFileName.formatTxid(txid))
			.containsEntry("outcome", "success")
			.containsKeys("txid", "txidHex")
			.doesNotContainKeys("status", "reason");
		assertThat(events.get(1).getData()).containsEntry("outcome", "failure")
			.containsEntry("status", 422)
			.containsEntry("target", "TXID " + LtxFileName.formatTxid(txid + 100))
			.doesNotContainKey("txid");
		assertThat(events.get(1).getData().get("reason")).asString().startsWith("Target not restorable: ");
		assertThat(events.get(2).getData()).containsEntry("target", "timestamp 'yesterday'")
			.containsEntry("status", 400);
		assertThat(events.get(3).getData()).containsEntry("outcome", "success").doesNotContainKey("target");

		assertThat(output.getOut()).contains(
				"Endpoint operation 'restore' on database 'app' (target TXID " + LtxFileName.formatTxid(txid)
						+ ") by 'operator' succeeded at TXID " + restored.getData().get("txidHex"),
				"Endpoint operation 'restore' on database 'app' (target TXID " + LtxFileName.formatTxid(txid + 100)
						+ ") by 'operator' failed with 422: Target not restorable: ",
				"Endpoint operation 'sync' on database 'app' by an unauthenticated caller succeeded at TXID ");
	}

	@Test
	void auditLogLinesCannotBeForgedThroughTheRequest(CapturedOutput output) {
		LitestreamEndpoint endpoint = new LitestreamEndpoint(new LitestreamDatabases());
		endpoint.operate("x\nEndpoint operation 'restore' on database 'app' by 'admin' succeeded", "sync", null, null,
				null);
		assertThat(output.getOut()).doesNotContain("\nEndpoint operation 'restore'")
			.contains("Endpoint operation 'sync' on database 'x?Endpoint operation 'restore'");
	}

	@Test
	void unknownKeysAreRejectedBeforeTheOperationRuns() {
		LitestreamEndpointRequestAdvisor advisor = new LitestreamEndpointRequestAdvisor();
		OperationInvoker failing = (context) -> {
			throw new AssertionError("the operation must not run");
		};
		OperationInvoker invoker = advisor.apply(EndpointId.of("litestream"), OperationType.WRITE, null, failing);
		Object result = invoker.invoke(new InvocationContext(SecurityContext.NONE,
				Map.of("database", "app", "operation", "restore", "foo", 1)));
		assertThat(result).isInstanceOf(WebEndpointResponse.class);
		@SuppressWarnings("unchecked")
		WebEndpointResponse<Map<String, Object>> response = (WebEndpointResponse<Map<String, Object>>) result;
		assertProblem(response, 400);
		assertThat(response.getBody()).containsEntry("unknownKeys", List.of("foo"));
		OperationInvoker passing = advisor.apply(EndpointId.of("litestream"), OperationType.WRITE, null,
				(context) -> "ran");
		assertThat(passing.invoke(new InvocationContext(SecurityContext.NONE,
				Map.of("database", "app", "operation", "restore", "txid", "42"))))
			.isEqualTo("ran");
		assertThat(advisor.apply(EndpointId.of("health"), OperationType.WRITE, null, failing)).isSameAs(failing);
	}

	private static void assertProblem(WebEndpointResponse<Map<String, Object>> response, int status) {
		assertThat(response.getStatus()).isEqualTo(status);
		assertThat(response.getContentType()).hasToString("application/problem+json");
		assertThat(response.getBody()).containsEntry("status", status).containsKeys("type", "title", "detail");
	}

	private LitestreamEndpoint endpoint() throws Exception {
		return endpoint(null);
	}

	private LitestreamEndpoint endpoint(ApplicationEventPublisher auditEvents) throws Exception {
		Path db = this.dir.resolve("app.db");
		FileReplicaClient client = new FileReplicaClient(this.dir.resolve("replica"));
		List<Replica> replicas = List.of(new Replica("file", client.location(), client, Duration.ZERO));
		CompositeReplicationListener listener = new CompositeReplicationListener();
		// No compaction while a test compares the replica's files before and after
		ReplicatorConfig config = LitestreamDatabase.config(
				NoCompaction.of(ReplicatorConfig.builder("app", db).monitorInterval(Duration.ofMillis(50))), replicas,
				listener);
		LitestreamDatabase database = new LitestreamDatabase(config, replicas,
				new LitestreamDatabase.Settings(true, IntegrityCheck.QUICK, Duration.ofMillis(300)), listener);
		SQLiteDataSource sqlite = new SQLiteDataSource();
		sqlite.setUrl("jdbc:sqlite:" + db);
		this.dataSource = new LitestreamDataSource(sqlite, database);
		database.start();
		LitestreamDatabases databases = new LitestreamDatabases();
		databases.register(database);
		this.database = database;
		return (auditEvents != null) ? new LitestreamEndpoint(databases, auditEvents)
				: new LitestreamEndpoint(databases);
	}

	private LitestreamDatabase database;

	private long execute(String... sql) throws Exception {
		try (Connection connection = this.dataSource.getConnection();
				Statement statement = connection.createStatement()) {
			for (String s : sql) {
				statement.execute(s);
			}
		}
		return this.database.sync().txid();
	}

	private List<String> replicaFiles() throws Exception {
		try (Stream<Path> files = Files.walk(this.dir.resolve("replica"))) {
			return files.filter(Files::isRegularFile)
				.map((file) -> this.dir.relativize(file).toString())
				.sorted()
				.toList();
		}
	}

}
