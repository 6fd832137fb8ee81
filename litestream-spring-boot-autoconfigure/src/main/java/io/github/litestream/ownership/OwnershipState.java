package io.github.litestream.ownership;

/**
 * Where a database stands with its leases, and so what the application may do with it
 * (DESIGN 4.14): only an {@link #OWNER} acknowledges writes.
 */
public enum OwnershipState {

	/** Created; no lease asked for yet. Nothing is served. */
	STARTING(false, false),

	/**
	 * Taking the leases (waiting for a holder to hand over or to go). Nothing is served.
	 */
	ACQUIRING(false, false),

	/**
	 * A warm successor (DESIGN 4.16): restored from the replicas while another instance
	 * owns the database, so that the application starts on it before it asks for the
	 * leases. Reads are served (the state the restore reached); writes are refused until
	 * it takes the database over.
	 */
	STANDBY(true, false),

	/** Holds every lease: reads and writes are served. */
	OWNER(true, true),

	/**
	 * A lease was not renewed in time (the replica is unreachable, the process was
	 * paused) or a replica cannot be written: reads are served, writes are refused until
	 * the lease is renewed.
	 */
	FENCED(true, false),

	/**
	 * An in-place restore runs under the leases: new callers wait for it, transactions in
	 * flight finish before it starts.
	 */
	RESTORING(true, true),

	/**
	 * Draining and syncing to hand the database over: new callers wait, transactions in
	 * flight finish and are in the final sync.
	 */
	HANDING_OVER(true, true),

	/** Handed over to another instance: nothing is served any more. */
	HANDED_OVER(false, false),

	/**
	 * Another instance took a lease while this one could not renew it: nothing is served.
	 */
	SUPPLANTED(false, false),

	/**
	 * The application stopped replicating and released the leases: reads are served to
	 * what still runs during shutdown, writes are refused.
	 */
	STOPPED(true, false);

	private final boolean serves;

	private final boolean acknowledgesWrites;

	OwnershipState(boolean serves, boolean acknowledgesWrites) {
		this.serves = serves;
		this.acknowledgesWrites = acknowledgesWrites;
	}

	/**
	 * Whether the application's connections serve the database in this state (reads at
	 * least).
	 * @return whether connections are handed out
	 */
	public boolean serves() {
		return this.serves;
	}

	/**
	 * Whether write transactions may commit in this state.
	 * @return whether writes are acknowledged
	 */
	public boolean acknowledgesWrites() {
		return this.acknowledgesWrites;
	}

}
