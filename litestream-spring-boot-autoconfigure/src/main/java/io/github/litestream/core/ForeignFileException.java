package io.github.litestream.core;

import java.io.IOException;

/**
 * A conditional create met a file of the same name with other bytes: another writer's
 * history. The engine stops writing to that replica (DESIGN 4.14).
 */
final class ForeignFileException extends IOException {

	private static final long serialVersionUID = 1L;

	ForeignFileException(String message) {
		super(message);
	}

}
