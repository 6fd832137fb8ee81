package io.github.litestream.wal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * The committed result of scanning a range of a WAL: for each page, the frame that holds
 * its latest committed version. This is what one Litestream sync ships.
 * <p>
 * A frame's page is kept only once a commit frame at or after it has been read, so the
 * frames of a trailing transaction that has not committed (or was rolled back after
 * spilling to the WAL) are ignored. Pages above the database size of the last commit are
 * dropped, because the database shrank below them.
 * <p>
 * Instances are immutable. They hold frame offsets, not page data: read pages with
 * {@link #readPage(FileChannel, int, byte[])} while the WAL generation is still the one
 * scanned.
 */
public final class WalSegment {

	private final WalHeader header;

	private final long startOffset;

	private final long endOffset;

	private final long endChecksum;

	private final int commit;

	private final long lastCommitFrameOffset;

	private final int[] pages;

	private final long[] frameOffsets;

	private WalSegment(WalHeader header, long startOffset, long endOffset, long endChecksum, int commit,
			long lastCommitFrameOffset, int[] pages, long[] frameOffsets) {
		this.header = header;
		this.startOffset = startOffset;
		this.endOffset = endOffset;
		this.endChecksum = endChecksum;
		this.commit = commit;
		this.lastCommitFrameOffset = lastCommitFrameOffset;
		this.pages = pages;
		this.frameOffsets = frameOffsets;
	}

	/**
	 * Scans the whole valid log from the first frame, without a byte limit.
	 * @param channel a channel open for reading on the WAL file
	 * @param header the header read from that file
	 * @return the committed pages of the log
	 * @throws IOException if the channel cannot be read
	 */
	public static WalSegment scan(FileChannel channel, WalHeader header) throws IOException {
		return scan(channel, header, WalHeader.SIZE, header.checksum1(), header.checksum2(), 0);
	}

	/**
	 * Scans the log from {@code offset} to its end (or to the byte limit), keeping the
	 * latest committed version of each page.
	 * @param channel a channel open for reading on the WAL file
	 * @param header the header read from that file
	 * @param offset the frame-aligned offset to start at, at least 32
	 * @param checksum1 first half of the cumulative checksum of the frame before
	 * {@code offset} (the header checksum at 32)
	 * @param checksum2 second half of that checksum
	 * @param maxBytes when positive, stop after the first commit frame that ends at or
	 * beyond {@code offset + maxBytes}, so the segment always ends on a commit; zero or
	 * negative for no limit
	 * @return the committed pages of the range
	 * @throws IllegalArgumentException if {@code offset} is not frame-aligned
	 * @throws IOException if the channel cannot be read
	 */
	public static WalSegment scan(FileChannel channel, WalHeader header, long offset, int checksum1, int checksum2,
			long maxBytes) throws IOException {
		WalReader reader = new WalReader(channel, header, offset, checksum1, checksum2);
		PageOffsetMap committed = new PageOffsetMap();
		// Frames since the last commit, in log order; replayed into the committed map
		// when their commit frame arrives so later versions win.
		int[] pendingPages = new int[64];
		long[] pendingOffsets = new long[64];
		int pendingCount = 0;
		long endOffset = offset;
		long endChecksum = WalChecksum.pack(checksum1, checksum2);
		int commit = 0;
		long lastCommitFrameOffset = -1;
		WalFrameHeader frame;
		while ((frame = reader.advance()) != null) {
			if (pendingCount == pendingPages.length) {
				pendingPages = Arrays.copyOf(pendingPages, pendingCount * 2);
				pendingOffsets = Arrays.copyOf(pendingOffsets, pendingCount * 2);
			}
			pendingPages[pendingCount] = frame.pgno();
			pendingOffsets[pendingCount] = reader.lastFrameOffset();
			pendingCount++;
			if (!frame.isCommit()) {
				continue;
			}
			for (int i = 0; i < pendingCount; i++) {
				committed.put(pendingPages[i], pendingOffsets[i]);
			}
			pendingCount = 0;
			commit = frame.commit();
			lastCommitFrameOffset = reader.lastFrameOffset();
			endOffset = reader.offset();
			endChecksum = WalChecksum.pack(reader.checksum1(), reader.checksum2());
			if (maxBytes > 0 && endOffset - offset >= maxBytes) {
				break;
			}
		}
		int[] pages = committed.sortedKeysAtMost(commit);
		long[] frameOffsets = new long[pages.length];
		for (int i = 0; i < pages.length; i++) {
			frameOffsets[i] = committed.get(pages[i]);
		}
		return new WalSegment(header, offset, endOffset, endChecksum, commit, lastCommitFrameOffset, pages,
				frameOffsets);
	}

	/**
	 * Returns the header of the WAL generation that was scanned.
	 * @return the WAL header
	 */
	public WalHeader header() {
		return this.header;
	}

	/**
	 * Returns the offset the scan started at.
	 * @return a frame-aligned offset
	 */
	public long startOffset() {
		return this.startOffset;
	}

	/**
	 * Returns the end of the last commit frame in the range: where the next scan starts.
	 * @return a frame-aligned offset, {@link #startOffset()} when nothing was committed
	 */
	public long endOffset() {
		return this.endOffset;
	}

	/**
	 * Returns the first half of the cumulative checksum at {@link #endOffset()}, the seed
	 * for the next scan.
	 * @return the checksum word
	 */
	public int endChecksum1() {
		return WalChecksum.first(this.endChecksum);
	}

	/**
	 * Returns the second half of the cumulative checksum at {@link #endOffset()}.
	 * @return the checksum word
	 */
	public int endChecksum2() {
		return WalChecksum.second(this.endChecksum);
	}

	/**
	 * Returns the database size in pages after the last commit in the range.
	 * @return the size in pages (unsigned), 0 when the range holds no commit
	 */
	public int commit() {
		return this.commit;
	}

	/**
	 * Returns whether the range holds at least one committed transaction.
	 * @return {@code true} when a commit frame was read
	 */
	public boolean hasCommit() {
		return this.lastCommitFrameOffset >= 0;
	}

	/**
	 * Returns the number of distinct committed pages.
	 * @return the page count
	 */
	public int pageCount() {
		return this.pages.length;
	}

	/**
	 * Returns the committed page numbers.
	 * @return a new array of page numbers in ascending order
	 */
	public int[] pages() {
		return this.pages.clone();
	}

	/**
	 * Returns the offset of the frame that holds a page's latest committed version.
	 * @param pgno the page number
	 * @return the frame offset, or -1 when the page is not in this segment
	 */
	public long frameOffset(int pgno) {
		int index = indexOf(pgno);
		return (index >= 0) ? this.frameOffsets[index] : -1;
	}

	/**
	 * Reads a page's latest committed version from the WAL, then reads the frame's header
	 * again and checks that it still carries this segment's salts and the page number: a
	 * WAL restarted since the scan (which a reader on read mark 0, as on a fully
	 * backfilled WAL, does not prevent) is refused rather than read as this generation.
	 * The header is read after the page because SQLite writes a frame's header before its
	 * page: a page overwritten by a new generation shows in the header read after it.
	 * @param channel a channel open for reading on the scanned WAL file
	 * @param pgno a page number of this segment
	 * @param dst receives the page in {@code dst[0, pageSize)}
	 * @throws IllegalArgumentException if the page is not in this segment or {@code dst}
	 * is too short
	 * @throws EOFException if the WAL is now shorter than the frame
	 * @throws IOException if the WAL was restarted since the scan, or the channel cannot
	 * be read
	 */
	public void readPage(FileChannel channel, int pgno, byte[] dst) throws IOException {
		long frameOffset = frameOffset(pgno);
		if (frameOffset < 0) {
			throw new IllegalArgumentException(
					"Page " + Integer.toUnsignedString(pgno) + " is not in this WAL segment");
		}
		int pageSize = this.header.pageSize();
		if (dst.length < pageSize) {
			throw new IllegalArgumentException(
					"Page buffer of " + dst.length + " bytes is shorter than the WAL page size " + pageSize);
		}
		ByteBuffer buf = ByteBuffer.wrap(dst, 0, pageSize);
		if (!WalChannels.readFully(channel, buf, frameOffset + WalHeader.FRAME_HEADER_SIZE)) {
			throw new EOFException("WAL ends inside the frame of page " + Integer.toUnsignedString(pgno) + " at offset "
					+ frameOffset);
		}
		ByteBuffer frame = ByteBuffer.allocate(WalHeader.FRAME_HEADER_SIZE);
		if (!WalChannels.readFully(channel, frame, frameOffset)) {
			throw new EOFException("WAL ends inside the frame of page " + Integer.toUnsignedString(pgno) + " at offset "
					+ frameOffset);
		}
		int framePgno = frame.getInt(0);
		int salt1 = frame.getInt(8);
		int salt2 = frame.getInt(12);
		if (framePgno != pgno || salt1 != this.header.salt1() || salt2 != this.header.salt2()) {
			throw new IOException(String.format(
					"WAL was restarted since it was scanned: the frame at offset %d now has salts %08x/%08x "
							+ "(scanned %08x/%08x) and page %s",
					frameOffset, salt1, salt2, this.header.salt1(), this.header.salt2(),
					Integer.toUnsignedString(framePgno)));
		}
	}

	/**
	 * Returns the offset of the last commit frame in the range.
	 * @return the frame offset, or -1 when the range holds no commit
	 */
	public long lastCommitFrameOffset() {
		return this.lastCommitFrameOffset;
	}

	private int indexOf(int pgno) {
		// pages is sorted as unsigned values; binary search with the same order.
		int low = 0;
		int high = this.pages.length - 1;
		while (low <= high) {
			int mid = (low + high) >>> 1;
			int cmp = Integer.compareUnsigned(this.pages[mid], pgno);
			if (cmp < 0) {
				low = mid + 1;
			}
			else if (cmp > 0) {
				high = mid - 1;
			}
			else {
				return mid;
			}
		}
		return -1;
	}

	/**
	 * Describes the segment for logs: salts, byte range, database size and page count.
	 * @return a one-line description
	 */
	@Override
	public String toString() {
		return "WalSegment[salts=" + this.header.salts() + ", offsets=" + this.startOffset + ".." + this.endOffset
				+ ", commit=" + Integer.toUnsignedString(this.commit) + ", pages=" + this.pages.length + "]";
	}

}
