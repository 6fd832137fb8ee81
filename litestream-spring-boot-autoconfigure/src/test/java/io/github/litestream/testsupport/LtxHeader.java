package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The 100-byte header of an LTX file, read independently of the production codec so that
 * tests can check what either side wrote (LTX-SPEC section 3).
 *
 * @param flags header flags ({@code 2} = NoChecksum, as Litestream writes)
 * @param pageSize the database page size
 * @param commit the database size in pages after applying the file
 * @param minTxid the first TXID covered
 * @param maxTxid the last TXID covered
 * @param timestamp when the file was written (millisecond precision)
 * @param preApplyChecksum rolling checksum before applying, 0 with NoChecksum
 * @param walOffset WAL offset where the file's data begins, 0 if none
 * @param walSize WAL bytes covered, 0 if none
 * @param walSalt1 WAL salt-1 of the source WAL, 0 if none
 * @param walSalt2 WAL salt-2 of the source WAL, 0 if none
 * @param nodeId the writer's node id, 0 if unset
 * @param firstPageFlags flags of the first page header ({@code 0} = LZ4 frame, {@code 1}
 * = LZ4 block), or {@code -1} if the file holds no page
 */
public record LtxHeader(int flags, int pageSize, int commit, long minTxid, long maxTxid, Instant timestamp,
		long preApplyChecksum, long walOffset, long walSize, int walSalt1, int walSalt2, long nodeId,
		int firstPageFlags) {

	/** Size of the header in bytes. */
	public static final int SIZE = 100;

	/** Page flag of a frame-encoded page (every v0.5 reads it). */
	public static final int PAGE_FLAG_FRAME = 0;

	/** Page flag of a block-encoded page (v0.5.16+ only). */
	public static final int PAGE_FLAG_BLOCK = 1;

	/**
	 * Reads the header of an LTX file, plus the flags of its first page header.
	 * @param file an LTX file (v3 layout)
	 * @return the decoded header
	 */
	public static LtxHeader read(Path file) {
		ByteBuffer buffer;
		try (InputStream in = Files.newInputStream(file)) {
			buffer = ByteBuffer.wrap(in.readNBytes(SIZE + 6));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot read LTX header of " + file, ex);
		}
		if (buffer.remaining() < SIZE || buffer.getInt(0) != 0x4C545831) {
			throw new IllegalArgumentException(file + " is not an LTX file (no 'LTX1' magic in a 100-byte header)");
		}
		// A page header is pgno (u32) then flags (u16); pgno 0 is the end marker.
		int firstPageFlags = (buffer.remaining() >= SIZE + 6 && buffer.getInt(SIZE) != 0)
				? Short.toUnsignedInt(buffer.getShort(SIZE + 4)) : -1;
		return new LtxHeader(buffer.getInt(4), buffer.getInt(8), buffer.getInt(12), buffer.getLong(16),
				buffer.getLong(24), Instant.ofEpochMilli(buffer.getLong(32)), buffer.getLong(40), buffer.getLong(48),
				buffer.getLong(56), buffer.getInt(64), buffer.getInt(68), buffer.getLong(72), firstPageFlags);
	}

	/**
	 * Whether this file is an LTX snapshot (covers the database from TXID 1).
	 * @return {@code true} if {@code minTxid == 1}
	 */
	public boolean isSnapshot() {
		return this.minTxid == 1;
	}

}
