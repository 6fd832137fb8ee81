package io.github.litestream.ownership;

import java.io.IOException;

/**
 * A starting instance could not take a replica's lease in time: another live instance
 * holds it and did not hand it over (or, with {@code litestream.lease.handover=wait}, did
 * not stop).
 */
public class LeaseUnavailableException extends IOException {

	/**
	 * Creates an exception.
	 * @param message which lease, who holds it, how long was waited
	 */
	public LeaseUnavailableException(String message) {
		super(message);
	}

	/**
	 * Creates an exception with the failure that kept the lease from being read.
	 * @param message what happened
	 * @param cause the failure
	 */
	public LeaseUnavailableException(String message, Throwable cause) {
		super(message, cause);
	}

}
