package io.github.litestream.replica;

import java.io.IOException;

/**
 * A replica holds a newer state than the local database, in a history the local database
 * is not proven to continue (DESIGN section 4.13). Nothing is written to such a replica,
 * so its newer state is never overwritten with an older one; the message names both TXIDs
 * and what to do.
 */
public class ReplicaAheadException extends IOException {

	/**
	 * Creates an exception.
	 * @param message what is ahead of what, and what to do
	 */
	public ReplicaAheadException(String message) {
		super(message);
	}

}
