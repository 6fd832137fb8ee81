package io.github.litestream.ownership;

import java.io.IOException;

/**
 * A write to a replica was not made because this engine does not hold a valid lease of
 * it. Not a failure of the replica: the writer waits until the lease is held again.
 */
public final class LeaseNotHeldException extends IOException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates an exception.
	 * @param message what was not written and why
	 */
	public LeaseNotHeldException(String message) {
		super(message);
	}

}
