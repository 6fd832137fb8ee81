package io.github.litestream.ltx;

import java.util.Arrays;

/**
 * The page index of one LTX file as it grows: the {@code (pgno, offset, size)} triples,
 * already encoded as minimal uvarints (LTX-SPEC sections 4.1 and 4.5).
 * <p>
 * Keeping the encoded bytes in one growing array costs about ten bytes per page and no
 * object per page, so a 1 GiB database (262144 pages of 4 KiB) needs about 2.5 MiB
 * instead of millions of small objects.
 */
final class PageIndex {

	private byte[] bytes = new byte[64];

	private int length;

	private int count;

	/**
	 * Appends an entry. Entries must be added in ascending page order, which the page
	 * ordering rules of LTX guarantee.
	 */
	void add(int pgno, long offset, int size) {
		ensureCapacity(30);
		this.length = putUvarint(this.bytes, this.length, Integer.toUnsignedLong(pgno));
		this.length = putUvarint(this.bytes, this.length, offset);
		this.length = putUvarint(this.bytes, this.length, Integer.toUnsignedLong(size));
		this.count++;
	}

	int count() {
		return this.count;
	}

	/**
	 * Returns the backing array; the entries are its first {@link #length()} bytes.
	 */
	byte[] bytes() {
		return this.bytes;
	}

	int length() {
		return this.length;
	}

	Cursor cursor() {
		return new Cursor();
	}

	private void ensureCapacity(int extra) {
		if (this.length + extra > this.bytes.length) {
			this.bytes = Arrays.copyOf(this.bytes, Math.max(this.bytes.length * 2, this.length + extra));
		}
	}

	static int putUvarint(byte[] b, int pos, long value) {
		long v = value;
		while (Long.compareUnsigned(v, 0x80) >= 0) {
			b[pos++] = (byte) ((v & 0x7F) | 0x80);
			v >>>= 7;
		}
		b[pos++] = (byte) v;
		return pos;
	}

	/**
	 * Reads the entries back in order, to compare them with an index read from a file.
	 */
	final class Cursor {

		private int pos;

		long next() {
			long x = 0;
			int shift = 0;
			while (true) {
				int b = PageIndex.this.bytes[this.pos++] & 0xFF;
				if (b < 0x80) {
					return x | ((long) b << shift);
				}
				x |= (long) (b & 0x7F) << shift;
				shift += 7;
			}
		}

	}

}
