package io.github.litestream.ownership;

import java.io.IOException;

/**
 * Whether a replica holds anything after a TXID.
 */
@FunctionalInterface
public interface MovedPast {

	/**
	 * Tells whether any replica holds a file past {@code txid}.
	 * @param txid the TXID
	 * @return whether a replica moved past it
	 * @throws IOException if a replica cannot be listed
	 */
	boolean test(long txid) throws IOException;

}
