package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads the caller's stream into part buffers, looking one byte ahead so that a file of
 * exactly one part is sent with one {@code PutObject}. Failures of the stream are wrapped
 * in {@link SourceException}, so they are told apart from failures of S3.
 */
final class PartReader {

	private final InputStream data;

	private int pending = -1;

	private boolean ended;

	PartReader(InputStream data) {
		this.data = data;
	}

	/**
	 * Fills {@code buffer} from {@code offset} until it is full or the stream ends.
	 * @return the number of bytes in the buffer
	 */
	int fill(byte[] buffer, int offset) throws SourceException {
		int position = offset;
		if (this.pending >= 0 && position < buffer.length) {
			buffer[position++] = (byte) this.pending;
			this.pending = -1;
		}
		while (position < buffer.length && !this.ended) {
			int read = read(buffer, position, buffer.length - position);
			if (read < 0) {
				this.ended = true;
			}
			else {
				position += read;
			}
		}
		return position;
	}

	/**
	 * Returns whether the stream has more bytes, reading one ahead if needed.
	 */
	boolean hasMore() throws SourceException {
		if (this.pending >= 0) {
			return true;
		}
		if (this.ended) {
			return false;
		}
		byte[] one = new byte[1];
		while (true) {
			int read = read(one, 0, 1);
			if (read < 0) {
				this.ended = true;
				return false;
			}
			if (read == 1) {
				this.pending = one[0] & 0xff;
				return true;
			}
		}
	}

	private int read(byte[] buffer, int offset, int length) throws SourceException {
		try {
			return this.data.read(buffer, offset, length);
		}
		catch (IOException ex) {
			throw new SourceException(ex);
		}
	}

	/**
	 * Carries a failure of the caller's stream through the write path, so it is rethrown
	 * unchanged instead of being reported as a replica failure.
	 */
	static final class SourceException extends IOException {

		private static final long serialVersionUID = 1L;

		SourceException(IOException cause) {
			super(cause);
		}

		@Override
		public synchronized IOException getCause() {
			return (IOException) super.getCause();
		}

	}

}
