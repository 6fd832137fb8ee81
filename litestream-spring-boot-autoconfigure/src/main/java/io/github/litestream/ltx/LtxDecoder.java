package io.github.litestream.ltx;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

import net.jpountz.lz4.LZ4Exception;
import org.jspecify.annotations.Nullable;

/**
 * Reads one LTX v3 file from a stream, strictly (LTX-SPEC section 7): the header when
 * created, then one page per {@link #readPage} call, then {@link #finish()} for the page
 * index and the trailer.
 * <p>
 * Beyond what the reference decoder checks (header rules, page flags, LZ4 errors, file
 * checksum, snapshot post-apply checksum), this decoder also rejects: pages out of order,
 * the lock page, pages beyond {@code commit}, a snapshot missing pages, LZ4 data that
 * does not decode to exactly one page (including bad LZ4 frame header or content
 * checksums), a page index that does not list exactly the page frames, a wrong index
 * length, a non-zero post-apply checksum with {@link LtxHeader#FLAG_NO_CHECKSUM}, and any
 * byte after the trailer. Both page encodings are read, even mixed in one file.
 * <p>
 * Corruption can only be proven at the end: <strong>pages returned by {@link #readPage}
 * must not be used irreversibly before {@link #finish()} has returned</strong>. Every
 * error message starts with the source name given to the constructor. After an error the
 * decoder refuses further work.
 * <p>
 * Memory: a 16 KiB read buffer, one compressed-block buffer and the page frames seen so
 * far (about ten bytes per page), whatever the file size. Not thread-safe.
 */
public final class LtxDecoder implements Closeable {

	private static final int BUFFER_SIZE = 16 * 1024;

	private static final int PAGE_HEADER_SIZE = 6;

	private final InputStream in;

	private final String sourceName;

	private final byte[] buffer = new byte[BUFFER_SIZE];

	private final byte[] small = new byte[16];

	private final PageIndex frames = new PageIndex();

	private final LtxHeader header;

	private final int pageSize;

	private final long commit;

	private final long lockPage;

	private final boolean trackRollingChecksum;

	private int bufferPos;

	private int bufferLen;

	private long position;

	private long crc;

	private long previousPgno;

	private long rollingChecksum = LtxChecksum.FLAG;

	private byte @Nullable [] block;

	private byte @Nullable [] scratch;

	private State state = State.PAGES;

	private boolean closed;

	private @Nullable IOException failure;

	private @Nullable LtxTrailer trailer;

	/**
	 * Creates a decoder and reads and validates the header.
	 * @param in the file's bytes, from the first; closed by {@link #close()}, or at once
	 * if the header cannot be read
	 * @param sourceName where the bytes come from (a path or an object key); starts every
	 * error message
	 * @throws LtxFormatException if the file is too short, has the wrong magic or an
	 * invalid header
	 * @throws IOException if the stream fails
	 */
	public LtxDecoder(InputStream in, String sourceName) throws IOException {
		this.in = Objects.requireNonNull(in, "in");
		this.sourceName = Objects.requireNonNull(sourceName, "sourceName");
		LtxHeader decoded;
		try {
			decoded = readHeader();
		}
		catch (IOException | RuntimeException ex) {
			try {
				in.close();
			}
			catch (IOException closeFailure) {
				ex.addSuppressed(closeFailure);
			}
			throw ex;
		}
		this.header = decoded;
		this.pageSize = decoded.pageSize();
		this.commit = Integer.toUnsignedLong(decoded.commit());
		this.lockPage = decoded.lockPage();
		this.trackRollingChecksum = decoded.isSnapshot() && !decoded.isNoChecksum();
	}

