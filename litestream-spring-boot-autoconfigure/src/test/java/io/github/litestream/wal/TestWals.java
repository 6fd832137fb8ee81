package io.github.litestream.wal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Test support: builds WAL files byte by byte and re-checksums existing ones. The
 * checksum here is written independently of {@link WalChecksum} (plain byte arithmetic on
 * {@code long}s) so the two cross-check each other.
 */
final class TestWals {

	static final int LE_MAGIC = 0x377F0682;

	static final int BE_MAGIC = 0x377F0683;

	private TestWals() {
	}

	/** Directory of Litestream's test WALs ({@code shared/ltx/testdata/wal-reader}). */
	static Path litestreamTestData(String name) {
		String shared = System.getProperty("litestream.sharedDir", "../../shared");
		return Path.of(shared, "ltx", "testdata", "wal-reader", name, "wal");
	}

	static FileChannel open(Path file) throws IOException {
		return FileChannel.open(file, StandardOpenOption.READ);
	}

	static int getBe(byte[] b, int off) {
		return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
	}

	static void putBe(byte[] b, int off, int v) {
		b[off] = (byte) (v >>> 24);
		b[off + 1] = (byte) (v >>> 16);
		b[off + 2] = (byte) (v >>> 8);
		b[off + 3] = (byte) v;
	}

	private static long word(byte[] b, int off, boolean bigEndian) {
		long v = 0;
		for (int i = 0; i < 4; i++) {
			int shift = bigEndian ? 24 - 8 * i : 8 * i;
			v |= (long) (b[off + i] & 0xFF) << shift;
		}
		return v;
	}

	/** SQLite's WAL checksum, returned as {s0, s1} in 0..2^32-1. */
	static long[] checksum(boolean bigEndian, long[] seed, byte[] b, int off, int len) {
		long s0 = seed[0];
		long s1 = seed[1];
		for (int i = off; i < off + len; i += 8) {
			s0 = (s0 + word(b, i, bigEndian) + s1) & 0xFFFFFFFFL;
			s1 = (s1 + word(b, i + 4, bigEndian) + s0) & 0xFFFFFFFFL;
		}
		return new long[] { s0, s1 };
	}

	/** A page whose bytes identify the page number and a version. */
	static byte[] page(int pageSize, int pgno, int version) {
		byte[] page = new byte[pageSize];
		Arrays.fill(page, (byte) (version * 31 + pgno));
		putBe(page, 0, pgno);
		putBe(page, 4, version);
		return page;
	}

	/**
	 * Re-checksums every frame that is valid in {@code wal}'s own byte order with the
	 * other byte order, and sets the matching magic. Frames after the first invalid one
	 * are left as they are, so they stay invalid.
	 */
	static byte[] withChecksumOrder(byte[] wal, boolean bigEndian) {
		byte[] out = wal.clone();
		boolean wasBigEndian = getBe(wal, 0) == BE_MAGIC;
		int pageSize = getBe(wal, 8);
		int frameSize = 24 + pageSize;
		putBe(out, 0, bigEndian ? BE_MAGIC : LE_MAGIC);
		long[] oldSum = checksum(wasBigEndian, new long[2], wal, 0, 24);
		long[] newSum = checksum(bigEndian, new long[2], out, 0, 24);
		putBe(out, 24, (int) newSum[0]);
		putBe(out, 28, (int) newSum[1]);
		for (int off = 32; off + frameSize <= wal.length; off += frameSize) {
			if (getBe(wal, off + 8) != getBe(wal, 16) || getBe(wal, off + 12) != getBe(wal, 20)) {
				break;
			}
			oldSum = checksum(wasBigEndian, checksum(wasBigEndian, oldSum, wal, off, 8), wal, off + 24, pageSize);
			if ((int) oldSum[0] != getBe(wal, off + 16) || (int) oldSum[1] != getBe(wal, off + 20)) {
				break;
			}
			newSum = checksum(bigEndian, checksum(bigEndian, newSum, out, off, 8), out, off + 24, pageSize);
			putBe(out, off + 16, (int) newSum[0]);
			putBe(out, off + 20, (int) newSum[1]);
		}
		return out;
	}

	/** Builds a WAL with correct header and cumulative frame checksums. */
	static final class Builder {

		private final boolean bigEndian;

		private final int pageSize;

		private final ByteArrayOutputStream out = new ByteArrayOutputStream();

		private final int salt1;

		private final int salt2;

		private long[] sum;

		Builder(boolean bigEndian, int pageSize, int salt1, int salt2) {
			this.bigEndian = bigEndian;
			this.pageSize = pageSize;
			this.salt1 = salt1;
			this.salt2 = salt2;
			byte[] header = new byte[32];
			putBe(header, 0, bigEndian ? BE_MAGIC : LE_MAGIC);
			putBe(header, 4, 3007000);
			putBe(header, 8, pageSize);
			putBe(header, 12, 7);
			putBe(header, 16, salt1);
			putBe(header, 20, salt2);
			this.sum = checksum(bigEndian, new long[2], header, 0, 24);
			putBe(header, 24, (int) this.sum[0]);
			putBe(header, 28, (int) this.sum[1]);
			this.out.writeBytes(header);
		}

		Builder frame(int pgno, int commit, int version) {
			return frame(pgno, commit, page(this.pageSize, pgno, version));
		}

		Builder frame(int pgno, int commit, byte[] page) {
			byte[] frame = new byte[24 + this.pageSize];
			putBe(frame, 0, pgno);
			putBe(frame, 4, commit);
			putBe(frame, 8, this.salt1);
			putBe(frame, 12, this.salt2);
			System.arraycopy(page, 0, frame, 24, this.pageSize);
			this.sum = checksum(this.bigEndian, checksum(this.bigEndian, this.sum, frame, 0, 8), frame, 24,
					this.pageSize);
			putBe(frame, 16, (int) this.sum[0]);
			putBe(frame, 20, (int) this.sum[1]);
			this.out.writeBytes(frame);
			return this;
		}

		byte[] build() {
			return this.out.toByteArray();
		}

		Path write(Path file) throws IOException {
			return Files.write(file, build());
		}

	}

}
