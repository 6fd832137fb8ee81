package io.github.litestream.ltx;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Writes one LTX v3 file to a stream (LTX-SPEC section 6): the header when created, then
 * one call to {@link #writePage} per page, then {@link #finish()} for the end marker, the
 * page index and the trailer.
 * <p>
 * The encoder enforces everything a reader relies on: a valid header, page numbers in the
 * order of LTX-SPEC section 3.5 (ascending; consecutive from 1 in a snapshot, skipping
 * only the lock page), no lock page, no page beyond {@code commit}, a complete snapshot,
 * and a post-apply checksum that agrees with the header flags. Memory is one page frame
 * buffer plus the page index (about ten bytes per page). Each page frame reaches the
 * stream in one write call; the stream is never flushed or closed by the encoder. Not
 * thread-safe.
 */
public final class LtxEncoder {

	private static final int PAGE_HEADER_SIZE = 6;

	private static final int PAGE_FLAG_BLOCK = 1;

	private final OutputStream out;

	private final LtxHeader header;

	private final PageEncoding encoding;

	private final BlockCompressor compressor;

	private final int pageSize;

	private final long commit;

	private final long lockPage;

	private final byte[] frame;

	private final PageIndex index = new PageIndex();

	private long crc;

	private long bytesWritten;

	private long previousPgno;

	private long rollingChecksum = LtxChecksum.FLAG;

	private State state = State.PAGES;

	/**
	 * Creates an encoder and writes the header.
	 * @param out the stream to write to; offsets in the page index count from the first
	 * byte this encoder writes, so it must be the start of the file
	 * @param header the header; validated first
	 * @param encoding how pages are stored
	 * @throws LtxFormatException if the header is invalid
	 * @throws IOException if the stream fails
	 */
	public LtxEncoder(OutputStream out, LtxHeader header, PageEncoding encoding) throws IOException {
		this(out, header, encoding, Lz4.COMPRESSOR::compress);
	}

	LtxEncoder(OutputStream out, LtxHeader header, PageEncoding encoding, BlockCompressor compressor)
			throws IOException {
		this.out = Objects.requireNonNull(out, "out");
		this.header = Objects.requireNonNull(header, "header");
		this.encoding = Objects.requireNonNull(encoding, "encoding");
		this.compressor = Objects.requireNonNull(compressor, "compressor");
		header.validate();
		this.pageSize = header.pageSize();
		this.commit = Integer.toUnsignedLong(header.commit());
		this.lockPage = header.lockPage();
		this.frame = new byte[PAGE_HEADER_SIZE + 4 + Lz4.FRAME_OVERHEAD + Lz4.maxBlockLength(this.pageSize)];
		byte[] encoded = header.encode();
		write(encoded, 0, encoded.length, true);
	}

	/**
	 * Compresses and writes one page.
	 * @param pgno the page number (unsigned)
	 * @param data the buffer holding the page
	 * @param off where the page starts; {@code pageSize} bytes are read from there
	 * @throws LtxFormatException if the page number breaks the ordering rules, is the
	 * lock page or exceeds {@code commit}
	 * @throws IOException if the stream fails
	 */
	public void writePage(int pgno, byte[] data, int off) throws IOException {
		writePage(pgno, data, off, this.encoding);
	}

	/**
	 * Writes one page in the given encoding; lets tests build files that mix both, as
	 * replicas that lived through a Litestream upgrade do.
	 */
	void writePage(int pgno, byte[] data, int off, PageEncoding pageEncoding) throws IOException {
		checkState(State.PAGES);
		Objects.checkFromIndexSize(off, this.pageSize, data.length);
		checkPageNumber(Integer.toUnsignedLong(pgno));
		int length = (pageEncoding == PageEncoding.BLOCK) ? blockFrame(pgno, data, off) : lz4Frame(pgno, data, off);
		long offset = this.bytesWritten;
		int hashed = (pageEncoding == PageEncoding.BLOCK) ? PAGE_HEADER_SIZE + 4 : PAGE_HEADER_SIZE;
		// The checksum stream holds the page header (and size field) and the
		// uncompressed page, never the compressed bytes (LTX-SPEC section 5.2).
		this.crc = Crc64.update(this.crc, this.frame, 0, hashed);
		this.crc = Crc64.update(this.crc, data, off, this.pageSize);
		write(this.frame, 0, length, false);
		this.index.add(pgno, offset, length);
		this.previousPgno = Integer.toUnsignedLong(pgno);
		if (this.header.isSnapshot() && !this.header.isNoChecksum()) {
			this.rollingChecksum = LtxChecksum.fold(this.rollingChecksum,
					LtxChecksum.pageChecksum(pgno, data, off, this.pageSize));
		}
	}

	private void checkPageNumber(long pgno) throws LtxFormatException {
		if (pgno == 0) {
			throw new LtxFormatException("page number 0 is not allowed (pages start at 1)");
		}
		if (pgno > this.commit) {
			throw new LtxFormatException(
					"page " + pgno + " is beyond the commit size of " + this.commit + " pages in the header");
		}
		if (pgno == this.lockPage) {
			throw new LtxFormatException(
					"page " + pgno + " is the lock page for page size " + this.pageSize + " and is never stored");
		}
		if (this.header.isSnapshot()) {
			long expected = nextSnapshotPage(this.previousPgno, this.lockPage);
			if (pgno != expected) {
				throw new LtxFormatException("snapshot pages must be consecutive from 1 (skipping only the lock page): "
						+ "expected page " + expected + " after page " + this.previousPgno + ", got " + pgno);
			}
		}
		else if (pgno <= this.previousPgno) {
			throw new LtxFormatException(
					"pages must be written in ascending order: page " + pgno + " after page " + this.previousPgno);
		}
	}

	static long nextSnapshotPage(long previous, long lockPage) {
		long next = previous + 1;
		return (next == lockPage) ? next + 1 : next;
	}

	/** The last page a complete snapshot holds. */
	static long lastSnapshotPage(long commit, long lockPage) {
		return (commit == lockPage) ? commit - 1 : commit;
	}

	private int blockFrame(int pgno, byte[] data, int off) {
		Bytes.putIntBE(this.frame, 0, pgno);
		Bytes.putShortBE(this.frame, 4, PAGE_FLAG_BLOCK);
		int blockStart = PAGE_HEADER_SIZE + 4;
		int length = compress(data, off, blockStart);
		Bytes.putIntBE(this.frame, PAGE_HEADER_SIZE, length);
		return blockStart + length;
	}

	/**
	 * Lays the page out as the reference writer (pierrec/lz4 with 64 KiB blocks) does:
	 * one block, stored raw when compression does not make it smaller, then the end mark
	 * and the XXH32 content checksum. Readers of every Litestream v0.5.x accept exactly
	 * this shape.
	 */
	private int lz4Frame(int pgno, byte[] data, int off) {
		Bytes.putIntBE(this.frame, 0, pgno);
		Bytes.putShortBE(this.frame, 4, 0);
		int pos = PAGE_HEADER_SIZE;
		Bytes.putIntLE(this.frame, pos, Lz4.FRAME_MAGIC);
		this.frame[pos + 4] = (byte) Lz4.FRAME_FLG;
		this.frame[pos + 5] = (byte) Lz4.FRAME_BD;
		this.frame[pos + 6] = (byte) Lz4.FRAME_HC;
		pos += 7;
		int blockStart = pos + 4;
		int length = compress(data, off, blockStart);
		if (length >= this.pageSize) {
			System.arraycopy(data, off, this.frame, blockStart, this.pageSize);
			length = this.pageSize;
			Bytes.putIntLE(this.frame, pos, length | Lz4.BLOCK_UNCOMPRESSED);
		}
		else {
			Bytes.putIntLE(this.frame, pos, length);
		}
		pos = blockStart + length;
		Bytes.putIntLE(this.frame, pos, 0);
		Bytes.putIntLE(this.frame, pos + 4, Lz4.XXH32.hash(data, off, this.pageSize, 0));
		return pos + 8;
	}

	private int compress(byte[] data, int off, int dstOff) {
		int max = Lz4.maxBlockLength(this.pageSize);
		int length = this.compressor.compress(data, off, this.pageSize, this.frame, dstOff, max);
		if (length <= 0 || length > max) {
			throw new IllegalStateException("LZ4 compressor returned an invalid block length " + length);
		}
		return length;
	}

	/**
	 * Ends the file with post-apply checksum {@code 0}, as every file with
	 * {@link LtxHeader#FLAG_NO_CHECKSUM} (every Litestream file) must.
	 * @return the trailer written
	 * @throws LtxFormatException if the header tracks checksums, or a snapshot is missing
	 * pages
	 * @throws IOException if the stream fails
	 */
	public LtxTrailer finish() throws IOException {
		return finish(0);
	}

	/**
	 * Writes the end marker, the page index and the trailer. Does not flush or close the
	 * stream.
	 * @param postApplyChecksum the rolling database checksum after the file is applied:
	 * {@code 0} with {@link LtxHeader#FLAG_NO_CHECKSUM}, otherwise a value with bit 63
	 * set; for a snapshot it must equal the rolling checksum of the pages written
	 * @return the trailer written
	 * @throws LtxFormatException if the checksum does not fit the header, or a snapshot
	 * is missing pages; nothing more is written then
	 * @throws IOException if the stream fails
	 */
	public LtxTrailer finish(long postApplyChecksum) throws IOException {
		checkState(State.PAGES);
		checkTrailer(postApplyChecksum);
		byte[] tail = new byte[8];
		// End marker: a page header with page number 0 and no flags.
		write(tail, 0, 6, true);
		write(this.index.bytes(), 0, this.index.length(), true);
		// Index terminator (uvarint 0), then the index length including it.
		write(tail, 0, 1, true);
		Bytes.putLongBE(tail, 0, this.index.length() + 1L);
		write(tail, 0, 8, true);
		Bytes.putLongBE(tail, 0, postApplyChecksum);
		write(tail, 0, 8, true);
		long fileChecksum = LtxChecksum.FLAG | this.crc;
		Bytes.putLongBE(tail, 0, fileChecksum);
		write(tail, 0, 8, false);
		this.state = State.FINISHED;
		return new LtxTrailer(postApplyChecksum, fileChecksum);
	}

	private void checkTrailer(long postApplyChecksum) throws LtxFormatException {
		if (this.header.isSnapshot()) {
			long last = lastSnapshotPage(this.commit, this.lockPage);
			if (this.previousPgno != last) {
				throw new LtxFormatException("snapshot is incomplete: it must hold every page from 1 to " + this.commit
						+ " except the lock page, but ends after page " + this.previousPgno);
			}
		}
		if (this.header.isNoChecksum()) {
			if (postApplyChecksum != 0) {
				throw new LtxFormatException("post-apply checksum " + Bytes.hex(postApplyChecksum)
						+ " must be 0 when the NoChecksum flag is set");
			}
		}
		else if ((postApplyChecksum & LtxChecksum.FLAG) == 0) {
			throw new LtxFormatException("post-apply checksum " + Bytes.hex(postApplyChecksum)
					+ " is required and must have bit 63 set (the NoChecksum flag is not set)");
		}
		if (this.commit == 0 && postApplyChecksum != LtxChecksum.FLAG) {
			// The reference encoder insists on the checksum of an empty database.
			throw new LtxFormatException("post-apply checksum " + Bytes.hex(postApplyChecksum)
					+ " must be 0x8000000000000000 when commit is 0 (an empty database)");
		}
		if (this.header.isSnapshot() && !this.header.isNoChecksum() && postApplyChecksum != this.rollingChecksum) {
			// Readers verify this for snapshots, so a mismatch would produce an
			// unreadable
			// file.
			throw new LtxFormatException("post-apply checksum " + Bytes.hex(postApplyChecksum)
					+ " does not match the rolling checksum of the snapshot's pages "
					+ Bytes.hex(this.rollingChecksum));
		}
	}

	/**
	 * Returns the number of bytes written to the stream so far; after {@link #finish()},
	 * the file size.
	 * @return the byte count
	 */
	public long bytesWritten() {
		return this.bytesWritten;
	}

	private void write(byte[] b, int off, int len, boolean hash) throws IOException {
		try {
			this.out.write(b, off, len);
		}
		catch (IOException | RuntimeException ex) {
			this.state = State.FAILED;
			throw ex;
		}
		if (hash) {
			this.crc = Crc64.update(this.crc, b, off, len);
		}
		this.bytesWritten += len;
	}

	private void checkState(State expected) {
		if (this.state != expected) {
			throw new IllegalStateException(
					"LTX encoder is " + this.state.description + ", expected it to be " + expected.description);
		}
	}

	private enum State {

		PAGES("accepting pages"), FINISHED("finished"), FAILED("failed after an earlier error");

		private final String description;

		State(String description) {
			this.description = description;
		}

	}

}
