package io.github.litestream.ltx;

import java.util.Arrays;

/**
 * The 100-byte header of an LTX file (LTX-SPEC section 3). Unsigned fields are held in
 * signed Java types: {@code pageSize}, {@code commit}, {@code walSalt1} and
 * {@code walSalt2} are u32, {@code minTxid}, {@code maxTxid}, {@code preApplyChecksum}
 * and {@code nodeId} are u64.
 * <p>
 * The canonical constructor accepts any values so that a decoded header can be reported
 * as it is; {@link #validate()} applies the rules of the reference implementation.
 *
 * @param flags header flags: {@code 0} or {@link #FLAG_NO_CHECKSUM}
 * @param pageSize the database page size in bytes
 * @param commit the database size in pages after the file is applied
 * @param minTxid the first transaction ID the file covers
 * @param maxTxid the last transaction ID the file covers
 * @param timestamp milliseconds since the Unix epoch (UTC)
 * @param preApplyChecksum the rolling database checksum before the file is applied, or
 * {@code 0}
 * @param walOffset offset in the source WAL where the file's data begins, or {@code 0}
 * @param walSize the number of WAL bytes the file covers, or {@code 0}
 * @param walSalt1 salt-1 of the source WAL, or {@code 0}
 * @param walSalt2 salt-2 of the source WAL, or {@code 0}
 * @param nodeId the ID of the node that wrote the file, or {@code 0}
 */
