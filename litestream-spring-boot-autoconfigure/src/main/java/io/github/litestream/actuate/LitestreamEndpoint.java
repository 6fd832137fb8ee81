package io.github.litestream.actuate;

import java.io.IOException;
import java.nio.file.Files;
import java.security.Principal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;

import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.LeaseStatus;
import io.github.litestream.restore.NoBackupException;
import io.github.litestream.restore.RestorableRange;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.RestoreTargetException;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.util.MimeType;

/**
 * The {@code litestream} endpoint: every replicated database with its replicas, their
 * position and lag; one database with its restorable range and files per level; and the
 * write operations {@code sync}, {@code snapshot} and {@code restore}, reachable only
 * when {@code management.endpoint.litestream.access} is {@code unrestricted}. Each write
 * operation is recorded with its caller and outcome: an INFO log line and, where the
 * endpoint was given a publisher, an audit event (see {@link OperationAudit}).
 */
@Endpoint(id = "litestream", defaultAccess = Access.READ_ONLY)
public class LitestreamEndpoint {

	/** Most files listed per level in the detail view (the newest are kept). */
	static final int MAX_FILES_PER_LEVEL = 100;

	/** The keys a write operation takes: the path selectors and the restore target. */
	static final Set<String> KEYS = Set.of("database", "operation", "timestamp", "txid");

	static final MimeType PROBLEM_JSON = MimeType.valueOf("application/problem+json");

	private static final Set<String> OPERATIONS = Set.of("sync", "snapshot", "restore");

	private static final int STATUS_CONFLICT = 409;

	private static final int STATUS_UNPROCESSABLE_CONTENT = 422;

	private static final String ACCEPTED_TARGETS = "Send {\"timestamp\":\"2026-11-25T10:00:00Z\"} (ISO-8601), "
			+ "{\"txid\":42} or {\"txid\":\"000000000000002a\"} (decimal or 16 hex digits), "
			+ "or no body for the latest state";

	private final LitestreamDatabases databases;

	private final OperationAudit audit;

	/**
	 * Creates an endpoint that records its write operations in the log only.
	 * @param databases the replicated databases
	 */
	public LitestreamEndpoint(LitestreamDatabases databases) {
		this.databases = databases;
		this.audit = new OperationAudit();
	}

	/**
	 * Creates an endpoint that records its write operations in the log and as Actuator
	 * audit events ({@code LITESTREAM_SYNC}, {@code LITESTREAM_SNAPSHOT},
	 * {@code LITESTREAM_RESTORE}).
	 * @param databases the replicated databases
	 * @param auditEventPublisher where the
	 * {@link org.springframework.boot.actuate.audit.listener.AuditApplicationEvent}s go:
	 * the application context, when an {@code AuditEventRepository} records them
	 */
	public LitestreamEndpoint(LitestreamDatabases databases, ApplicationEventPublisher auditEventPublisher) {
		this.databases = databases;
		this.audit = new OperationAudit(auditEventPublisher);
	}

	/**
	 * Describes every database.
	 * @return the databases by DataSource bean name
	 */
	@ReadOperation
	public DatabasesDescriptor databases() {
		Map<String, DatabaseDescriptor> result = new LinkedHashMap<>();
		for (LitestreamDatabase database : this.databases.getAll()) {
			result.put(database.getName(), describe(database));
		}
		return new DatabasesDescriptor(result);
	}

	/**
	 * Describes one database, with the restorable range and the files per level of each
	 * replica.
	 * @param database the DataSource bean name
	 * @return the detail, or {@code null} (404) for an unknown database
	 */
	@ReadOperation
	public @Nullable DatabaseDetailDescriptor database(@Selector String database) {
		LitestreamDatabase found = this.databases.get(database);
		if (found == null) {
			return null;
		}
		DatabaseDescriptor summary = describe(found);
		Map<String, ReplicaDetailDescriptor> replicas = new LinkedHashMap<>();
		for (Replica replica : found.getReplicas()) {
			ReplicaDescriptor status = summary.replicas().get(replica.name());
			try {
				replicas.put(replica.name(), detail(status, found.listFiles(replica), null));
			}
			catch (IOException | RuntimeException ex) {
				replicas.put(replica.name(), detail(status, List.of(), ex.getMessage()));
			}
		}
		return new DatabaseDetailDescriptor(summary.path(), summary.pageSize(), summary.txid(), summary.walSize(),
				summary.size(), summary.state(), summary.lastSyncAt(), summary.lastError(), replicas);
	}

