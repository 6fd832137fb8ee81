package io.github.litestream.ltx;

/**
 * The checksums LTX stores: page checksums and the rolling database checksum built from
 * them (LTX-SPEC section 5).
 * <p>
 * Every stored checksum is either {@code 0} ("absent") or has bit 63 ({@link #FLAG}) set,
 * so that a present checksum is never zero.
 */
public final class LtxChecksum {

	/**
	 * Bit 63, set in every checksum that is present (Go's {@code ChecksumFlag}).
	 */
	public static final long FLAG = 0x8000000000000000L;

	private LtxChecksum() {
	}

	/**
	 * Computes the checksum of one database page:
	 * {@code FLAG | CRC64(BE32(pgno) || data)}.
	 * @param pgno the page number (unsigned)
	 * @param data the buffer holding the page
	 * @param off where the page starts in {@code data}
	 * @param pageSize the page size in bytes
	 * @return the page checksum, with {@link #FLAG} set
	 */
	public static long pageChecksum(int pgno, byte[] data, int off, int pageSize) {
		byte[] be = { (byte) (pgno >>> 24), (byte) (pgno >>> 16), (byte) (pgno >>> 8), (byte) pgno };
		long crc = Crc64.update(0, be, 0, 4);
		return FLAG | Crc64.update(crc, data, off, pageSize);
	}

	/**
	 * Adds (or removes: the operation is its own inverse) one page checksum to a rolling
	 * database checksum. The result does not depend on the order of the pages.
	 * @param acc the rolling checksum so far; start with {@link #FLAG} (or {@code 0},
	 * which gives the same result once a page is folded in)
	 * @param pageChecksum a value from {@link #pageChecksum}
	 * @return {@code FLAG | (acc ^ pageChecksum)}
	 */
	public static long fold(long acc, long pageChecksum) {
		return FLAG | (acc ^ pageChecksum);
	}

	/**
	 * Returns the lock page: the page holding file offset 1 GiB (SQLite's
	 * {@code PENDING_BYTE}), which SQLite never uses and LTX never stores.
	 * @param pageSize the page size in bytes
	 * @return {@code 0x40000000 / pageSize + 1}
	 */
	public static int lockPage(int pageSize) {
		return 0x40000000 / pageSize + 1;
	}

}
