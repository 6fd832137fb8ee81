package io.github.litestream.restore;

import java.io.IOException;

/**
 * A restore that cannot produce the requested state: no backup, a target outside the
 * restorable range, a gap in the chain of files, or a file that fails verification. The
 * target database file is never touched when this is thrown.
 */
public class RestoreException extends IOException {

	/**
	 * Creates an exception.
	 * @param message what failed and what to do
	 */
	public RestoreException(String message) {
		super(message);
	}

	/**
	 * Creates an exception with a cause.
	 * @param message what failed and what to do
	 * @param cause the cause
	 */
	public RestoreException(String message, Throwable cause) {
		super(message, cause);
	}

}
