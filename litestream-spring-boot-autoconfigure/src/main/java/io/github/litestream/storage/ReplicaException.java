package io.github.litestream.storage;

import java.io.IOException;

import org.jspecify.annotations.Nullable;

/**
 * Failure of a replica operation, classified for the engine: {@link #retryable()} tells
 * whether backing off and calling again can succeed without anyone changing anything
 * (network errors, throttling, server errors, a full disk) or not (access denied, a
 * missing bucket, a replica path that is not a directory, invalid configuration).
 * <p>
 * The message names the replica location or file concerned and, where it helps, what to
 * do. It never contains credentials.
 *
 * @see ReplicaClient
 */
public class ReplicaException extends IOException {

	private static final long serialVersionUID = 1L;

	private final boolean retryable;

	/**
	 * Creates an exception.
	 * @param message what failed, on which location, and what to do
	 * @param retryable whether retrying the same call later can succeed
	 * @param cause the underlying failure, if any
	 */
	public ReplicaException(String message, boolean retryable, @Nullable Throwable cause) {
		super(message, cause);
		this.retryable = retryable;
	}

	/**
	 * Returns whether retrying the same call later, after a back-off, can succeed. When
	 * {@code false}, retrying is pointless until someone fixes the cause (permissions,
	 * configuration, a missing bucket).
	 * @return whether the failure may be transient
	 */
	public boolean retryable() {
		return this.retryable;
	}

}
