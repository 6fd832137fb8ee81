package io.github.litestream.ltx;

import java.io.IOException;

/**
 * Thrown when LTX bytes break the format, or when a caller asks for a file that would
 * break it. The message says what is wrong and where (file name and byte offset when
 * decoding).
 */
public class LtxFormatException extends IOException {

	private static final long serialVersionUID = 1L;

	/**
	 * Creates an exception.
	 * @param message what is wrong and where
	 */
	public LtxFormatException(String message) {
		super(message);
	}

	/**
	 * Creates an exception with a cause.
	 * @param message what is wrong and where
	 * @param cause the underlying failure, for example an LZ4 decoding error
	 */
	public LtxFormatException(String message, Throwable cause) {
		super(message, cause);
	}

}