	/**
	 * Runs a write operation on one database: {@code sync}, {@code snapshot} or
	 * {@code restore}. Every failure is an answer with an RFC 9457 problem details body
	 * ({@code application/problem+json}): 400 for a malformed request, 404 for an unknown
	 * database, 422 for a restore target outside the restorable range (naming that
	 * range), 409 when the replicas or the engine's state prevent the operation, 503 when
	 * borrowed connections were not returned in time, 500 otherwise. A restore that fails
	 * validation or planning changes nothing. Each call is recorded with the principal,
	 * the target and the outcome.
	 * @param database the DataSource bean name
	 * @param operation the operation
	 * @param timestamp for {@code restore}: the point in time (ISO-8601)
	 * @param txid for {@code restore}: the TXID, decimal or 16 hex digits
	 * @param principal who asked (passed by Actuator, not part of the request body),
	 * {@code null} when the request is not authenticated
	 * @return what was done, or the problem
	 */
	@WriteOperation
	public WebEndpointResponse<Map<String, Object>> operate(@Selector String database, @Selector String operation,
			@Nullable String timestamp, @Nullable String txid, @Nullable Principal principal) {
		String target = "restore".equals(operation) ? describeTarget(timestamp, txid) : null;
		try {
			Map<String, Object> result = run(database, operation, timestamp, txid);
			this.audit.succeeded(principal, database, operation, target, ((Number) result.get("txid")).longValue());
			return new WebEndpointResponse<>(result, WebEndpointResponse.STATUS_OK);
		}
		catch (EndpointProblem problem) {
			this.audit.failed(principal, database, operation, target, problem.status(),
					problem.title() + ": " + problem.getMessage());
			return problem.response();
		}
		catch (RuntimeException ex) {
			this.audit.failed(principal, database, operation, target, WebEndpointResponse.STATUS_INTERNAL_SERVER_ERROR,
					String.valueOf(ex));
			throw ex;
		}
	}

	/**
	 * Describes a restore's target for the record: as parsed, or as sent when it does not
	 * parse (the request then fails with 400).
	 */
	private static String describeTarget(@Nullable String timestamp, @Nullable String txid) {
		try {
			return target(timestamp, txid).toString();
		}
		catch (EndpointProblem ex) {
			List<String> sent = new ArrayList<>();
			if (hasText(timestamp)) {
				sent.add("timestamp '" + timestamp + "'");
			}
			if (hasText(txid)) {
				sent.add("txid '" + txid + "'");
			}
			return String.join(" and ", sent);
		}
	}

