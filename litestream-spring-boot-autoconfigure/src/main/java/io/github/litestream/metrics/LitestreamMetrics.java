package io.github.litestream.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

import io.github.litestream.autoconfigure.S3RequestListenerFactory;
import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.core.RestoreResult;
import io.github.litestream.core.SyncResult;
import io.github.litestream.core.UploadResult;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.ownership.LeaseStatus;
import io.github.litestream.ownership.OwnershipState;
import io.github.litestream.storage.s3.S3Operation;
import io.github.litestream.storage.s3.S3RequestListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Micrometer meters of Litestream replication, fed by the engine's
 * {@link ReplicationListener} events and its status. Tags: {@code database} (the
 * DataSource bean name) and, where it applies, {@code replica}.
 * <ul>
 * <li>{@code litestream.db.size} (gauge, bytes): size of the database file.</li>
 * <li>{@code litestream.wal.size} (gauge, bytes): size of the WAL file.</li>
 * <li>{@code litestream.txid} (gauge): TXID of the newest local L0 file.</li>
 * <li>{@code litestream.replica.txid} (gauge): highest TXID a replica holds.</li>
 * <li>{@code litestream.replica.lag} (gauge, seconds): seconds since the oldest commit
 * the replica does not hold yet; 0 when caught up.</li>
 * <li>{@code litestream.sync} (timer): local L0 file writes.</li>
 * <li>{@code litestream.sync.errors} (counter): failed syncs.</li>
 * <li>{@code litestream.checkpoint} (timer, tag {@code mode}): checkpoints.</li>
 * <li>{@code litestream.replica.operations} (counter, tags {@code operation} GET, PUT,
 * DELETE or LIST and {@code outcome} success or error): replica requests. S3 replicas
 * count every request they make (each attempt, each part of a multipart upload); other
 * replicas count the uploads (PUT) the engine reports.</li>
 * <li>{@code litestream.replica.bytes} (counter, bytes): bytes uploaded.</li>
 * <li>{@code litestream.restore} (timer): restores.</li>
 * <li>{@code litestream.lease.acquisitions} (counter): times this instance acquired a
 * replica's lease (a new generation).</li>
 * <li>{@code litestream.lease.lost} (counter): times it stopped writing under a lease it
 * held (not renewed in time, taken over, or a conflicting file met).</li>
 * <li>{@code litestream.lease.held} (gauge): 1 while this instance holds the replica's
 * lease or leases are disabled, 0 otherwise.</li>
 * <li>{@code litestream.ownership} (gauge, tag {@code state}): 1 for the ownership state
 * the database is in ({@code OWNER} while this instance acknowledges writes,
 * {@code FENCED} while it refuses them because a lease was not renewed, ...), 0 for the
 * others.</li>
 * <li>{@code litestream.uploads.rejected} (counter): uploads refused because a different
 * file of the same name was on the replica.</li>
 * <li>{@code litestream.lease.handovers} (counter, per database): times this instance
 * handed the database over to another instance that asked for its leases.</li>
 * </ul>
 */
public class LitestreamMetrics implements MeterBinder, ReplicationListener, S3RequestListenerFactory {

	private final LitestreamDatabases databases;

	private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

	// Replicas ("database/replica") that report their own requests: the engine's upload
	// events are not counted for them, or each upload would count twice
	private final Set<String> reportingReplicas = ConcurrentHashMap.newKeySet();

