package io.github.litestream.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * WAL files written by real SQLite (sqlite-jdbc). The main database file is only read
 * while no connection of this JVM has it open: closing a descriptor of it would drop
 * SQLite's POSIX locks. The {@code -wal} file may be opened at any time.
 */
class SqliteWalTests {

	private static final int PAGE_SIZE = 1024;

	@TempDir
	Path dir;

	private Path db;

	private Path wal;

	private Connection connection;

	@BeforeEach
	void createDatabase() throws SQLException {
		this.db = this.dir.resolve("app.db");
		this.wal = this.dir.resolve("app.db-wal");
		try (Connection setup = DriverManager.getConnection("jdbc:sqlite:" + this.db)) {
			// auto_vacuum and page_size only take effect before the first table exists.
			execute(setup, "PRAGMA page_size=" + PAGE_SIZE, "PRAGMA auto_vacuum=FULL", "PRAGMA journal_mode=WAL",
					"CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB)", insert(40, 600));
		}
	}

	@AfterEach
	void close() throws SQLException {
		if (this.connection != null) {
			this.connection.close();
		}
	}

	@Test
	void committedPagesOverTheOldDatabaseEqualTheCheckpointedDatabase() throws Exception {
		// Closing the last connection checkpointed the setup, so the file is the base.
		byte[] base = Files.readAllBytes(this.db);
		writeWorkload();
		assertThat(this.wal).exists();

		byte[] expected;
		try (FileChannel channel = TestWals.open(this.wal)) {
			WalHeader header = WalHeader.read(channel, this.wal).orElseThrow();
			assertThat(header.pageSize()).isEqualTo(PAGE_SIZE);
			WalSegment segment = WalSegment.scan(channel, header);
			LogStats stats = LogStats.of(channel, header);

			assertThat(stats.maxCommit).as("the DELETE shrank the database").isGreaterThan(segment.commit());
			assertThat(stats.maxPgno).as("pages above the final size were written").isGreaterThan(segment.commit());
			assertThat(stats.end).as("the rolled-back transaction spilled valid frames after the last commit")
				.isGreaterThan(segment.endOffset());
			assertThat(segment.lastCommitFrameOffset()).isEqualTo(segment.endOffset() - header.frameSize());

			expected = Arrays.copyOf(base, segment.commit() * PAGE_SIZE);
			byte[] page = new byte[PAGE_SIZE];
			for (int pgno : segment.pages()) {
				segment.readPage(channel, pgno, page);
				System.arraycopy(page, 0, expected, (pgno - 1) * PAGE_SIZE, PAGE_SIZE);
			}
		}
		try (ResultSet result = this.connection.createStatement().executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
			assertThat(result.next()).isTrue();
			assertThat(result.getInt(1)).as("checkpoint busy").isZero();
		}
		this.connection.close();
		this.connection = null;
		assertThat(Files.readAllBytes(this.db)).isEqualTo(expected);
	}