	private Map<String, Object> run(String database, String operation, @Nullable String timestamp,
			@Nullable String txid) {
		LitestreamDatabase found = this.databases.get(database);
		if (found == null) {
			throw new EndpointProblem(WebEndpointResponse.STATUS_NOT_FOUND, "Unknown database",
					"No replicated database is named '" + database + "'; known: " + this.databases.getNames())
				.with("database", database);
		}
		if (!OPERATIONS.contains(operation)) {
			throw new EndpointProblem(WebEndpointResponse.STATUS_BAD_REQUEST, "Unknown operation",
					"Unknown operation '" + operation + "'; use sync, snapshot or restore")
				.with("operation", operation);
		}
		if (!"restore".equals(operation) && (hasText(timestamp) || hasText(txid))) {
			throw new EndpointProblem(WebEndpointResponse.STATUS_BAD_REQUEST, "Unexpected restore target",
					"'" + operation + "' takes no 'timestamp' or 'txid'; only 'restore' does");
		}
		RestoreTarget target = "restore".equals(operation) ? target(timestamp, txid) : null;
		try {
			return switch (operation) {
				case "sync" -> syncResult(found.sync());
				case "snapshot" -> syncResult(found.snapshot());
				default -> restoreResult(found.restoreInPlace(target));
			};
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new EndpointProblem(WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, "Interrupted",
					"Operation '" + operation + "' on database '" + database + "' was interrupted");
		}
		catch (TimeoutException ex) {
			throw new EndpointProblem(WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, "Connections still borrowed",
					ex.getMessage());
		}
		catch (RestoreTargetException ex) {
			EndpointProblem problem = new EndpointProblem(STATUS_UNPROCESSABLE_CONTENT, "Target not restorable",
					ex.getMessage())
				.with("target", ex.getTarget().toString());
			RestorableRange range = ex.getRange();
			if (range != null) {
				problem.with("earliest", point(range.earliestTimestamp(), range.earliestTxid()))
					.with("latest", point(range.latestTimestamp(), range.latestTxid()));
			}
			throw problem;
		}
		catch (NoBackupException ex) {
			throw new EndpointProblem(STATUS_CONFLICT, "No backup", ex.getMessage());
		}
		catch (RestoreException ex) {
			throw new EndpointProblem(STATUS_CONFLICT, "Restore not possible", ex.getMessage());
		}
		catch (IllegalStateException ex) {
			throw new EndpointProblem(STATUS_CONFLICT, "Not possible now", ex.getMessage());
		}
		catch (IOException | RuntimeException ex) {
			throw new EndpointProblem(WebEndpointResponse.STATUS_INTERNAL_SERVER_ERROR, "Operation failed",
					"Operation '" + operation + "' on database '" + database + "' failed: " + ex.getMessage());
		}
	}

	static RestoreTarget target(@Nullable String timestamp, @Nullable String txid) {
		if (hasText(timestamp) && hasText(txid)) {
			throw badTarget("Give either 'timestamp' or 'txid', not both");
		}
		if (hasText(timestamp)) {
			try {
				return RestoreTarget.at(Instant.parse(timestamp));
			}
			catch (DateTimeParseException ex) {
				throw badTarget("'timestamp' must be an ISO-8601 instant, was '" + timestamp + "'");
			}
		}
		if (hasText(txid)) {
			try {
				long value = (txid.length() == 16) ? Long.parseUnsignedLong(txid, 16) : Long.parseLong(txid);
				if (value <= 0) {
					throw new NumberFormatException("not positive");
				}
				return RestoreTarget.txid(value);
			}
			catch (NumberFormatException ex) {
				throw badTarget("'txid' must be a positive decimal number or 16 hex digits, was '" + txid + "'");
			}
		}
		return RestoreTarget.latest();
	}

	/**
	 * Answers a request whose restore target cannot be read.
	 * @param reason what is wrong, naming the key and the value sent
	 * @return the 400 answer, naming the accepted forms
	 */
	static WebEndpointResponse<Map<String, Object>> invalidTarget(String reason) {
		return badTarget(reason).response();
	}

	private static EndpointProblem badTarget(String reason) {
		return new EndpointProblem(WebEndpointResponse.STATUS_BAD_REQUEST, "Invalid restore target",
				reason + ". " + ACCEPTED_TARGETS)
			.with("accepted", List.of(Map.of("timestamp", "2026-11-25T10:00:00Z"), Map.of("txid", 42),
					Map.of("txid", "000000000000002a"), Map.of()));
	}

	/**
	 * Answers a request that carries keys the operation does not take.
	 * @param unknown the unknown keys
	 * @return the 400 answer
	 */
	static WebEndpointResponse<Map<String, Object>> unknownKeys(Collection<String> unknown) {
		return new EndpointProblem(WebEndpointResponse.STATUS_BAD_REQUEST, "Unknown keys",
				"Unknown key(s) " + unknown + "; 'restore' takes 'timestamp' or 'txid'. " + ACCEPTED_TARGETS)
			.with("unknownKeys", List.copyOf(unknown))
			.response();
	}

	private static boolean hasText(@Nullable String text) {
		return text != null && !text.isBlank();
	}

	private static Map<String, Object> point(Instant timestamp, long txid) {
		Map<String, Object> point = new LinkedHashMap<>();
		point.put("timestamp", timestamp.toString());
		point.put("txid", txid);
		point.put("txidHex", LtxFileName.formatTxid(txid));
		return point;
	}

