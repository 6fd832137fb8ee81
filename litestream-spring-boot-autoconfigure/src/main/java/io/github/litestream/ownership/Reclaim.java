package io.github.litestream.ownership;

/**
 * What {@link DatabaseOwnership#reclaim(long, MovedPast)} found.
 */
public enum Reclaim {

	/** The leases are this instance's again. */
	TAKEN,

	/** Another instance holds a lease: try again later. */
	BUSY,

	/** A replica moved past the TXID: never take it back. */
	MOVED_ON

}
