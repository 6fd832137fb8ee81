package io.github.litestream.actuate;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;

import io.github.litestream.core.LeaseStatus;
import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.RestoreTarget;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code litestream} endpoint: every replicated database with its replicas, their
 * position and lag; one database with its restorable range and files per level; and the
 * write operations {@code sync}, {@code snapshot} and {@code restore}, reachable only
 * when {@code management.endpoint.litestream.access} is {@code unrestricted}.
 */
@Endpoint(id = "litestream", defaultAccess = Access.READ_ONLY)
public class LitestreamEndpoint {

	/** Most files listed per level in the detail view (the newest are kept). */
	static final int MAX_FILES_PER_LEVEL = 100;

	private final LitestreamDatabases databases;

	/**
	 * Creates the endpoint.
	 * @param databases the replicated databases
	 */
	public LitestreamEndpoint(LitestreamDatabases databases) {
		this.databases = databases;
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
	 * {@code restore}.
	 * @param database the DataSource bean name
	 * @param operation the operation
	 * @param timestamp for {@code restore}: the point in time (ISO-8601)
	 * @param txid for {@code restore}: the TXID, decimal or 16 hex digits
	 * @return what was done
	 */
	@WriteOperation
	public Map<String, Object> operate(@Selector String database, @Selector String operation,
			@Nullable String timestamp, @Nullable String txid) {
		LitestreamDatabase found = this.databases.get(database);
		if (found == null) {
			throw new InvalidEndpointRequestException(
					"Unknown database '" + database + "'; known: " + this.databases.getNames(), "Unknown database");
		}
		try {
			return switch (operation) {
				case "sync" -> syncResult(found.sync());
				case "snapshot" -> syncResult(found.snapshot());
				case "restore" -> restoreResult(found.restoreInPlace(target(timestamp, txid)));
				default -> throw new InvalidEndpointRequestException(
						"Unknown operation '" + operation + "'; use sync, snapshot or restore", "Unknown operation");
			};
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted", ex);
		}
		catch (IOException | TimeoutException ex) {
			throw new IllegalStateException(
					"Operation '" + operation + "' on database '" + database + "' failed: " + ex.getMessage(), ex);
		}
	}

	static RestoreTarget target(@Nullable String timestamp, @Nullable String txid) {
		if (timestamp != null && !timestamp.isBlank() && txid != null && !txid.isBlank()) {
			throw new InvalidEndpointRequestException("Give either 'timestamp' or 'txid', not both",
					"Both timestamp and txid");
		}
		if (timestamp != null && !timestamp.isBlank()) {
			try {
				return RestoreTarget.at(Instant.parse(timestamp));
			}
			catch (DateTimeParseException ex) {
				throw new InvalidEndpointRequestException(
						"'timestamp' must be ISO-8601 such as 2026-11-25T10:00:00Z, was '" + timestamp + "'",
						"Invalid timestamp");
			}
		}
		if (txid != null && !txid.isBlank()) {
			try {
				long value = (txid.length() == 16) ? Long.parseUnsignedLong(txid, 16) : Long.parseLong(txid);
				if (value <= 0) {
					throw new NumberFormatException("not positive");
				}
				return RestoreTarget.txid(value);
			}
			catch (NumberFormatException ex) {
				throw new InvalidEndpointRequestException(
						"'txid' must be a positive decimal number or 16 hex digits, was '" + txid + "'",
						"Invalid txid");
			}
		}
		return RestoreTarget.latest();
	}

	private static Map<String, Object> syncResult(LitestreamDatabase.SyncOutcome outcome) {
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("txid", outcome.txid());
		result.put("replicated", outcome.replicated());
		return result;
	}

	private static Map<String, Object> restoreResult(RestoreResult restored) {
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("txid", restored.txid());
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
									LeaseDescriptor.of(replicaStatus.lease()))
							: new ReplicaDescriptor(replica.url(), -1, 0.0, null, null, null));
		}
		long size = size(database);
		if (status == null) {
			return new DatabaseDescriptor(database.getPath().toString(), 0, 0, 0, size,
					database.isStopping() ? "STOPPED" : "NEW", null, null, replicas);
		}
		return new DatabaseDescriptor(status.path().toString(), status.pageSize(), status.txid(), status.walSize(),
				size, status.state(), status.lastSyncAt(), status.lastError(), replicas);
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
	 */
	public record DatabaseDescriptor(String path, int pageSize, long txid, long walSize, long size, String state,
			@Nullable Instant lastSyncAt, @Nullable String lastError, Map<String, ReplicaDescriptor> replicas) {
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
	 */
	public record ReplicaDescriptor(String url, long txid, double lagSeconds, @Nullable Instant lastSyncAt,
			@Nullable String lastError, @Nullable LeaseDescriptor lease) {
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
		 * Returns the TXID as Litestream prints it.
		 * @return 16 hex digits
		 */
		public String txidHex() {
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

}
