package io.github.litestream.storage;

import java.io.IOException;

/**
 * A conditional write of the lease object found the object in another state than the
 * caller required: {@link ReplicaClient#createLease} found one already there,
 * {@link ReplicaClient#replaceLease} found none or another version. Nothing was written.
 * The caller reads the lease again to learn who holds it; this is not a failure of the
 * replica and retrying the same call cannot succeed.
 */
public class LeaseConflictException extends IOException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates an exception.
	 * @param message what was expected and where, for example
	 * {@code "Lease object 's3://bucket/app-db/lock.json' already exists"}
	 */
	public LeaseConflictException(String message) {
		super(message);
	}

}
