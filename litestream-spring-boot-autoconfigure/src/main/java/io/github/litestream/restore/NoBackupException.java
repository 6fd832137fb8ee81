package io.github.litestream.restore;

/**
 * The replica holds no backup at all; a restore "if the replica exists" treats this as
 * nothing to do.
 */
public class NoBackupException extends RestoreException {

	/**
	 * Creates an exception.
	 * @param message the message
	 */
	public NoBackupException(String message) {
		super(message);
	}

}