	/**
	 * Creates the meters' binder.
	 * @param databases the databases
	 */
	public LitestreamMetrics(LitestreamDatabases databases) {
		this.databases = databases;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.registries.add(registry);
		for (LitestreamDatabase database : this.databases.getAll()) {
			String name = database.getName();
			Gauge.builder("litestream.db.size", database, LitestreamMetrics::databaseSize)
				.tag("database", name)
				.baseUnit("bytes")
				.description("Size of the database file")
				.register(registry);
			Gauge.builder("litestream.wal.size", database, status((s) -> s.walSize()))
				.tag("database", name)
				.baseUnit("bytes")
				.description("Size of the WAL file")
				.register(registry);
			Gauge.builder("litestream.txid", database, status((s) -> s.txid()))
				.tag("database", name)
				.description("TXID of the newest local L0 file")
				.register(registry);
			for (OwnershipState state : OwnershipState.values()) {
				Gauge.builder("litestream.ownership", database, (d) -> (d.getOwnership().state() == state) ? 1.0 : 0.0)
					.tag("database", name)
					.tag("state", state.name())
					.description("1 for the ownership state the database is in (OWNER: this instance acknowledges "
							+ "writes), 0 for the others")
					.register(registry);
			}
			for (Replica replica : database.getReplicas()) {
				Gauge.builder("litestream.replica.txid", database, replica(replica.name(), ReplicaStatus::txid))
					.tags("database", name, "replica", replica.name())
					.description("Highest TXID the replica holds")
					.register(registry);
				Gauge.builder("litestream.replica.lag", database, replica(replica.name(), ReplicaStatus::lagSeconds))
					.tags("database", name, "replica", replica.name())
					.baseUnit("seconds")
					.description("Seconds since the oldest commit the replica does not hold yet; 0 when caught up")
					.register(registry);
				boolean reporting = this.reportingReplicas.contains(key(name, replica.name()));
				for (S3Operation operation : S3Operation.values()) {
					if (reporting || operation == S3Operation.PUT) {
						for (String outcome : new String[] { "success", "error" }) {
							operations(registry, name, replica.name(), operation.name(), outcome);
						}
					}
				}
				bytes(registry, name, replica.name());
				Gauge
					.builder("litestream.lease.held", database,
							replica(replica.name(), (status) -> status.writable() ? 1 : 0))
					.tags("database", name, "replica", replica.name())
					.description("1 while this instance may write the replica under its lease, 0 otherwise")
					.register(registry);
				leaseAcquisitions(registry, name, replica.name());
				leasesLost(registry, name, replica.name());
				uploadsRejected(registry, name, replica.name());
			}
			sync(registry, name);
			syncErrors(registry, name);
			handovers(registry, name);
			restore(registry, name);
		}
	}

	private static double databaseSize(LitestreamDatabase database) {
		try {
			return Files.size(database.getPath());
		}
		catch (IOException ex) {
			return 0;
		}
	}

	private static ToDoubleFunction<LitestreamDatabase> status(ToDoubleFunction<ReplicatorStatus> value) {
		return (database) -> {
			ReplicatorStatus status = database.status();
			return (status != null) ? value.applyAsDouble(status) : Double.NaN;
		};
	}

	private static ToDoubleFunction<LitestreamDatabase> replica(String replica, ToDoubleFunction<ReplicaStatus> value) {
		return (database) -> {
			ReplicatorStatus status = database.status();
			if (status == null) {
				return Double.NaN;
			}
			for (ReplicaStatus candidate : status.replicas()) {
				if (candidate.name().equals(replica)) {
					return value.applyAsDouble(candidate);
				}
			}
			return Double.NaN;
		};
	}

	private static Timer sync(MeterRegistry registry, String database) {
		return Timer.builder("litestream.sync")
			.tag("database", database)
			.description("Writes of local L0 files")
			.register(registry);
	}

	private static Counter syncErrors(MeterRegistry registry, String database) {
		return Counter.builder("litestream.sync.errors")
			.tag("database", database)
			.description("Failed syncs")
			.register(registry);
	}

	private static Timer restore(MeterRegistry registry, String database) {
		return Timer.builder("litestream.restore")
			.tag("database", database)
			.description("Restores of the database")
			.register(registry);
	}

	private static Counter operations(MeterRegistry registry, String database, String replica, String operation,
			String outcome) {
		return Counter.builder("litestream.replica.operations")
			.tags("database", database, "replica", replica, "operation", operation, "outcome", outcome)
			.description("Requests to the replica")
			.register(registry);
	}

	private static Counter bytes(MeterRegistry registry, String database, String replica) {
		return Counter.builder("litestream.replica.bytes")
			.tags("database", database, "replica", replica)
			.baseUnit("bytes")
			.description("Bytes uploaded to the replica")
			.register(registry);
	}

	@Override
	public void onSync(String database, SyncResult sync) {
		this.registries.forEach((registry) -> sync(registry, database).record(sync.duration()));
	}

