package io.github.litestream.wal;

import java.nio.ByteBuffer;

/**
 * SQLite's WAL checksum: a Fletcher-like sum over pairs of 32-bit words, mod 2^32. The
 * two running values travel packed in one {@code long} (first value in the high half) so
 * the per-frame hot loop allocates nothing.
 */
final class WalChecksum {

	private WalChecksum() {
	}

	static long pack(int s0, int s1) {
		return ((long) s0 << 32) | (s1 & 0xFFFFFFFFL);
	}

	static int first(long packed) {
		return (int) (packed >>> 32);
	}

	static int second(long packed) {
		return (int) packed;
	}

	/**
	 * Continues a checksum over {@code buf[from, to)}.
	 * @param packed the running checksum
	 * @param words a buffer whose byte order is the WAL's checksum byte order
	 * @param from the first byte, absolute index
	 * @param to the end, exclusive; {@code to - from} must be a multiple of 8
	 * @return the new running checksum
	 */
	static long update(long packed, ByteBuffer words, int from, int to) {
		int s0 = first(packed);
		int s1 = second(packed);
		// Java int arithmetic wraps exactly like SQLite's u32 sums.
		for (int i = from; i < to; i += 8) {
			s0 += words.getInt(i) + s1;
			s1 += words.getInt(i + 4) + s0;
		}
		return pack(s0, s1);
	}

}
