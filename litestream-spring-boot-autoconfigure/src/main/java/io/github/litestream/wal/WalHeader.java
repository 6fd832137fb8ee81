package io.github.litestream.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * The 32-byte header at the start of a SQLite WAL. All fields are unsigned 32-bit values,
 * stored big-endian.
 *
 * @param magic {@link #MAGIC_LITTLE_ENDIAN} or {@link #MAGIC_BIG_ENDIAN}: the byte order
 * of the checksum words
 * @param formatVersion the WAL format version, always {@link #FORMAT_VERSION}
 * @param pageSize the database page size in bytes
 * @param checkpointSeq the checkpoint sequence number, incremented on every WAL restart
 * @param salt1 the first salt, incremented on every WAL restart
 * @param salt2 the second salt, a new random value on every WAL restart
 * @param checksum1 the first half of the checksum over header bytes 0 to 23
 * @param checksum2 the second half of the header checksum
 */
public record WalHeader(int magic, int formatVersion, int pageSize, int checkpointSeq, int salt1, int salt2,
		int checksum1, int checksum2) {

	/**
	 * Size of the WAL header in bytes; the first frame starts here.
	 */
	public static final int SIZE = 32;

	/**
	 * Size of the header in front of every page in the WAL.
	 */
	public static final int FRAME_HEADER_SIZE = 24;

	/**
	 * Magic number of a WAL whose checksum words are little-endian (what x86 and ARM
	 * write).
	 */
	public static final int MAGIC_LITTLE_ENDIAN = 0x377F0682;

	/**
	 * Magic number of a WAL whose checksum words are big-endian.
	 */
	public static final int MAGIC_BIG_ENDIAN = 0x377F0683;

	/**
	 * The only WAL format version SQLite has ever written.
	 */
	public static final int FORMAT_VERSION = 3007000;

	private static final int MIN_PAGE_SIZE = 512;

	private static final int MAX_PAGE_SIZE = 65536;

	/**
	 * Returns whether the checksum words of this WAL are read big-endian.
	 * @return {@code true} for magic {@code 0x377f0683}
	 */
	public boolean bigEndianChecksums() {
		return this.magic == MAGIC_BIG_ENDIAN;
	}

	/**
	 * Returns the byte order of the checksum words.
	 * @return the byte order given by the magic number
	 */
	public ByteOrder checksumByteOrder() {
		return bigEndianChecksums() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
	}

	/**
	 * Returns the size of one frame: the frame header plus one page.
	 * @return {@code 24 + pageSize}
	 */
	public int frameSize() {
		return FRAME_HEADER_SIZE + this.pageSize;
	}

	/**
	 * Returns the offset of the frame with the given index.
	 * @param frameIndex the 0-based frame index
	 * @return {@code 32 + frameIndex * frameSize()}
	 */
	public long frameOffset(long frameIndex) {
		return SIZE + frameIndex * frameSize();
	}

	/**
	 * Returns whether {@code offset} is the start of a frame slot (or the end of the last
	 * one).
	 * @param offset a byte offset in the WAL
	 * @return {@code true} when it is at least 32 and a whole number of frames past it
	 */
	public boolean isFrameAligned(long offset) {
		return offset >= SIZE && (offset - SIZE) % frameSize() == 0;
	}

	/**
	 * Returns the salts that identify this WAL generation.
	 * @return the header's salts
	 */
	public WalSalts salts() {
		return new WalSalts(this.salt1, this.salt2);
	}

	/**
	 * Returns whether another header belongs to the same WAL generation, that is whether
	 * SQLite has not restarted the log between the two reads.
	 * @param other another header of the same WAL file
	 * @return {@code true} when both salts are equal
	 */
	public boolean sameGeneration(WalHeader other) {
		return this.salt1 == other.salt1 && this.salt2 == other.salt2;
	}

	/**
	 * Reads the header at offset 0 of a WAL file, without moving the channel's position.
	 * @param channel a channel open for reading on the WAL file
	 * @return the header, or empty when the file holds fewer than 32 bytes or the header
	 * checksum does not match (a torn header means there is no WAL yet)
	 * @throws WalFormatException if the magic number, version or page size is invalid
	 * @throws IOException if the channel cannot be read
	 */
	public static Optional<WalHeader> read(FileChannel channel) throws IOException {
		return read(channel, null);
	}

	/**
	 * Reads the header at offset 0 of a WAL file, without moving the channel's position.
	 * @param channel a channel open for reading on the WAL file
	 * @param file the WAL file the channel reads, named in error messages; may be
	 * {@code null}
	 * @return the header, or empty when the file holds fewer than 32 bytes or the header
	 * checksum does not match
	 * @throws WalFormatException if the magic number, version or page size is invalid
	 * @throws IOException if the channel cannot be read
	 */
	public static Optional<WalHeader> read(FileChannel channel, @Nullable Path file) throws IOException {
		ByteBuffer buf = ByteBuffer.allocate(SIZE);
		if (!WalChannels.readFully(channel, buf, 0)) {
			return Optional.empty();
		}
		return decode(buf, file);
	}

	/**
	 * Opens a WAL file, reads its header and closes it again. Only for WAL files: never
	 * use this pattern on a live database file, whose POSIX locks closing would drop.
	 * @param walFile the {@code -wal} file
	 * @return the header, or empty when the file is missing, shorter than 32 bytes or has
	 * a torn header
	 * @throws WalFormatException if the magic number, version or page size is invalid
	 * @throws IOException if the file cannot be read
	 */
	public static Optional<WalHeader> read(Path walFile) throws IOException {
		try (FileChannel channel = FileChannel.open(walFile, StandardOpenOption.READ)) {
			return read(channel, walFile);
		}
		catch (NoSuchFileException ex) {
			// SQLite deletes the WAL when the last connection closes: no WAL, not an
			// error.
			return Optional.empty();
		}
	}

	/**
	 * Decodes and validates a header in Litestream's order of checks: magic, then
	 * checksum (a mismatch is a torn write, not corruption), then version.
	 */
	static Optional<WalHeader> decode(ByteBuffer bigEndian, @Nullable Path file) throws WalFormatException {
		int magic = bigEndian.getInt(0);
		if (magic != MAGIC_LITTLE_ENDIAN && magic != MAGIC_BIG_ENDIAN) {
			throw new WalFormatException(file, String.format("invalid wal header magic 0x%08x", magic));
		}
		ByteOrder order = (magic == MAGIC_BIG_ENDIAN) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
		long sum = WalChecksum.update(0L, bigEndian.duplicate().order(order), 0, 24);
		WalHeader header = new WalHeader(magic, bigEndian.getInt(4), bigEndian.getInt(8), bigEndian.getInt(12),
				bigEndian.getInt(16), bigEndian.getInt(20), bigEndian.getInt(24), bigEndian.getInt(28));
		if (WalChecksum.first(sum) != header.checksum1 || WalChecksum.second(sum) != header.checksum2) {
			return Optional.empty();
		}
		if (header.formatVersion != FORMAT_VERSION) {
			throw new WalFormatException(file, "unsupported wal version "
					+ Integer.toUnsignedString(header.formatVersion) + " (expected " + FORMAT_VERSION + ")");
		}
		// Litestream takes the page size as is; checking it keeps a bogus value from
		// turning into a zero-length frame loop or a huge buffer allocation.
		int pageSize = header.pageSize;
		if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
			throw new WalFormatException(file, "invalid wal page size " + Integer.toUnsignedString(pageSize)
					+ " (expected a power of two from 512 to 65536)");
		}
		return Optional.of(header);
	}

}
