package io.github.litestream.ownership;

/**
 * Callbacks through which a database's ownership reports its changes: leases taken and
 * lost, handovers, and every transition of {@link DatabaseOwnership}. Every method has a
 * no-op default; implementations must be thread-safe and fast, since they run on the
 * lease threads.
 */
public interface OwnershipListener {

	/** A listener that ignores every event. */
	OwnershipListener NO_OP = new OwnershipListener() {
	};

	/**
	 * Called once per transition of a database's ownership (DESIGN 4.14).
	 * @param database the database name
	 * @param from the state before
	 * @param to the state after
	 * @param reason why, for people
	 */
	default void onOwnershipChanged(String database, OwnershipState from, OwnershipState to, String reason) {
	}

	/**
	 * Called when this engine acquired the lease of a replica (a new generation), and may
	 * write it.
	 * @param database the database name
	 * @param replica the replica name
	 * @param lease the lease
	 */
	default void onLeaseAcquired(String database, String replica, LeaseStatus lease) {
	}

	/**
	 * Called when this engine lost the lease of a replica or stopped writing under it: it
	 * was not renewed in time, another process took it over, or a conflicting file was
	 * met.
	 * @param database the database name
	 * @param replica the replica name
	 * @param reason why
	 */
	default void onLeaseLost(String database, String replica, String reason) {
	}

	/**
	 * This instance handed the database over to another instance that asked for its
	 * leases: every replica holds {@code txid}, and this instance serves the database no
	 * more.
	 * @param database the database name
	 * @param successor the instance that asked ({@code host:pid/instance})
	 * @param txid the final TXID
	 */
	default void onHandover(String database, String successor, long txid) {
	}

	/**
	 * This instance took the database back after a handover: its successor gave the
	 * leases up without writing after {@code txid} (it failed to start), so this instance
	 * serves the database again.
	 * @param database the database name
	 * @param successor the instance that had asked for it
	 * @param txid the TXID of the handover, still the newest state
	 */
	default void onHandoverReverted(String database, String successor, long txid) {
	}

}
