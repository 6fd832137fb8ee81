package io.github.litestream.replica;

import java.io.IOException;

/**
 * A conditional create met a file of the same name with other bytes: another writer's
 * history. The engine stops writing to that replica (DESIGN 4.14).
 */
public final class ForeignFileException extends IOException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates the exception.
	 * @param message what differs
	 */
	public ForeignFileException(String message) {
		super(message);
	}

}