	private static Map<String, Object> syncResult(LitestreamDatabase.SyncOutcome outcome) {
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("txid", outcome.txid());
		result.put("txidHex", LtxFileName.formatTxid(outcome.txid()));
		result.put("replicated", outcome.replicated());
		return result;
	}

	private static Map<String, Object> restoreResult(RestoreResult restored) {
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("txid", restored.txid());
		result.put("txidHex", LtxFileName.formatTxid(restored.txid()));
		result.put("timestamp", restored.timestamp());
		result.put("files", restored.fileCount());
		result.put("durationMillis", restored.duration().toMillis());
		return result;
	}

	private static DatabaseDescriptor describe(LitestreamDatabase database) {
		ReplicatorStatus status = database.status();
		Map<String, ReplicaDescriptor> replicas = new LinkedHashMap<>();
		Map<String, ReplicaStatus> byName = new LinkedHashMap<>();
		if (status != null) {
			status.replicas().forEach((replica) -> byName.put(replica.name(), replica));
		}
		for (Replica replica : database.getReplicas()) {
			ReplicaStatus replicaStatus = byName.get(replica.name());
			replicas.put(replica.name(),
					(replicaStatus != null)
							? new ReplicaDescriptor(replica.url(), replicaStatus.txid(), replicaStatus.lagSeconds(),
									replicaStatus.lastSyncAt(), replicaStatus.lastError(),
									LeaseDescriptor.of(replicaStatus.lease()), replicaStatus.attachment())
							: new ReplicaDescriptor(replica.url(), -1, 0.0, null, null, null, null));
		}
		long size = size(database);
		if (status == null) {
			LitestreamDatabase.Handover handover = database.getHandover();
			String state = (handover != null) ? "HANDED_OVER" : database.isStopping() ? "STOPPED" : "NEW";
			return new DatabaseDescriptor(database.getPath().toString(), 0, (handover != null) ? handover.txid() : 0, 0,
					size, state, null,
					(handover != null) ? "handed over to " + handover.to() + " at " + handover.at() : null, replicas,
					database.getOwnership().state().name(), database.getOwnership().reason());
		}
		return new DatabaseDescriptor(status.path().toString(), status.pageSize(), status.txid(), status.walSize(),
				size, status.state(), status.lastSyncAt(), status.lastError(), replicas,
				database.getOwnership().state().name(), database.getOwnership().reason());
	}

	/**
	 * The hex form of a TXID, {@code null} for the -1 that stands for "not known yet".
	 */
	private static @Nullable String hex(long txid) {
		return (txid < 0) ? null : LtxFileName.formatTxid(txid);
	}

	private static long size(LitestreamDatabase database) {
		try {
			return Files.size(database.getPath());
		}
		catch (IOException ex) {
			return 0;
		}
	}

	private static ReplicaDetailDescriptor detail(@Nullable ReplicaDescriptor status, List<LtxFileInfo> files,
			@Nullable String listError) {
		RestorePointDescriptor earliest = null;
		RestorePointDescriptor latest = null;
		Map<Integer, List<LtxFileInfo>> byLevel = new TreeMap<>();
		for (LtxFileInfo file : files) {
			byLevel.computeIfAbsent(file.level(), (level) -> new ArrayList<>()).add(file);
			if (file.minTxid() == 1 && (earliest == null || file.createdAt().isBefore(earliest.timestamp()))) {
				earliest = new RestorePointDescriptor(file.createdAt(), file.maxTxid());
			}
			if (latest == null || Long.compareUnsigned(file.maxTxid(), latest.txid()) > 0) {
				latest = new RestorePointDescriptor(file.createdAt(), file.maxTxid());
			}
		}
		Map<String, LevelDescriptor> levels = new LinkedHashMap<>();
		byLevel.forEach((level, list) -> {
			long bytes = list.stream().mapToLong(LtxFileInfo::size).sum();
			List<FileDescriptor> shown = list.subList(Math.max(0, list.size() - MAX_FILES_PER_LEVEL), list.size())
				.stream()
				.map((file) -> new FileDescriptor(file.fileName(), file.minTxid(), file.maxTxid(), file.size(),
						file.createdAt()))
				.toList();
			levels.put(Integer.toString(level), new LevelDescriptor(list.size(), bytes, shown));
		});
		RestorableDescriptor restorable = (earliest != null && latest != null)
				? new RestorableDescriptor(earliest, latest) : null;
		return new ReplicaDetailDescriptor((status != null) ? status.url() : null,
				(status != null) ? status.txid() : -1, (status != null) ? status.lagSeconds() : 0.0,
				(status != null) ? status.lastSyncAt() : null, (status != null) ? status.lastError() : listError,
				(status != null) ? status.lease() : null, restorable, levels);
	}

