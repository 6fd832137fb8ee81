package io.github.litestream.wal;

import java.nio.ByteBuffer;

/**
 * The 24-byte header in front of each page in a WAL. All fields are unsigned 32-bit
 * values, stored big-endian whatever the checksum byte order.
 *
 * @param pgno the database page number the frame holds
 * @param commit for a commit frame the database size in pages after the transaction,
 * otherwise 0
 * @param salt1 the copy of the header's first salt when the frame was written
 * @param salt2 the copy of the header's second salt when the frame was written
 * @param checksum1 the first half of the cumulative checksum up to and including this
 * frame
 * @param checksum2 the second half of the cumulative checksum
 */
public record WalFrameHeader(int pgno, int commit, int salt1, int salt2, int checksum1, int checksum2) {

	/**
	 * Returns whether this frame ends a transaction.
	 * @return {@code true} when {@link #commit()} is not 0
	 */
	public boolean isCommit() {
		return this.commit != 0;
	}

	/**
	 * Returns the salts of the WAL generation this frame was written in.
	 * @return the frame's salts
	 */
	public WalSalts salts() {
		return new WalSalts(this.salt1, this.salt2);
	}

	/**
	 * Returns whether the frame carries the salts of the given header, the first
	 * condition for it to be part of that header's log.
	 * @param header the WAL header
	 * @return {@code true} when both salts are equal
	 */
	public boolean hasSaltsOf(WalHeader header) {
		return this.salt1 == header.salt1() && this.salt2 == header.salt2();
	}

	static WalFrameHeader decode(ByteBuffer bigEndian, int index) {
		return new WalFrameHeader(bigEndian.getInt(index), bigEndian.getInt(index + 4), bigEndian.getInt(index + 8),
				bigEndian.getInt(index + 12), bigEndian.getInt(index + 16), bigEndian.getInt(index + 20));
	}

}
