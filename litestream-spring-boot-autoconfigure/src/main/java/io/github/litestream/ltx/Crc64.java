package io.github.litestream.ltx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * CRC-64/GO-ISO, the checksum of Go's {@code hash/crc64} with the {@code crc64.ISO}
 * table, which LTX uses for its file checksum and its page checksums.
 * <p>
 * Reflected polynomial {@code 0xD800000000000000}, initial value and final XOR all ones.
 * The check value of {@code "123456789"} is {@code 0xB90956C775A41001}. The state is the
 * value returned by the previous call, starting at {@code 0}, so feeding the bytes in
 * pieces gives the same result as one call over their concatenation (as with Go's
 * {@code hash.Hash64}).
 */
public final class Crc64 {

	private static final long POLY = 0xD800000000000000L;

	/**
	 * Eight 256-entry tables, one after another: table 0 is the classic byte-wise table,
	 * table k advances a byte through k further zero bytes. Processing eight bytes per
	 * step ("slicing-by-8") makes the CRC several times faster than one table lookup per
	 * byte, which matters because every byte of every page is hashed.
	 */
	private static final long[] TABLE = new long[8 * 256];

	private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class,
			ByteOrder.LITTLE_ENDIAN);

	static {
		for (int i = 0; i < 256; i++) {
			long c = i;
			for (int k = 0; k < 8; k++) {
				c = ((c & 1) != 0) ? (c >>> 1) ^ POLY : c >>> 1;
			}
			TABLE[i] = c;
		}
		for (int t = 1; t < 8; t++) {
			for (int i = 0; i < 256; i++) {
				long prev = TABLE[(t - 1) * 256 + i];
				TABLE[t * 256 + i] = (prev >>> 8) ^ TABLE[(int) (prev & 0xFF)];
			}
		}
	}

	private Crc64() {
	}

	/**
	 * Continues a CRC over more bytes.
	 * @param crc the value returned by the previous call, or {@code 0} to start
	 * @param b the bytes
	 * @param off the first byte to hash
	 * @param len the number of bytes to hash
	 * @return the CRC of everything hashed so far
	 */
	public static long update(long crc, byte[] b, int off, int len) {
		Objects.checkFromIndexSize(off, len, b.length);
		long c = ~crc;
		int i = off;
		int end = off + len;
		while (end - i >= 8) {
			c ^= (long) LONG_LE.get(b, i);
			c = TABLE[7 * 256 + (int) (c & 0xFF)] ^ TABLE[6 * 256 + (int) ((c >>> 8) & 0xFF)]
					^ TABLE[5 * 256 + (int) ((c >>> 16) & 0xFF)] ^ TABLE[4 * 256 + (int) ((c >>> 24) & 0xFF)]
					^ TABLE[3 * 256 + (int) ((c >>> 32) & 0xFF)] ^ TABLE[2 * 256 + (int) ((c >>> 40) & 0xFF)]
					^ TABLE[256 + (int) ((c >>> 48) & 0xFF)] ^ TABLE[(int) (c >>> 56)];
			i += 8;
		}
		while (i < end) {
			c = TABLE[(int) ((c ^ b[i]) & 0xFF)] ^ (c >>> 8);
			i++;
		}
		return ~c;
	}

	/**
	 * Continues a CRC over one byte; for the few places that parse byte by byte.
	 */
	static long update(long crc, int b) {
		long c = ~crc;
		c = TABLE[(int) ((c ^ b) & 0xFF)] ^ (c >>> 8);
		return ~c;
	}

}