public record LtxHeader(int flags, int pageSize, int commit, long minTxid, long maxTxid, long timestamp,
		long preApplyChecksum, long walOffset, long walSize, int walSalt1, int walSalt2, long nodeId) {

	/**
	 * The size of the header in bytes.
	 */
	public static final int SIZE = 100;

	/**
	 * Header flag: the rolling database checksum is not tracked, so the pre- and
	 * post-apply checksums are {@code 0}. Litestream sets it on every file.
	 */
	public static final int FLAG_NO_CHECKSUM = 2;

	private static final byte[] MAGIC = { 'L', 'T', 'X', '1' };

	/**
	 * Creates a header the way Litestream writes them: {@link #FLAG_NO_CHECKSUM}, no
	 * checksums, no WAL fields, node ID 0.
	 * @param pageSize the database page size in bytes
	 * @param commit the database size in pages after the file is applied
	 * @param minTxid the first transaction ID
	 * @param maxTxid the last transaction ID
	 * @param timestamp milliseconds since the Unix epoch
	 * @return the header (not yet validated)
	 */
	public static LtxHeader of(int pageSize, int commit, long minTxid, long maxTxid, long timestamp) {
		return new LtxHeader(FLAG_NO_CHECKSUM, pageSize, commit, minTxid, maxTxid, timestamp, 0, 0, 0, 0, 0, 0);
	}

	/**
	 * Returns a copy of this header with the source WAL position set.
	 * @param walOffset the WAL offset where the data begins
	 * @param walSize the number of WAL bytes covered
	 * @param walSalt1 salt-1 of the WAL
	 * @param walSalt2 salt-2 of the WAL
	 * @return the new header
	 */
	public LtxHeader withWal(long walOffset, long walSize, int walSalt1, int walSalt2) {
		return new LtxHeader(this.flags, this.pageSize, this.commit, this.minTxid, this.maxTxid, this.timestamp,
				this.preApplyChecksum, walOffset, walSize, walSalt1, walSalt2, this.nodeId);
	}

	/**
	 * Returns whether the file is a snapshot, that is, covers history from the first
	 * transaction and therefore holds every page of the database.
	 * @return whether {@code minTxid == 1}
	 */
	public boolean isSnapshot() {
		return this.minTxid == 1;
	}

	/**
	 * Returns whether the rolling database checksum is not tracked.
	 * @return whether {@link #FLAG_NO_CHECKSUM} is set
	 */
	public boolean isNoChecksum() {
		return (this.flags & FLAG_NO_CHECKSUM) != 0;
	}

	/**
	 * Returns the lock page for this header's page size.
	 * @return the page number that is never stored
	 * @see LtxChecksum#lockPage(int)
	 */
	public int lockPage() {
		return LtxChecksum.lockPage(this.pageSize);
	}

	/**
	 * Checks the rules the reference implementation applies to every header it reads or
	 * writes (LTX-SPEC section 3.3), in the same order.
	 * @throws LtxFormatException naming the first rule that is broken
	 */
	public void validate() throws LtxFormatException {
		if ((this.flags & ~FLAG_NO_CHECKSUM) != 0) {
			throw new LtxFormatException(String.format("invalid header flags 0x%08x (only 0x%08x is defined)",
					this.flags, FLAG_NO_CHECKSUM));
		}
		if (!isValidPageSize(this.pageSize)) {
			throw new LtxFormatException("invalid page size " + Integer.toUnsignedString(this.pageSize)
					+ " (must be a power of two from 512 to 65536)");
		}
		if (this.minTxid == 0) {
			throw new LtxFormatException("minimum TXID is 0 (TXIDs start at 1)");
		}
		if (this.maxTxid == 0) {
			throw new LtxFormatException("maximum TXID is 0 (TXIDs start at 1)");
		}
		if (Long.compareUnsigned(this.minTxid, this.maxTxid) > 0) {
			throw new LtxFormatException("TXIDs out of order: minimum " + LtxFileName.formatTxid(this.minTxid)
					+ " > maximum " + LtxFileName.formatTxid(this.maxTxid));
		}
		if (this.walOffset < 0) {
			throw new LtxFormatException("negative WAL offset " + this.walOffset);
		}
		if (this.walSize < 0) {
			throw new LtxFormatException("negative WAL size " + this.walSize);
		}
		if ((this.walSalt1 != 0 || this.walSalt2 != 0) && this.walOffset == 0) {
			throw new LtxFormatException(String.format("WAL salts 0x%08x/0x%08x are set but the WAL offset is 0",
					this.walSalt1, this.walSalt2));
		}
		if (this.walOffset == 0 && this.walSize != 0) {
			throw new LtxFormatException("WAL size " + this.walSize + " is set but the WAL offset is 0");
		}
		if (isSnapshot()) {
			if (this.preApplyChecksum != 0) {
				throw new LtxFormatException("pre-apply checksum " + Bytes.hex(this.preApplyChecksum)
						+ " must be 0 in a snapshot (minimum TXID 1)");
			}
		}
		else if (isNoChecksum()) {
			if (this.preApplyChecksum != 0) {
				throw new LtxFormatException("pre-apply checksum " + Bytes.hex(this.preApplyChecksum)
						+ " must be 0 when the NoChecksum flag is set");
			}
		}
		else if (this.preApplyChecksum == 0) {
			throw new LtxFormatException("pre-apply checksum required (the NoChecksum flag is not set)");
		}
		else if ((this.preApplyChecksum & LtxChecksum.FLAG) == 0) {
			throw new LtxFormatException(
					"invalid pre-apply checksum " + Bytes.hex(this.preApplyChecksum) + " (bit 63 must be set)");
		}
	}

	/**
	 * Encodes the header. Reserved bytes 80 to 99 are zero.
	 * @return 100 bytes
	 */
	public byte[] encode() {
		byte[] b = new byte[SIZE];
		System.arraycopy(MAGIC, 0, b, 0, 4);
		Bytes.putIntBE(b, 4, this.flags);
		Bytes.putIntBE(b, 8, this.pageSize);
		Bytes.putIntBE(b, 12, this.commit);
		Bytes.putLongBE(b, 16, this.minTxid);
		Bytes.putLongBE(b, 24, this.maxTxid);
		Bytes.putLongBE(b, 32, this.timestamp);
		Bytes.putLongBE(b, 40, this.preApplyChecksum);
		Bytes.putLongBE(b, 48, this.walOffset);
		Bytes.putLongBE(b, 56, this.walSize);
		Bytes.putIntBE(b, 64, this.walSalt1);
		Bytes.putIntBE(b, 68, this.walSalt2);
		Bytes.putLongBE(b, 72, this.nodeId);
		return b;
	}

	/**
	 * Decodes and validates a header. Reserved bytes are ignored, as the reference does
	 * (they are still covered by the file checksum).
	 * @param b at least 100 bytes, the start of an LTX file
	 * @return the header
	 * @throws LtxFormatException if the magic is not {@code LTX1} or the header breaks a
	 * rule of {@link #validate()}
	 */
	public static LtxHeader decode(byte[] b) throws LtxFormatException {
		if (b.length < SIZE) {
			throw new LtxFormatException("header too short: " + b.length + " bytes, need " + SIZE);
		}
		if (!Arrays.equals(b, 0, 4, MAGIC, 0, 4)) {
			throw new LtxFormatException(String.format("not an LTX file: magic 0x%08x, want 0x%08x ('LTX1')",
					Bytes.getIntBE(b, 0), Bytes.getIntBE(MAGIC, 0)));
		}
		LtxHeader header = new LtxHeader(Bytes.getIntBE(b, 4), Bytes.getIntBE(b, 8), Bytes.getIntBE(b, 12),
				Bytes.getLongBE(b, 16), Bytes.getLongBE(b, 24), Bytes.getLongBE(b, 32), Bytes.getLongBE(b, 40),
				Bytes.getLongBE(b, 48), Bytes.getLongBE(b, 56), Bytes.getIntBE(b, 64), Bytes.getIntBE(b, 68),
				Bytes.getLongBE(b, 72));
		header.validate();
		return header;
	}

	static boolean isValidPageSize(int pageSize) {
		return pageSize >= 512 && pageSize <= 65536 && Integer.bitCount(pageSize) == 1;
	}

	@Override
	public String toString() {
		return String.format(
				"LtxHeader[flags=0x%x, pageSize=%d, commit=%d, minTxid=%016x, maxTxid=%016x, timestamp=%d, "
						+ "preApplyChecksum=%016x, walOffset=%d, walSize=%d, walSalt1=%08x, walSalt2=%08x, nodeId=%s]",
				this.flags, this.pageSize, Integer.toUnsignedLong(this.commit), this.minTxid, this.maxTxid,
				this.timestamp, this.preApplyChecksum, this.walOffset, this.walSize, this.walSalt1, this.walSalt2,
				Long.toUnsignedString(this.nodeId));
	}

}