	@Override
	public void onSyncError(String database, Throwable error) {
		this.registries.forEach((registry) -> syncErrors(registry, database).increment());
	}

	@Override
	public void onCheckpoint(String database, String mode, Duration duration, boolean walRestarted) {
		this.registries.forEach((registry) -> checkpoint(registry, database, mode, "success").record(duration));
	}

	@Override
	public void onCheckpointError(String database, String mode, Throwable error) {
		this.registries.forEach((registry) -> checkpoint(registry, database, mode, "error").record(Duration.ZERO));
	}

	private static Timer checkpoint(MeterRegistry registry, String database, String mode, String outcome) {
		return Timer.builder("litestream.checkpoint")
			.tags("database", database, "mode", mode, "outcome", outcome)
			.description("Checkpoints run by the engine")
			.register(registry);
	}

	/**
	 * Returns the listener that counts the requests of one S3 replica into
	 * {@code litestream.replica.operations} and its uploaded bytes into
	 * {@code litestream.replica.bytes}.
	 * @param database the database name
	 * @param replica the replica name
	 * @return the listener
	 */
	@Override
	public S3RequestListener create(String database, String replica) {
		this.reportingReplicas.add(key(database, replica));
		return (event) -> {
			String outcome = event.successful() ? "success" : "error";
			this.registries.forEach((registry) -> {
				operations(registry, database, replica, event.operation().name(), outcome).increment();
				if (event.operation() == S3Operation.PUT && event.successful()) {
					bytes(registry, database, replica).increment(event.bytes());
				}
			});
		};
	}

	private static String key(String database, String replica) {
		return database + "/" + replica;
	}

	@Override
	public void onUpload(String database, String replica, UploadResult upload) {
		if (this.reportingReplicas.contains(key(database, replica))) {
			return;
		}
		this.registries.forEach((registry) -> {
			operations(registry, database, replica, "PUT", "success").increment();
			bytes(registry, database, replica).increment(upload.size());
		});
	}

	@Override
	public void onUploadError(String database, String replica, Throwable error, int attempt) {
		if (this.reportingReplicas.contains(key(database, replica))) {
			return;
		}
		this.registries.forEach((registry) -> operations(registry, database, replica, "PUT", "error").increment());
	}

	private static Counter leaseAcquisitions(MeterRegistry registry, String database, String replica) {
		return Counter.builder("litestream.lease.acquisitions")
			.tags("database", database, "replica", replica)
			.description("Times this instance acquired the replica's lease")
			.register(registry);
	}

	private static Counter leasesLost(MeterRegistry registry, String database, String replica) {
		return Counter.builder("litestream.lease.lost")
			.tags("database", database, "replica", replica)
			.description("Times this instance stopped writing under a lease it held")
			.register(registry);
	}

	private static Counter handovers(MeterRegistry registry, String database) {
		return Counter.builder("litestream.lease.handovers")
			.tags("database", database)
			.description("Times this instance handed the database over to another instance")
			.register(registry);
	}

	@Override
	public void onHandover(String database, String successor, long txid) {
		this.registries.forEach((registry) -> handovers(registry, database).increment());
	}

	private static Counter uploadsRejected(MeterRegistry registry, String database, String replica) {
		return Counter.builder("litestream.uploads.rejected")
			.tags("database", database, "replica", replica)
			.description("Uploads refused because another file of the same name was on the replica")
			.register(registry);
	}

	@Override
	public void onLeaseAcquired(String database, String replica, LeaseStatus lease) {
		this.registries.forEach((registry) -> leaseAcquisitions(registry, database, replica).increment());
	}

	@Override
	public void onLeaseLost(String database, String replica, String reason) {
		this.registries.forEach((registry) -> leasesLost(registry, database, replica).increment());
	}

	@Override
	public void onUploadRejected(String database, String replica, String reason) {
		this.registries.forEach((registry) -> uploadsRejected(registry, database, replica).increment());
	}

	@Override
	public void onRestore(String database, RestoreResult result) {
		this.registries.forEach((registry) -> restore(registry, database).record(result.duration()));
	}

	@Override
	public String toString() {
		return "LitestreamMetrics";
	}

}
