package io.github.litestream.actuate;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicatorStatus;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.ownership.LeaseStatus;
import io.github.litestream.ownership.OwnershipState;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of replication: UP while every replica of every database lags less than
 * {@code litestream.health.max-lag}, DOWN (with the lagging replicas in the details) when
 * one does not or its engine failed, OUT_OF_SERVICE while replication stops. A replica's
 * lease decides instead of its lag when this instance may not write it: OUT_OF_SERVICE
 * while it waits for another instance's lease, DOWN when it stopped writing under its own
 * (not renewed in time, or a conflicting file met); the lease is in the details. Never
 * shows credentials: replica locations are the clients' own credential-free form.
 */
public class LitestreamHealthIndicator extends AbstractHealthIndicator {

	private final LitestreamDatabases databases;

	private final Duration maxLag;

	/**
	 * Creates the indicator.
	 * @param databases the databases
	 * @param maxLag the lag at and above which a replica is DOWN
	 */
	public LitestreamHealthIndicator(LitestreamDatabases databases, Duration maxLag) {
		super("Litestream health check failed");
		this.databases = databases;
		this.maxLag = maxLag;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		Status status = Status.UP;
		double maxLagSeconds = this.maxLag.toNanos() / 1e9;
		for (LitestreamDatabase database : this.databases.getAll()) {
			ReplicatorStatus engine = database.status();
			Map<String, Object> details = new LinkedHashMap<>();
			details.put("path", database.getPath().toString());
			OwnershipState ownership = database.getOwnership().state();
			details.put("ownership", ownership.name());
			details.put("ownershipReason", database.getOwnership().reason());
			if (ownership == OwnershipState.FENCED) {
				// Reads only: writes are refused until the lease is renewed
				status = worse(status, Status.DOWN);
			}
			else if (ownership != OwnershipState.OWNER) {
				status = worse(status, Status.OUT_OF_SERVICE);
			}
			LitestreamDatabase.Handover handover = database.getHandover();
			if (handover != null) {
				// Serves the database no more: another instance does
				details.put("state", ownership.name());
				details.put("handedOverTo", handover.to());
				details.put("txid", handover.txid());
				details.put("txidHex", LtxFileName.formatTxid(handover.txid()));
				details.put("handedOverAt", handover.at().toString());
				status = worse(status, Status.OUT_OF_SERVICE);
				builder.withDetail(database.getName(), details);
				continue;
			}
			String handingOverTo = database.getHandingOverTo();
			if (handingOverTo != null) {
				// Connections paused for the final sync
				details.put("state", "HANDING_OVER");
				details.put("handingOverTo", handingOverTo);
				status = worse(status, Status.OUT_OF_SERVICE);
				builder.withDetail(database.getName(), details);
				continue;
			}
			if (engine == null) {
				details.put("state", database.isStopping() ? "STOPPED" : "NEW");
				status = worse(status, database.isStopping() ? Status.OUT_OF_SERVICE : Status.UNKNOWN);
				builder.withDetail(database.getName(), details);
				continue;
			}
			details.put("state", engine.state());
			details.put("txid", engine.txid());
			details.put("txidHex", LtxFileName.formatTxid(engine.txid()));
			if (engine.lastError() != null) {
				details.put("lastError", engine.lastError());
			}
			if ("STOPPING".equals(engine.state()) || "STOPPED".equals(engine.state())) {
				status = worse(status, Status.OUT_OF_SERVICE);
			}
			else if (!"RUNNING".equals(engine.state())) {
				status = worse(status, Status.DOWN);
			}
			Map<String, Object> replicas = new LinkedHashMap<>();
			for (ReplicaStatus replica : engine.replicas()) {
				Map<String, Object> replicaDetails = new LinkedHashMap<>();
				replicaDetails.put("url", replica.location());
				replicaDetails.put("txid", replica.txid());
				if (replica.txid() >= 0) {
					replicaDetails.put("txidHex", LtxFileName.formatTxid(replica.txid()));
				}
				replicaDetails.put("lagSeconds", replica.lagSeconds());
				if (replica.lastSyncAt() != null) {
					replicaDetails.put("lastSyncAt", replica.lastSyncAt().toString());
				}
				if (replica.lastError() != null) {
					replicaDetails.put("lastError", replica.lastError());
				}
				Status leaseStatus = leaseStatus(replica.lease(), replicaDetails);
				// A replica that could not even be read has no position, so no lag: it is
				// DOWN as well.
				boolean unreachable = replica.txid() < 0 && replica.lastError() != null;
				boolean lagging = unreachable || replica.lagSeconds() >= maxLagSeconds;
				Status replicaStatus = (leaseStatus != null) ? leaseStatus : lagging ? Status.DOWN : Status.UP;
				replicaDetails.put("status", replicaStatus.getCode());
				status = worse(status, replicaStatus);
				replicas.put(replica.name(), replicaDetails);
			}
			details.put("replicas", replicas);
			builder.withDetail(database.getName(), details);
		}
		builder.withDetail("maxLagSeconds", maxLagSeconds);
		builder.status(status);
	}

	/**
	 * The status a replica's lease imposes, which replaces the lag check: an instance
	 * waiting for a lease another instance holds is OUT_OF_SERVICE (it replicates
	 * nothing, by design), one that stopped writing under its own lease (fenced,
	 * conflict) is DOWN.
	 * @return the status, or {@code null} when the lease is held or disabled
	 */
	private static @Nullable Status leaseStatus(LeaseStatus lease, Map<String, Object> details) {
		if ("DISABLED".equals(lease.state())) {
			return null;
		}
		Map<String, Object> leaseDetails = new LinkedHashMap<>();
		leaseDetails.put("state", lease.state());
		if (lease.holder() != null) {
			leaseDetails.put("holder", lease.holder());
		}
		leaseDetails.put("held", lease.held());
		leaseDetails.put("epoch", lease.epoch());
		if (lease.expiresAt() != null) {
			leaseDetails.put("expiresAt", lease.expiresAt().toString());
		}
		if (lease.detail() != null) {
			leaseDetails.put("detail", lease.detail());
		}
		details.put("lease", leaseDetails);
		if ("WAITING".equals(lease.state()) && lease.holder() == null) {
			// Not known to be held by another: the replica may be unreachable, which the
			// lag check reports
			return null;
		}
		return switch (lease.state()) {
			case "WAITING" -> Status.OUT_OF_SERVICE;
			case "FENCED", "CONFLICT" -> Status.DOWN;
			default -> null;
		};
	}

	private static Status worse(Status current, Status candidate) {
		return (rank(candidate) > rank(current)) ? candidate : current;
	}

	private static int rank(Status status) {
		if (Status.DOWN.equals(status)) {
			return 3;
		}
		if (Status.OUT_OF_SERVICE.equals(status)) {
			return 2;
		}
		if (Status.UNKNOWN.equals(status)) {
			return 1;
		}
		return 0;
	}

}
