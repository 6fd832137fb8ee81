package io.github.litestream.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.SplittableRandom;

import org.jspecify.annotations.Nullable;

/**
 * Pseudo-random bytes made on the fly, so that a file of several parts never sits in
 * memory, optionally failing once a given number of bytes has been read.
 */
final class GeneratedStream extends InputStream {

	private final long size;

	private final SplittableRandom random;

	private final long failAfter;

	private final @Nullable IOException failure;

	private long position;

	private GeneratedStream(long size, long seed, long failAfter, @Nullable IOException failure) {
		this.size = size;
		this.random = new SplittableRandom(seed);
		this.failAfter = failAfter;
		this.failure = failure;
	}

	static GeneratedStream of(long size, long seed) {
		return new GeneratedStream(size, seed, Long.MAX_VALUE, null);
	}

	static GeneratedStream failingAfter(long size, long seed, long failAfter, IOException failure) {
		return new GeneratedStream(size, seed, failAfter, failure);
	}

	@Override
	public int read() throws IOException {
		byte[] one = new byte[1];
		return (read(one, 0, 1) < 0) ? -1 : (one[0] & 0xff);
	}

	@Override
	public int read(byte[] buffer, int offset, int length) throws IOException {
		if (this.failure != null && this.position >= this.failAfter) {
			throw this.failure;
		}
		if (this.position >= this.size) {
			return -1;
		}
		int count = (int) Math.min(length, Math.min(this.size - this.position, 8192));
		for (int i = 0; i < count; i++) {
			buffer[offset + i] = (byte) this.random.nextInt(256);
		}
		this.position += count;
		return count;
	}

}