	private LtxHeader readHeader() throws IOException {
		byte[] bytes = new byte[LtxHeader.SIZE];
		readFully(bytes, 0, bytes.length, "header");
		hash(bytes, 0, bytes.length);
		try {
			return LtxHeader.decode(bytes);
		}
		catch (LtxFormatException ex) {
			throw new LtxFormatException(this.sourceName + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Returns the header.
	 * @return the validated header
	 */
	public LtxHeader header() {
		return this.header;
	}

	/**
	 * Returns the name given to the constructor.
	 * @return the source name used in error messages
	 */
	public String sourceName() {
		return this.sourceName;
	}

	/**
	 * Returns the number of pages decoded so far.
	 * @return the page count
	 */
	public int pageCount() {
		return this.frames.count();
	}

	/**
	 * Decodes the next page.
	 * @param dst receives the page in its first {@code pageSize} bytes
	 * @return the page number (unsigned), or {@code 0} once the end of the pages is
	 * reached (and on every later call)
	 * @throws LtxFormatException if the page is malformed or out of order
	 * @throws IOException if the stream fails
	 */
	public int readPage(byte[] dst) throws IOException {
		if (dst.length < this.pageSize) {
			throw new IllegalArgumentException(
					"page buffer of " + dst.length + " bytes is smaller than the page size " + this.pageSize);
		}
		checkUsable();
		if (this.state != State.PAGES) {
			return 0;
		}
		try {
			return nextPage(dst);
		}
		catch (IOException ex) {
			this.failure = ex;
			throw ex;
		}
	}

	/**
	 * Reads whatever pages remain (discarding them), then the page index and the trailer,
	 * and verifies the whole file. Calling it again returns the same trailer.
	 * @return the trailer, once everything has verified
	 * @throws LtxFormatException if anything is wrong, most importantly a file checksum
	 * mismatch
	 * @throws IOException if the stream fails
	 */
	public LtxTrailer finish() throws IOException {
		if (this.trailer != null) {
			return this.trailer;
		}
		checkUsable();
		try {
			if (this.state == State.PAGES) {
				if (this.scratch == null) {
					this.scratch = new byte[this.pageSize];
				}
				while (nextPage(this.scratch) != 0) {
					// discard
				}
			}
			LtxTrailer result = readIndexAndTrailer();
			this.state = State.FINISHED;
			this.trailer = result;
			return result;
		}
		catch (IOException ex) {
			this.failure = ex;
			throw ex;
		}
	}

	/**
	 * Closes the stream. A decoder that was not finished proves nothing about its pages.
	 * @throws IOException if closing the stream fails
	 */
	@Override
	public void close() throws IOException {
		if (!this.closed) {
			this.closed = true;
			this.in.close();
		}
	}

	private void checkUsable() throws IOException {
		if (this.closed) {
			throw new IllegalStateException(this.sourceName + ": decoder is closed");
		}
		IOException earlier = this.failure;
		if (earlier != null) {
			String message = this.sourceName + ": decoding stopped after an earlier error: " + earlier.getMessage();
			throw (earlier instanceof LtxFormatException) ? new LtxFormatException(message, earlier)
					: new IOException(message, earlier);
		}
	}

	private int nextPage(byte[] dst) throws IOException {
		long start = this.position;
		readFully(this.small, 0, PAGE_HEADER_SIZE, "page header");
		hash(this.small, 0, PAGE_HEADER_SIZE);
		long pgno = Integer.toUnsignedLong(Bytes.getIntBE(this.small, 0));
		int flags = Bytes.getShortBE(this.small, 4);
		if (pgno == 0 && flags == 0) {
			endOfPages(start);
			return 0;
		}
		if (pgno == 0) {
			throw error("page header at offset %d has page number 0 with flags 0x%04x (a page number is required)",
					start, flags);
		}
		if ((flags & ~1) != 0) {
			throw error(
					"invalid page header flags 0x%04x for page %d at offset %d: only 0 (LZ4 frame) and 1 "
							+ "(LZ4 block) exist. Files written by ltx v0.4 or older (LiteFS, pre-release Litestream "
							+ "v0.5) share the 'LTX1' magic but use another layout, which Litestream v0.5 cannot read",
					flags, pgno, start);
		}
		checkOrder(pgno, start);
		if (flags == 1) {
			readBlockPayload(dst, pgno, start);
		}
		else {
			readFramePayload(dst, pgno, start);
		}
		hash(dst, 0, this.pageSize);
		this.frames.add((int) pgno, start, (int) (this.position - start));
		this.previousPgno = pgno;
		if (this.trackRollingChecksum) {
			this.rollingChecksum = LtxChecksum.fold(this.rollingChecksum,
					LtxChecksum.pageChecksum((int) pgno, dst, 0, this.pageSize));
		}
		return (int) pgno;
	}

	private void checkOrder(long pgno, long offset) throws LtxFormatException {
		if (pgno > this.commit) {
			throw error("page %d at offset %d is beyond the commit size of %d pages", pgno, offset, this.commit);
		}
		if (pgno == this.lockPage) {
			throw error("page %d at offset %d is the lock page for page size %d, which is never stored", pgno, offset,
					this.pageSize);
		}
		if (this.header.isSnapshot()) {
			long expected = LtxEncoder.nextSnapshotPage(this.previousPgno, this.lockPage);
			if (pgno != expected) {
				throw error("snapshot page %d at offset %d is out of sequence: expected page %d", pgno, offset,
						expected);
			}
		}
		else if (pgno <= this.previousPgno) {
			throw error("page %d at offset %d does not follow page %d (pages must be in ascending order)", pgno, offset,
					this.previousPgno);
		}
	}

	private void endOfPages(long offset) throws LtxFormatException {
		if (this.header.isSnapshot()) {
			long last = LtxEncoder.lastSnapshotPage(this.commit, this.lockPage);
			if (this.previousPgno != last) {
				throw error("snapshot is incomplete: its pages end at offset %d after page %d, but it must hold every "
						+ "page up to the commit size of %d", offset, this.previousPgno, this.commit);
			}
		}
		this.state = State.END;
	}

	private void readBlockPayload(byte[] dst, long pgno, long start) throws IOException {
		readFully(this.small, 0, 4, "LZ4 block size");
		hash(this.small, 0, 4);
		long size = Integer.toUnsignedLong(Bytes.getIntBE(this.small, 0));
		int max = Lz4.maxBlockLength(this.pageSize);
		if (size == 0 || size > max) {
			throw error("page %d at offset %d: LZ4 block size %d is outside 1..%d for page size %d", pgno, start, size,
					max, this.pageSize);
		}
		byte[] compressed = blockBuffer();
		readFully(compressed, 0, (int) size, "LZ4 block");
		int n = decompress(compressed, (int) size, dst, 0, pgno, start);
		if (n != this.pageSize) {
			throw error("page %d at offset %d: LZ4 block decodes to %d bytes, want the page size %d", pgno, start, n,
					this.pageSize);
		}
	}

	/**
	 * Parses one LZ4 frame generically (any block size, optional content size and block
	 * checksums, several blocks), because the frame is the only record of its own length.
	 */
	private void readFramePayload(byte[] dst, long pgno, long start) throws IOException {
		byte[] b = this.small;
		readFully(b, 0, 6, "LZ4 frame header");
		int magic = Bytes.getIntLE(b, 0);
		if (magic != Lz4.FRAME_MAGIC) {
			throw error("page %d at offset %d: LZ4 frame magic 0x%08x, want 0x%08x", pgno, start, magic,
					Lz4.FRAME_MAGIC);
		}
		int flg = b[4] & 0xFF;
		int bd = b[5] & 0xFF;
		if ((flg >>> 6) != 1 || (flg & 0x02) != 0 || (bd & 0x8F) != 0) {
			throw error("page %d at offset %d: unsupported LZ4 frame descriptor FLG 0x%02x BD 0x%02x", pgno, start, flg,
					bd);
		}
		if ((flg & 0x01) != 0) {
			throw error("page %d at offset %d: LZ4 frame needs a dictionary, which LTX never uses", pgno, start);
		}
		int blockSizeId = (bd >>> 4) & 0x07;
		if (blockSizeId < 4) {
			throw error("page %d at offset %d: invalid LZ4 frame block size ID %d", pgno, start, blockSizeId);
		}
		int maxBlock = 1 << (8 + 2 * blockSizeId);
		boolean blockChecksums = (flg & 0x10) != 0;
		boolean contentSize = (flg & 0x08) != 0;
		boolean contentChecksum = (flg & 0x04) != 0;
		int descriptorEnd = 6;
		if (contentSize) {
			readFully(b, 6, 8, "LZ4 frame content size");
			descriptorEnd = 14;
		}
		readFully(b, descriptorEnd, 1, "LZ4 frame header checksum");
		int expectedHc = (Lz4.XXH32.hash(b, 4, descriptorEnd - 4, 0) >>> 8) & 0xFF;
		if ((b[descriptorEnd] & 0xFF) != expectedHc) {
			throw error("page %d at offset %d: LZ4 frame header checksum 0x%02x, want 0x%02x", pgno, start,
					b[descriptorEnd] & 0xFF, expectedHc);
		}
		if (contentSize) {
			long declared = Integer.toUnsignedLong(Bytes.getIntLE(b, 6))
					| (Integer.toUnsignedLong(Bytes.getIntLE(b, 10)) << 32);
			if (declared != this.pageSize) {
				throw error("page %d at offset %d: LZ4 frame declares %d bytes of content, want the page size %d", pgno,
						start, declared, this.pageSize);
			}
		}
		int produced = 0;
		while (true) {
			readFully(b, 0, 4, "LZ4 frame block size");
			int blockSize = Bytes.getIntLE(b, 0);
			if (blockSize == 0) {
				break;
			}
			int length = blockSize & ~Lz4.BLOCK_UNCOMPRESSED;
			boolean stored = (blockSize & Lz4.BLOCK_UNCOMPRESSED) != 0;
			if (length > maxBlock) {
				throw error("page %d at offset %d: LZ4 frame block of %d bytes exceeds the frame's maximum of %d", pgno,
						start, length, maxBlock);
			}
			int blockStart = produced;
			if (stored) {
				if (length > this.pageSize - produced) {
					throw error("page %d at offset %d: LZ4 frame holds more than the page size %d", pgno, start,
							this.pageSize);
				}
				readFully(dst, produced, length, "LZ4 frame block");
				produced += length;
			}
			else {
				if (length > Lz4.maxBlockLength(this.pageSize) || produced == this.pageSize) {
					throw error("page %d at offset %d: LZ4 frame block of %d bytes cannot belong to a page of %d bytes",
							pgno, start, length, this.pageSize);
				}
				readFully(blockBuffer(), 0, length, "LZ4 frame block");
				produced += decompress(blockBuffer(), length, dst, produced, pgno, start);
			}
			if (blockChecksums) {
				readFully(b, 4, 4, "LZ4 frame block checksum");
				int actual = stored ? Lz4.XXH32.hash(dst, blockStart, length, 0)
						: Lz4.XXH32.hash(blockBuffer(), 0, length, 0);
				if (actual != Bytes.getIntLE(b, 4)) {
					throw error("page %d at offset %d: LZ4 frame block checksum mismatch", pgno, start);
				}
			}
		}
		if (produced != this.pageSize) {
			throw error("page %d at offset %d: LZ4 frame decodes to %d bytes, want the page size %d", pgno, start,
					produced, this.pageSize);
		}
		if (contentChecksum) {
			readFully(b, 0, 4, "LZ4 frame content checksum");
			int expected = Lz4.XXH32.hash(dst, 0, this.pageSize, 0);
			if (Bytes.getIntLE(b, 0) != expected) {
				throw error("page %d at offset %d: LZ4 frame content checksum 0x%08x, want 0x%08x", pgno, start,
						Bytes.getIntLE(b, 0), expected);
			}
		}
	}

	private int decompress(byte[] src, int length, byte[] dst, int dstOff, long pgno, long start)
			throws LtxFormatException {
		String problem = Lz4.checkBlock(src, length);
		if (problem != null) {
			throw error("page %d at offset %d: corrupt LZ4 data (%s)", pgno, start, problem);
		}
		try {
			return Lz4.DECOMPRESSOR.decompress(src, 0, length, dst, dstOff, this.pageSize - dstOff);
		}
		catch (LZ4Exception ex) {
			throw new LtxFormatException(String.format("%s: page %d at offset %d: corrupt LZ4 data (%s)",
					this.sourceName, pgno, start, ex.getMessage()), ex);
		}
	}

	private byte[] blockBuffer() {
		byte[] b = this.block;
		if (b == null) {
			b = new byte[Lz4.maxBlockLength(this.pageSize)];
			this.block = b;
		}
		return b;
	}

	private LtxTrailer readIndexAndTrailer() throws IOException {
		long indexStart = this.position;
		PageIndex.Cursor expected = this.frames.cursor();
		int entries = 0;
		while (true) {
			long entryOffset = this.position;
			long pgno = readUvarint();
			if (pgno == 0) {
				break;
			}
			long offset = readUvarint();
			long size = readUvarint();
			if (entries == this.frames.count()) {
				throw error("page index entry at offset %d lists page %s, but the file holds only %d pages",
						entryOffset, Long.toUnsignedString(pgno), entries);
			}
			long framePgno = expected.next();
			long frameOffset = expected.next();
			long frameSize = expected.next();
			if (pgno != framePgno || offset != frameOffset || size != frameSize) {
				throw error(
						"page index entry at offset %d (page %s, offset %s, size %s) does not match page frame %d "
								+ "(page %d, offset %d, size %d)",
						entryOffset, Long.toUnsignedString(pgno), Long.toUnsignedString(offset),
						Long.toUnsignedString(size), entries + 1, framePgno, frameOffset, frameSize);
			}
			entries++;
		}
		if (entries != this.frames.count()) {
			throw error("page index ending at offset %d lists %d pages, but the file holds %d", this.position, entries,
					this.frames.count());
		}
		long indexLength = this.position - indexStart;
		long lengthOffset = this.position;
		readFully(this.small, 0, 8, "page index length");
		hash(this.small, 0, 8);
		long declared = Bytes.getLongBE(this.small, 0);
		if (declared != indexLength) {
			throw error("page index length at offset %d is %s, but the index is %d bytes", lengthOffset,
					Long.toUnsignedString(declared), indexLength);
		}
		long trailerOffset = this.position;
		readFully(this.small, 0, LtxTrailer.SIZE, "trailer");
		hash(this.small, 0, 8);
		long postApply = Bytes.getLongBE(this.small, 0);
		long fileChecksum = Bytes.getLongBE(this.small, 8);
		long computed = LtxChecksum.FLAG | this.crc;
		if (fileChecksum != computed) {
			throw error("file checksum mismatch: the trailer at offset %d says %s, the contents hash to %s "
					+ "(the file is corrupt)", trailerOffset, Bytes.hex(fileChecksum), Bytes.hex(computed));
		}
		if (!atEndOfStream()) {
			throw error("unexpected bytes after the trailer at offset %d (the file must end there)", this.position);
		}
		if (this.header.isNoChecksum()) {
			if (postApply != 0) {
				throw error("post-apply checksum %s in the trailer must be 0 because the NoChecksum flag is set",
						Bytes.hex(postApply));
			}
		}
		else if ((postApply & LtxChecksum.FLAG) == 0) {
			throw error("post-apply checksum %s in the trailer must have bit 63 set", Bytes.hex(postApply));
		}
		if (this.trackRollingChecksum && postApply != this.rollingChecksum) {
			throw error("post-apply checksum %s in the trailer does not match the snapshot's pages, which give %s",
					Bytes.hex(postApply), Bytes.hex(this.rollingChecksum));
		}
		return new LtxTrailer(postApply, fileChecksum);
	}

	/**
	 * Reads an unsigned LEB128 value as Go's {@code binary.ReadUvarint} does, accepting
	 * non-minimal forms.
	 */
	private long readUvarint() throws IOException {
		long start = this.position;
		long x = 0;
		int shift = 0;
		for (int i = 0; i < 10; i++) {
			int b = readByte("page index");
			this.crc = Crc64.update(this.crc, b);
			if (b < 0x80) {
				if (i == 9 && b > 1) {
					break;
				}
				return x | ((long) b << shift);
			}
			x |= (long) (b & 0x7F) << shift;
			shift += 7;
		}
		throw error("page index value at offset %d overflows 64 bits", start);
	}

	private void hash(byte[] b, int off, int len) {
		this.crc = Crc64.update(this.crc, b, off, len);
	}

	private int readByte(String what) throws IOException {
		if (this.bufferPos == this.bufferLen) {
			fill(what);
		}
		this.position++;
		return this.buffer[this.bufferPos++] & 0xFF;
	}

	private void readFully(byte[] dst, int off, int len, String what) throws IOException {
		int o = off;
		int remaining = len;
		while (remaining > 0) {
			if (this.bufferPos == this.bufferLen) {
				if (remaining >= this.buffer.length) {
					// Large reads bypass the buffer instead of being copied twice.
					int n = read(dst, o, remaining);
					if (n < 0) {
						throw truncated(what);
					}
					o += n;
					remaining -= n;
					this.position += n;
					continue;
				}
				fill(what);
			}
			int n = Math.min(remaining, this.bufferLen - this.bufferPos);
			System.arraycopy(this.buffer, this.bufferPos, dst, o, n);
			this.bufferPos += n;
			o += n;
			remaining -= n;
			this.position += n;
		}
	}

	private void fill(String what) throws IOException {
		int n = read(this.buffer, 0, this.buffer.length);
		if (n < 0) {
			throw truncated(what);
		}
		this.bufferPos = 0;
		this.bufferLen = n;
	}

	private boolean atEndOfStream() throws IOException {
		if (this.bufferPos < this.bufferLen) {
			return false;
		}
		return read(this.buffer, 0, 1) < 0;
	}

	/** Reads at least one byte, or returns -1 at the end of the stream. */
	private int read(byte[] dst, int off, int len) throws IOException {
		try {
			int n;
			do {
				n = this.in.read(dst, off, len);
			}
			while (n == 0);
			return n;
		}
		catch (IOException ex) {
			throw new IOException(this.sourceName + ": cannot read at offset " + this.position + ": " + ex.getMessage(),
					ex);
		}
	}

	private LtxFormatException truncated(String what) {
		return error("file is truncated: it ends at offset %d, in the middle of the %s", this.position, what);
	}

	private LtxFormatException error(String format, Object... args) {
		return new LtxFormatException(this.sourceName + ": " + String.format(format, args));
	}

	private enum State {

		PAGES, END, FINISHED

	}

}