	@Test
	void resumingAtEachCommitWithTheStoredChecksumGivesTheSameResultAsOneScan() throws Exception {
		writeWorkload();
		try (FileChannel channel = TestWals.open(this.wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalSegment whole = WalSegment.scan(channel, header);

			TreeMap<Integer, Long> merged = new TreeMap<>();
			long offset = WalHeader.SIZE;
			int checksum1 = header.checksum1();
			int checksum2 = header.checksum2();
			int commit = 0;
			int segments = 0;
			while (true) {
				WalSegment segment = WalSegment.scan(channel, header, offset, checksum1, checksum2, 1);
				if (!segment.hasCommit()) {
					break;
				}
				segments++;
				for (int pgno : segment.pages()) {
					merged.put(pgno, segment.frameOffset(pgno));
				}
				commit = segment.commit();
				offset = segment.endOffset();
				// Resume as after a process restart: seed from the stored frame header.
				WalFrameHeader last = WalReader.readFrameHeaderBefore(channel, header, offset).orElseThrow();
				assertThat(last.isCommit()).isTrue();
				assertThat(last.hasSaltsOf(header)).isTrue();
				assertThat(last.checksum1()).isEqualTo(segment.endChecksum1());
				assertThat(last.checksum2()).isEqualTo(segment.endChecksum2());
				checksum1 = last.checksum1();
				checksum2 = last.checksum2();
			}
			int finalCommit = commit;
			merged.keySet().removeIf((pgno) -> pgno > finalCommit);

			assertThat(segments).isGreaterThanOrEqualTo(5);
			assertThat(offset).isEqualTo(whole.endOffset());
			assertThat(checksum1).isEqualTo(whole.endChecksum1());
			assertThat(checksum2).isEqualTo(whole.endChecksum2());
			assertThat(commit).isEqualTo(whole.commit());
			assertThat(pageMap(whole)).isEqualTo(merged);
		}
	}

	@Test
	void storedChecksumOfEveryFrameEqualsTheCumulativeChecksum() throws Exception {
		writeWorkload();
		try (FileChannel channel = TestWals.open(this.wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalReader reader = new WalReader(channel, header);
			byte[] page = new byte[PAGE_SIZE];
			int frames = 0;
			while (reader.next(page) != null) {
				WalFrameHeader stored = WalReader.readFrameHeaderBefore(channel, header, reader.offset()).orElseThrow();
				assertThat(stored.checksum1()).isEqualTo(reader.checksum1());
				assertThat(stored.checksum2()).isEqualTo(reader.checksum2());
				frames++;
			}
			assertThat(frames).isGreaterThan(100);
		}
	}

	@Test
	void realWalRewrittenWithBigEndianChecksumsGivesTheSamePages() throws Exception {
		writeWorkload();
		byte[] little = Files.readAllBytes(this.wal);
		assertThat(TestWals.getBe(little, 0)).as("SQLite on this machine writes little-endian checksums")
			.isEqualTo(WalHeader.MAGIC_LITTLE_ENDIAN);
		Path bigWal = Files.write(this.dir.resolve("big-endian-wal"), TestWals.withChecksumOrder(little, true));
		try (FileChannel le = TestWals.open(this.wal); FileChannel be = TestWals.open(bigWal)) {
			WalSegment leSegment = WalSegment.scan(le, WalHeader.read(le).orElseThrow());
			WalHeader beHeader = WalHeader.read(be).orElseThrow();
			assertThat(beHeader.bigEndianChecksums()).isTrue();
			WalSegment beSegment = WalSegment.scan(be, beHeader);
			assertThat(LogStats.of(be, beHeader).end).isEqualTo(LogStats.of(le, WalHeader.read(le).orElseThrow()).end);
			assertThat(beSegment.endOffset()).isEqualTo(leSegment.endOffset());
			assertThat(beSegment.commit()).isEqualTo(leSegment.commit());
			assertThat(pageMap(beSegment)).isEqualTo(pageMap(leSegment));
			byte[] lePage = new byte[PAGE_SIZE];
			byte[] bePage = new byte[PAGE_SIZE];
			for (int pgno : leSegment.pages()) {
				leSegment.readPage(le, pgno, lePage);
				beSegment.readPage(be, pgno, bePage);
				assertThat(bePage).isEqualTo(lePage);
			}
		}
	}

	@Test
	void walRestartedAfterCheckpointReadsOnlyTheNewGenerationAndShowsTheOldSalts() throws Exception {
		this.connection = open();
		execute(this.connection, insert(200, 700));
		WalHeader before;
		try (FileChannel channel = TestWals.open(this.wal)) {
			before = WalHeader.read(channel).orElseThrow();
		}
		execute(this.connection, "PRAGMA wal_checkpoint(PASSIVE)", "UPDATE t SET body = randomblob(10) WHERE id = 1");
		try (FileChannel channel = TestWals.open(this.wal)) {
			WalHeader after = WalHeader.read(channel).orElseThrow();
			assertThat(after.sameGeneration(before)).isFalse();
			assertThat(after.salt1()).isEqualTo(before.salt1() + 1);
			assertThat(after.checkpointSeq()).isEqualTo(before.checkpointSeq() + 1);

			WalSegment segment = WalSegment.scan(channel, after);
			assertThat(segment.hasCommit()).isTrue();
			assertThat(segment.endOffset()).isLessThan(channel.size());
			assertThat(LogStats.of(channel, after).end).isEqualTo(segment.endOffset());
			assertThat(WalReader.frameSaltsUntil(channel, after, 0, 0)).containsExactly(after.salts(), before.salts());
			assertThat(WalReader.frameSaltsUntil(channel, after, before.salt1(), before.salt2()))
				.containsExactly(after.salts(), before.salts());
		}
	}

	@Test
	void corruptPageEndsTheLogAtTheCommitBeforeIt() throws Exception {
		writeWorkload();
		byte[] bytes = Files.readAllBytes(this.wal);
		long secondCommitEnd;
		try (FileChannel channel = TestWals.open(this.wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalSegment first = WalSegment.scan(channel, header, 32, header.checksum1(), header.checksum2(), 1);
			secondCommitEnd = WalSegment
				.scan(channel, header, first.endOffset(), first.endChecksum1(), first.endChecksum2(), 1)
				.endOffset();
		}
		// One flipped bit in the page of the frame right after the second commit.
		bytes[(int) secondCommitEnd + WalHeader.FRAME_HEADER_SIZE + 100] ^= 0x10;
		Path corrupt = Files.write(this.dir.resolve("corrupt-wal"), bytes);
		try (FileChannel channel = TestWals.open(corrupt)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThat(WalSegment.scan(channel, header).endOffset()).isEqualTo(secondCommitEnd);
			assertThat(LogStats.of(channel, header).end).isEqualTo(secondCommitEnd);
		}
	}

	/**
	 * Several transactions on one connection: growth, updates, a rolled-back transaction
	 * big enough to spill into the WAL, a shrinking DELETE (auto_vacuum=FULL truncates
	 * the database at commit), more commits, and finally another spilled rollback so the
	 * log ends with valid but uncommitted frames.
	 */
	@Test
	void readPageFailsOnceTheWalRestartedBehindAReaderOfAFullyBackfilledWal() throws Exception {
		this.connection = open();
		execute(this.connection, "PRAGMA wal_autocheckpoint=0", "UPDATE t SET body = randomblob(600)");
		execute(this.connection, "PRAGMA wal_checkpoint(PASSIVE)");
		try (Connection reader = open(); FileChannel channel = TestWals.open(this.wal)) {
			// The WAL is fully backfilled: this reader takes read mark 0, which reads the
			// database file only and does not stop another connection from restarting
			// the WAL.
			reader.setAutoCommit(false);
			execute(reader, "SELECT COUNT(*) FROM t");
			WalHeader header = WalHeader.read(channel, this.wal).orElseThrow();
			WalSegment segment = WalSegment.scan(channel, header);
			int pgno = segment.pages()[0];
			execute(this.connection, "UPDATE t SET body = randomblob(600)");
			WalHeader restarted = WalHeader.read(channel, this.wal).orElseThrow();
			assertThat(restarted.salt1()).as("the WAL restarted behind the reader").isNotEqualTo(header.salt1());
			assertThatIOException().isThrownBy(() -> segment.readPage(channel, pgno, new byte[PAGE_SIZE]))
				.withMessageContaining("restarted");
			reader.rollback();
		}
	}

	private void writeWorkload() throws SQLException {
		this.connection = open();
		// A tiny page cache makes big transactions spill frames before they commit.
		execute(this.connection, "PRAGMA cache_size=10", insert(300, 700),
				"UPDATE t SET body = randomblob(650) WHERE id % 7 = 0");
		rollBack(insert(400, 900));
		execute(this.connection, "DELETE FROM t WHERE id > 60", insert(5, 100), "DELETE FROM t WHERE id % 3 = 0",
				"UPDATE t SET body = randomblob(200) WHERE id = 2");
		rollBack(insert(400, 900));
	}

	private void rollBack(String sql) throws SQLException {
		this.connection.setAutoCommit(false);
		execute(this.connection, sql);
		this.connection.rollback();
		this.connection.setAutoCommit(true);
	}

	private Connection open() throws SQLException {
		Connection opened = DriverManager.getConnection("jdbc:sqlite:" + this.db);
		// Per connection; otherwise SQLite would checkpoint the WAL away under the test.
		execute(opened, "PRAGMA wal_autocheckpoint=0");
		return opened;
	}

	private static String insert(int rows, int bytes) {
		return "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " + rows
				+ ") INSERT INTO t(body) SELECT randomblob(" + bytes + ") FROM n";
	}

	private static void execute(Connection connection, String... sql) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			for (String each : sql) {
				statement.execute(each);
			}
		}
	}

	private static Map<Integer, Long> pageMap(WalSegment segment) {
		Map<Integer, Long> map = new TreeMap<>();
		for (int pgno : segment.pages()) {
			map.put(pgno, segment.frameOffset(pgno));
		}
		return map;
	}

	/** What a plain {@link WalReader} pass over the whole valid log sees. */
	private record LogStats(long end, int maxCommit, int maxPgno) {

		static LogStats of(FileChannel channel, WalHeader header) throws IOException {
			WalReader reader = new WalReader(channel, header);
			byte[] page = new byte[header.pageSize()];
			int maxCommit = 0;
			int maxPgno = 0;
			WalFrameHeader frame;
			while ((frame = reader.next(page)) != null) {
				maxCommit = Math.max(maxCommit, frame.commit());
				maxPgno = Math.max(maxPgno, frame.pgno());
			}
			return new LogStats(reader.offset(), maxCommit, maxPgno);
		}

	}

}
