package io.github.litestream.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Reads the frames of one WAL generation in order, with the validity rules Litestream
 * applies: a frame counts only if all {@code 24 + pageSize} bytes are present, both salts
 * equal the header's, and the cumulative checksum matches. The first frame that fails any
 * of these ends the log; that is the normal way a WAL ends (stale frames of an older
 * generation, or a frame being written) and not an error.
 * <p>
 * The reader does not enforce transaction boundaries: it also returns frames of a
 * transaction whose commit frame has not been written (yet). {@link WalSegment} keeps
 * only committed frames.
 * <p>
 * Reads are positional and never move the channel's position, so the channel may be
 * shared. A reader is not thread-safe. After {@link #next(byte[])} returned {@code null}
 * it may be called again: it retries at the same offset, which picks up frames SQLite has
 * appended since.
 */
public final class WalReader {

	/** Bytes read ahead at once (rounded down to whole frames, at least one). */
	private static final int CHUNK_BYTES = 256 * 1024;

	private final FileChannel channel;

	private final WalHeader header;

	private final int pageSize;

	/** Consecutive frames read with one call, so a long log costs few reads. */
	private final ByteBuffer chunk;

	/** The same bytes in the checksum byte order. */
	private final ByteBuffer chunkWords;

	/** File offset of {@code chunk[0]}, or -1 when the chunk holds nothing. */
	private long chunkStart = -1;

	private int chunkLength;

	/** Index in {@link #chunk} of the frame {@link #advance()} returned last. */
	private int frameIndex;

	private long offset;

	private long lastFrameOffset = -1;

	private long checksum;

	/**
	 * Creates a reader that starts at the first frame, seeded with the header checksum.
	 * @param channel a channel open for reading on the WAL file
	 * @param header the header read from that file
	 */
	public WalReader(FileChannel channel, WalHeader header) {
		this(channel, header, WalHeader.SIZE, header.checksum1(), header.checksum2());
	}

	/**
	 * Creates a reader that resumes in the middle of the log.
	 * @param channel a channel open for reading on the WAL file
	 * @param header the header read from that file
	 * @param offset the frame-aligned offset of the next frame to read, at least 32
	 * @param checksum1 the first half of the cumulative checksum of the frame before
	 * {@code offset} (the header checksum when {@code offset} is 32)
	 * @param checksum2 the second half of that checksum
	 * @throws IllegalArgumentException if {@code offset} is not frame-aligned
	 */
	public WalReader(FileChannel channel, WalHeader header, long offset, int checksum1, int checksum2) {
		requireFrameAligned(header, offset);
		this.channel = channel;
		this.header = header;
		this.pageSize = header.pageSize();
		this.chunk = ByteBuffer.allocate(Math.max(1, CHUNK_BYTES / header.frameSize()) * header.frameSize());
		// One view per byte order over the same bytes: header fields are always
		// big-endian, checksum words follow the magic.
		this.chunkWords = this.chunk.duplicate().order(header.checksumByteOrder());
		this.offset = offset;
		this.checksum = WalChecksum.pack(checksum1, checksum2);
	}

	/**
	 * Reads the next valid frame.
	 * @param page receives the frame's page in {@code page[0, pageSize)}; may be longer
	 * @return the frame header, or {@code null} at the end of the log
	 * @throws IllegalArgumentException if {@code page} is shorter than the page size
	 * @throws WalFormatException if a frame passes every check but holds page 0
	 * @throws IOException if the channel cannot be read
	 */
	public @Nullable WalFrameHeader next(byte[] page) throws IOException {
		if (page.length < this.pageSize) {
			throw new IllegalArgumentException(
					"Page buffer of " + page.length + " bytes is shorter than the WAL page size " + this.pageSize);
		}
		WalFrameHeader frameHeader = advance();
		if (frameHeader != null) {
			this.chunk.get(this.frameIndex + WalHeader.FRAME_HEADER_SIZE, page, 0, this.pageSize);
		}
		return frameHeader;
	}

	/**
	 * Reads and verifies the frame at {@link #offset()}, leaving it in {@link #chunk} at
	 * {@link #frameIndex}. Frames come from a chunk read ahead; a frame that fails its
	 * checks in a chunk read earlier is read again, so the end of the log is always
	 * decided on the file's current bytes (a frame may have been half-written when the
	 * chunk was read).
	 */
	@Nullable WalFrameHeader advance() throws IOException {
		int index = (int) (this.offset - this.chunkStart);
		boolean fresh = false;
		if (this.chunkStart < 0 || index < 0 || index + this.header.frameSize() > this.chunkLength) {
			if (!fill()) {
				return null;
			}
			index = 0;
			fresh = true;
		}
		WalFrameHeader frameHeader = verify(index);
		if (frameHeader == null && !fresh) {
			if (!fill()) {
				return null;
			}
			index = 0;
			frameHeader = verify(index);
		}
		if (frameHeader == null) {
			this.chunkStart = -1;
			return null;
		}
		this.frameIndex = index;
		this.lastFrameOffset = this.offset;
		this.offset += this.header.frameSize();
		return frameHeader;
	}

	/**
	 * Reads as many whole frames from {@link #offset} as the chunk holds and the file
	 * has.
	 * @return whether at least one frame was read
	 */
	private boolean fill() throws IOException {
		this.chunk.clear();
		long at = this.offset;
		while (this.chunk.hasRemaining()) {
			int n = this.channel.read(this.chunk, at);
			if (n < 0) {
				break;
			}
			at += n;
		}
		this.chunkStart = this.offset;
		this.chunkLength = this.chunk.position();
		if (this.chunkLength < this.header.frameSize()) {
			this.chunkStart = -1;
			return false;
		}
		return true;
	}

	/**
	 * Checks the frame at {@code index} of the chunk against the header and the running
	 * checksum, and advances the checksum when it passes.
	 */
	private @Nullable WalFrameHeader verify(int index) throws WalFormatException {
		WalFrameHeader frameHeader = WalFrameHeader.decode(this.chunk, index);
		// Salts first, as SQLite and Litestream do: a frame of an older generation is
		// the normal end of the log, and its checksum is meaningless here.
		if (!frameHeader.hasSaltsOf(this.header)) {
			return null;
		}
		long sum = WalChecksum.update(this.checksum, this.chunkWords, index, index + 8);
		sum = WalChecksum.update(sum, this.chunkWords, index + WalHeader.FRAME_HEADER_SIZE,
				index + this.header.frameSize());
		if (WalChecksum.first(sum) != frameHeader.checksum1() || WalChecksum.second(sum) != frameHeader.checksum2()) {
			return null;
		}
		if (frameHeader.pgno() == 0) {
			throw new WalFormatException(null, "frame at offset " + this.offset + " holds page number 0");
		}
		this.checksum = sum;
		return frameHeader;
	}

	/**
	 * Returns the WAL header this reader checks frames against.
	 * @return the header
	 */
	public WalHeader header() {
		return this.header;
	}

	/**
	 * Returns the offset of the next frame to read, which is the end of the last valid
	 * frame read (or the start offset if none was read).
	 * @return a frame-aligned byte offset
	 */
	public long offset() {
		return this.offset;
	}

	/**
	 * Returns the offset of the last valid frame read.
	 * @return the frame's offset, or -1 if no frame was read
	 */
	public long lastFrameOffset() {
		return this.lastFrameOffset;
	}

	/**
	 * Returns the first half of the cumulative checksum after the last valid frame (the
	 * seed if no frame was read).
	 * @return the checksum word
	 */
	public int checksum1() {
		return WalChecksum.first(this.checksum);
	}

	/**
	 * Returns the second half of the cumulative checksum after the last valid frame.
	 * @return the checksum word
	 */
	public int checksum2() {
		return WalChecksum.second(this.checksum);
	}

	/**
	 * Reads the stored header of the frame that ends at {@code offset}, <em>without</em>
	 * verifying its salts or checksum. Used to resume after a restart: the caller
	 * compares its salts with the ones it synced, and its stored checksum seeds a new
	 * reader.
	 * @param channel a channel open for reading on the WAL file
	 * @param header the WAL header
	 * @param offset a frame-aligned offset, at least 32
	 * @return the frame header, or empty when {@code offset} is 32 or the frame before it
	 * is not completely in the file
	 * @throws IllegalArgumentException if {@code offset} is not frame-aligned
	 * @throws IOException if the channel cannot be read
	 */
	public static Optional<WalFrameHeader> readFrameHeaderBefore(FileChannel channel, WalHeader header, long offset)
			throws IOException {
		requireFrameAligned(header, offset);
		if (offset == WalHeader.SIZE || channel.size() < offset) {
			return Optional.empty();
		}
		ByteBuffer buf = ByteBuffer.allocate(WalHeader.FRAME_HEADER_SIZE);
		if (!WalChannels.readFully(channel, buf, offset - header.frameSize())) {
			return Optional.empty();
		}
		return Optional.of(WalFrameHeader.decode(buf, 0));
	}

	/**
	 * Walks every frame-header slot from offset 32 to the end of the file, without
	 * checksum checks, and collects the distinct salt pairs in the order first seen,
	 * stopping once {@code (stopSalt1, stopSalt2)} has been seen. Frames of older
	 * generations survive behind the current one because SQLite restarts a WAL without
	 * truncating it; a salt pair that is neither the current one nor the one last synced
	 * reveals a generation that was never read (Litestream's {@code FrameSaltsUntil}).
	 * @param channel a channel open for reading on the WAL file
	 * @param header the WAL header, for the frame size
	 * @param stopSalt1 first salt of the pair to stop after
	 * @param stopSalt2 second salt of the pair to stop after
	 * @return the distinct salt pairs, in order of first occurrence, the stop pair
	 * included if found
	 * @throws IOException if the channel cannot be read
	 */
	public static List<WalSalts> frameSaltsUntil(FileChannel channel, WalHeader header, int stopSalt1, int stopSalt2)
			throws IOException {
		Set<WalSalts> seen = new LinkedHashSet<>();
		WalSalts stop = new WalSalts(stopSalt1, stopSalt2);
		ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);
		long size = channel.size();
		for (long at = WalHeader.SIZE; at + WalHeader.FRAME_HEADER_SIZE <= size; at += header.frameSize()) {
			buf.clear();
			if (!WalChannels.readFully(channel, buf, at + 8)) {
				break;
			}
			WalSalts salts = new WalSalts(buf.getInt(0), buf.getInt(4));
			seen.add(salts);
			if (salts.equals(stop)) {
				break;
			}
		}
		return new ArrayList<>(seen);
	}

	static void requireFrameAligned(WalHeader header, long offset) {
		if (!header.isFrameAligned(offset)) {
			throw new IllegalArgumentException(
					"WAL offset " + offset + " is not a frame boundary (32 + n * " + header.frameSize() + ")");
		}
	}

}