	/**
	 * Every database.
	 *
	 * @param databases by DataSource bean name
	 */
	public record DatabasesDescriptor(Map<String, DatabaseDescriptor> databases) {
	}

	/**
	 * One database.
	 *
	 * @param path the database file
	 * @param pageSize the page size
	 * @param txid the local TXID
	 * @param walSize the WAL size in bytes
	 * @param size the database file size in bytes
	 * @param state the engine state
	 * @param lastSyncAt when the last local L0 file was written
	 * @param lastError the last sync failure
	 * @param replicas by replica name
	 * @param ownership the ownership state (DESIGN 4.14): {@code OWNER} while this
	 * instance acknowledges writes
	 * @param ownershipReason why the database is in that state
	 */
	public record DatabaseDescriptor(String path, int pageSize, long txid, long walSize, long size, String state,
			@Nullable Instant lastSyncAt, @Nullable String lastError, Map<String, ReplicaDescriptor> replicas,
			String ownership, String ownershipReason) {

		/**
		 * Returns the local TXID as the logs and file names show it.
		 * @return 16 hex digits
		 */
		public String getTxidHex() {
			return LtxFileName.formatTxid(this.txid);
		}

	}

	/**
	 * One replica of a database.
	 *
	 * @param url where the replica is
	 * @param txid the highest TXID it holds, -1 while unknown
	 * @param lagSeconds seconds since the oldest commit it does not hold, 0 when caught
	 * up
	 * @param lastSyncAt when the last upload finished
	 * @param lastError the last upload failure
	 * @param lease the replica's lease, {@code null} before the engine started
	 * @param attachment whether the engine continues the replica's history
	 * ({@code READING}, {@code ATTACHED}, {@code NEW_HISTORY} or {@code REFUSED}, see
	 * {@link ReplicaStatus#attachment()}), {@code null} before the engine started
	 */
	public record ReplicaDescriptor(String url, long txid, double lagSeconds, @Nullable Instant lastSyncAt,
			@Nullable String lastError, @Nullable LeaseDescriptor lease, @Nullable String attachment) {

		/**
		 * Returns the replica's TXID as the logs and file names show it.
		 * @return 16 hex digits, {@code null} while the TXID is unknown
		 */
		public @Nullable String getTxidHex() {
			return hex(this.txid);
		}

	}

	/**
	 * The lease of a replica: who may write it.
	 *
	 * @param state {@code DISABLED}, {@code WAITING}, {@code HELD}, {@code FENCED},
	 * {@code CONFLICT} or {@code STOPPED} (see {@link LeaseStatus#state()})
	 * @param holder the holder ({@code host:pid}), {@code null} when unknown
	 * @param held whether this instance holds it
	 * @param epoch the lease generation
	 * @param expiresAt when it expires unless renewed
	 * @param detail why it is not {@code HELD}
	 */
	public record LeaseDescriptor(String state, @Nullable String holder, boolean held, long epoch,
			@Nullable Instant expiresAt, @Nullable String detail) {

		static LeaseDescriptor of(LeaseStatus lease) {
			return new LeaseDescriptor(lease.state(), lease.holder(), lease.held(), lease.epoch(), lease.expiresAt(),
					lease.detail());
		}

	}

