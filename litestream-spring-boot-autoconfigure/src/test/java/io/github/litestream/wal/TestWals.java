package io.github.litestream.wal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;

/**
 * Test support: has real SQLite write WAL files, builds WAL files byte by byte and
 * re-checksums existing ones. The checksum here is written independently of
 * {@link WalChecksum} (plain byte arithmetic on {@code long}s) so the two cross-check
 * each other.
 */
final class TestWals {

	static final int LE_MAGIC = 0x377F0682;

	static final int BE_MAGIC = 0x377F0683;

	private TestWals() {
	}

	/**
	 * Has real SQLite write the WAL of Litestream's {@code testdata/wal-reader/ok} case:
	 * 4096-byte pages, in SQLite's native checksum byte order, three frames in two
	 * transactions ({@code CREATE TABLE} writes pages 1 and 2, then an {@code INSERT}
	 * page 2 again).
	 * @param dir where to create the files
	 * @return the WAL, and a copy of the database file from before its first frame
	 * @throws SQLException if SQLite fails
	 * @throws IOException if a file cannot be copied
	 */
	static SqliteWal sqliteOk(Path dir) throws SQLException, IOException {
		Path db = dir.resolve("ok.db");
		try (Connection connection = connect(db)) {
			execute(connection, "PRAGMA page_size=4096", "PRAGMA journal_mode=WAL");
		}
		// Closing the only connection removed the (empty) WAL: the file is page 1 alone.
		Path base = Files.copy(db, dir.resolve("ok-base.db"));
		try (Connection connection = connect(db)) {
			execute(connection, "CREATE TABLE t(x)", "INSERT INTO t VALUES (1)");
			return new SqliteWal(base, copyWal(db, dir.resolve("ok-wal")));
		}
	}

	/**
	 * Has real SQLite write the WAL of Litestream's
	 * {@code testdata/wal-reader/frame-salts} case: ten frame slots, every one page 2
	 * with commit size 2, left by three generations of the log. Ten frames of the first
	 * generation are checkpointed, so the next write restarts the log (salt-1 plus one, a
	 * new random salt-2, checkpoint sequence plus one) and overwrites its first five
	 * slots. After another checkpoint and restart, the third generation overwrites the
	 * first two slots.
	 * @param dir where to create the files
	 * @return a copy of the WAL
	 * @throws SQLException if SQLite fails
	 * @throws IOException if a file cannot be copied
	 */
	static Path sqliteFrameSalts(Path dir) throws SQLException, IOException {
		Path db = dir.resolve("frame-salts.db");
		try (Connection connection = connect(db)) {
			execute(connection, "PRAGMA page_size=4096", "PRAGMA journal_mode=WAL");
			execute(connection, "CREATE TABLE t(x)", "INSERT INTO t VALUES (0)");
			updates(connection, 7);
			checkpointEverything(connection, 10);
			updates(connection, 5);
			checkpointEverything(connection, 5);
			updates(connection, 2);
			return copyWal(db, dir.resolve("frame-salts-wal"));
		}
	}

	/**
	 * Changes a 4-byte frame header field of a WAL to a different value (its complement),
	 * as Litestream's {@code salt-mismatch} and {@code frame-checksum-mismatch} files
	 * change one field of its {@code ok} file.
	 * @param wal the WAL
	 * @param frame the frame index, from 0
	 * @param field the offset of the 4-byte field in the frame header (8: salt-1, 16:
	 * checksum-1)
	 * @return a changed copy
	 */
	static byte[] withFrameFieldChanged(byte[] wal, int frame, int field) {
		byte[] out = wal.clone();
		int off = WalHeader.SIZE + frame * (WalHeader.FRAME_HEADER_SIZE + getBe(wal, 8)) + field;
		putBe(out, off, ~getBe(wal, off));
		return out;
	}

	/** The salts a frame slot of a WAL carries, read byte by byte. */
	static WalSalts frameSalts(byte[] wal, int frame) {
		int off = WalHeader.SIZE + frame * (WalHeader.FRAME_HEADER_SIZE + getBe(wal, 8));
		return new WalSalts(getBe(wal, off + 8), getBe(wal, off + 12));
	}

	private static Connection connect(Path db) throws SQLException {
		return DriverManager.getConnection("jdbc:sqlite:" + db);
	}

	private static void execute(Connection connection, String... sql) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			for (String each : sql) {
				statement.execute(each);
			}
		}
	}

	/** Transactions that each change page 2 only (WAL mode leaves page 1 alone). */
	private static void updates(Connection connection, int count) throws SQLException {
		for (int i = 0; i < count; i++) {
			execute(connection, "UPDATE t SET x = x + 1");
		}
	}

	private static void checkpointEverything(Connection connection, int frames) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
			result.next();
			if (result.getInt(1) != 0 || result.getInt(2) != frames || result.getInt(3) != frames) {
				throw new IllegalStateException(
						"checkpoint (busy, log, checkpointed) = (" + result.getInt(1) + ", " + result.getInt(2) + ", "
								+ result.getInt(3) + "), expected (0, " + frames + ", " + frames + ")");
			}
		}
	}

	/**
	 * Copies the {@code -wal} file of an open database. Only the WAL is read: closing a
	 * descriptor of the main database file would drop SQLite's POSIX locks.
	 */
	private static Path copyWal(Path db, Path target) throws IOException {
		return Files.write(target, Files.readAllBytes(db.resolveSibling(db.getFileName() + "-wal")));
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

	/**
	 * A WAL written by real SQLite, and a copy of its database file as it was before the
	 * WAL's first frame.
	 *
	 * @param database the copy of the database file
	 * @param wal the copy of the WAL
	 */
	record SqliteWal(Path database, Path wal) {

	}

}
