package io.github.litestream.restore;

import io.github.litestream.storage.ReplicaClient;

/**
 * A restore that has listed its replica and planned the files to read, but not read them
 * yet. From {@link Restorer#prepare} until {@link #close()} retention in this JVM does
 * not delete the planned files, so a caller can validate the plan, prepare the output
 * (pause a pool, stop replication) and then
 * {@link Restorer#restore(PreparedRestore, java.nio.file.Path, IntegrityCheck) execute}
 * it. Close it when done, whatever happened.
 */
public final class PreparedRestore implements AutoCloseable {

	private final ReplicaClient client;

	private final RestoreTarget target;

	private final RestoreReservations.Reservation reservation;

	private RestorePlan plan;

	PreparedRestore(ReplicaClient client, RestoreTarget target, RestorePlan plan,
			RestoreReservations.Reservation reservation) {
		this.client = client;
		this.target = target;
		this.plan = plan;
		this.reservation = reservation;
	}

	/**
	 * Returns the replica the restore reads.
	 * @return the client
	 */
	public ReplicaClient client() {
		return this.client;
	}

	/**
	 * Returns what the restore aims for.
	 * @return the target
	 */
	public RestoreTarget target() {
		return this.target;
	}

	/**
	 * Returns the planned files.
	 * @return the plan
	 */
	public RestorePlan plan() {
		return this.plan;
	}

	RestoreReservations.Reservation reservation() {
		return this.reservation;
	}

	void replanned(RestorePlan plan) {
		this.plan = plan;
		this.reservation.plan(plan.files());
	}

	/**
	 * Releases the planned files to retention.
	 */
	@Override
	public void close() {
		this.reservation.close();
	}

}