	/**
	 * One database in detail.
	 *
	 * @param path the database file
	 * @param pageSize the page size
	 * @param txid the local TXID
	 * @param walSize the WAL size in bytes
	 * @param size the database file size in bytes
	 * @param state the engine state
	 * @param lastSyncAt when the last local L0 file was written
	 * @param lastError the last sync failure
	 * @param replicas by replica name
	 */
	public record DatabaseDetailDescriptor(String path, int pageSize, long txid, long walSize, long size, String state,
			@Nullable Instant lastSyncAt, @Nullable String lastError, Map<String, ReplicaDetailDescriptor> replicas) {

		/**
		 * Returns the local TXID as the logs and file names show it.
		 * @return 16 hex digits
		 */
		public String getTxidHex() {
			return LtxFileName.formatTxid(this.txid);
		}

	}

	/**
	 * One replica in detail.
	 *
	 * @param url where the replica is
	 * @param txid the highest TXID it holds
	 * @param lagSeconds the lag in seconds
	 * @param lastSyncAt when the last upload finished
	 * @param lastError the last failure
	 * @param lease the replica's lease
	 * @param restorable the restorable range, {@code null} when the replica holds no
	 * snapshot
	 * @param levels files by level
	 */
	public record ReplicaDetailDescriptor(@Nullable String url, long txid, double lagSeconds,
			@Nullable Instant lastSyncAt, @Nullable String lastError, @Nullable LeaseDescriptor lease,
			@Nullable RestorableDescriptor restorable, Map<String, LevelDescriptor> levels) {

		/**
		 * Returns the replica's TXID as the logs and file names show it.
		 * @return 16 hex digits, {@code null} while the TXID is unknown
		 */
		public @Nullable String getTxidHex() {
			return hex(this.txid);
		}

	}

	/**
	 * The range a replica can restore.
	 *
	 * @param earliest the earliest restorable point
	 * @param latest the latest restorable point
	 */
	public record RestorableDescriptor(RestorePointDescriptor earliest, RestorePointDescriptor latest) {
	}

	/**
	 * A restorable point.
	 *
	 * @param timestamp its time
	 * @param txid its TXID
	 */
	public record RestorePointDescriptor(Instant timestamp, long txid) {

		/**
		 * Returns the TXID as Litestream prints it (a getter, so that JSON shows it).
		 * @return 16 hex digits
		 */
		public String getTxidHex() {
			return LtxFileName.formatTxid(this.txid);
		}

	}

	/**
	 * The files of one level.
	 *
	 * @param count the number of files
	 * @param bytes their total size
	 * @param files the newest files (at most
	 * {@value LitestreamEndpoint#MAX_FILES_PER_LEVEL})
	 */
	public record LevelDescriptor(int count, long bytes, List<FileDescriptor> files) {
	}

	/**
	 * One LTX file.
	 *
	 * @param name the file name
	 * @param minTxid the first TXID
	 * @param maxTxid the last TXID
	 * @param size the size in bytes
	 * @param createdAt the header timestamp
	 */
	public record FileDescriptor(String name, long minTxid, long maxTxid, long size, Instant createdAt) {
	}

	/**
	 * A failed operation as an RFC 9457 problem: status, title, detail and extension
	 * members. Thrown inside the endpoint, answered as {@code application/problem+json}.
	 */
	static final class EndpointProblem extends InvalidEndpointRequestException {

		private final int status;

		private final String title;

		private final Map<String, Object> extensions = new LinkedHashMap<>();

		EndpointProblem(int status, String title, @Nullable String detail) {
			super(String.valueOf(detail), title);
			this.status = status;
			this.title = title;
		}

		EndpointProblem with(String name, Object value) {
			this.extensions.put(name, value);
			return this;
		}

		int status() {
			return this.status;
		}

		String title() {
			return this.title;
		}

		Map<String, Object> body() {
			Map<String, Object> body = new LinkedHashMap<>();
			body.put("type", "about:blank");
			body.put("title", this.title);
			body.put("status", this.status);
			body.put("detail", getMessage());
			body.putAll(this.extensions);
			return body;
		}

		WebEndpointResponse<Map<String, Object>> response() {
			return new WebEndpointResponse<>(body(), this.status, PROBLEM_JSON);
		}

	}

}
