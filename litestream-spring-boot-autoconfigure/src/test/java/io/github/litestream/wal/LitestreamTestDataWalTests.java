package io.github.litestream.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The four WAL cases of Litestream's own test suite ({@code testdata/wal-reader}: ok,
 * salt-mismatch, frame-checksum-mismatch, frame-salts) with the expectations of its
 * {@code wal_reader_test.go} and {@code db_internal_test.go}. Litestream's files are not
 * copied: real SQLite (sqlite-jdbc) writes the {@code ok} and {@code frame-salts} WALs in
 * the same shape, and the two mismatch variants change one field of {@code ok} byte by
 * byte. Where Litestream's tests pinned the random salts and checksums of its files,
 * these tests check the same values against the frames and a checksum computed from the
 * spec.
 */
class LitestreamTestDataWalTests {

	private static final int PAGE_SIZE = 4096;

	@TempDir
	Path temp;

	private TestWals.SqliteWal ok;

	@BeforeEach
	void writeOkWal() throws Exception {
		this.ok = TestWals.sqliteOk(this.temp);
	}

	private Path ok() {
		return this.ok.wal();
	}

	private Path variant(String name, int field) throws IOException {
		return Files.write(this.temp.resolve(name), TestWals.withFrameFieldChanged(Files.readAllBytes(ok()), 1, field));
	}

	@Test
	void okHeaderHasSqlitesMagicAndTheSaltsAndChecksumOfItsFrames() throws IOException {
		byte[] file = Files.readAllBytes(ok());
		assertThat(file).hasSize(12392);
		boolean bigEndian = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;
		try (FileChannel channel = TestWals.open(ok())) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			// SQLite picks the checksum byte order of the machine it runs on.
			assertThat(header.magic()).isEqualTo(bigEndian ? 0x377f0683 : 0x377f0682);
			assertThat(header.bigEndianChecksums()).isEqualTo(bigEndian);
			assertThat(header.formatVersion()).isEqualTo(3007000);
			assertThat(header.pageSize()).isEqualTo(PAGE_SIZE);
			assertThat(header.frameSize()).isEqualTo(4120);
			assertThat(header.checkpointSeq()).isZero();
			// The salts of a first generation are random; every frame carries them.
			WalSalts salts = new WalSalts(TestWals.getBe(file, 16), TestWals.getBe(file, 20));
			assertThat(header.salts()).isEqualTo(salts);
			for (int frame = 0; frame < 3; frame++) {
				assertThat(TestWals.frameSalts(file, frame)).isEqualTo(salts);
			}
			long[] checksum = TestWals.checksum(bigEndian, new long[2], file, 0, 24);
			assertThat(header.checksum1()).isEqualTo((int) checksum[0]);
			assertThat(header.checksum2()).isEqualTo((int) checksum[1]);
			assertThat(channel.position()).isZero();
		}
	}

	@Test
	void okReaderReturnsThreeValidFramesThenEndOfLog() throws IOException {
		Path wal = ok();
		byte[] file = Files.readAllBytes(wal);
		try (FileChannel channel = TestWals.open(wal)) {
			WalReader reader = new WalReader(channel, WalHeader.read(channel).orElseThrow());
			assertThat(reader.offset()).isEqualTo(32);
			assertThat(reader.lastFrameOffset()).isEqualTo(-1);
			byte[] page = new byte[PAGE_SIZE];
			List<String> frames = new ArrayList<>();
			WalFrameHeader frame;
			while ((frame = reader.next(page)) != null) {
				frames
					.add(frame.pgno() + "/" + frame.commit() + "@" + reader.lastFrameOffset() + "->" + reader.offset());
				int dataStart = (int) reader.lastFrameOffset() + 24;
				assertThat(page).isEqualTo(Arrays.copyOfRange(file, dataStart, dataStart + PAGE_SIZE));
				assertThat(frame.checksum1()).isEqualTo(reader.checksum1());
				assertThat(frame.checksum2()).isEqualTo(reader.checksum2());
			}
			assertThat(frames).containsExactly("1/0@32->4152", "2/2@4152->8272", "2/2@8272->12392");
			assertThat(reader.next(page)).as("a second call at the end stays at the end").isNull();
			assertThat(reader.offset()).isEqualTo(12392);
			assertThat(channel.position()).isZero();
		}
	}

	@Test
	void okSegmentKeepsLatestCommittedVersionOfEachPage() throws IOException {
		Path wal = ok();
		try (FileChannel channel = TestWals.open(wal)) {
			WalSegment segment = WalSegment.scan(channel, WalHeader.read(channel).orElseThrow());
			assertThat(segment.hasCommit()).isTrue();
			assertThat(segment.pages()).containsExactly(1, 2);
			assertThat(segment.frameOffset(1)).isEqualTo(32);
			assertThat(segment.frameOffset(2)).isEqualTo(8272);
			assertThat(segment.frameOffset(3)).isEqualTo(-1);
			assertThat(segment.commit()).isEqualTo(2);
			assertThat(segment.startOffset()).isEqualTo(32);
			assertThat(segment.endOffset()).isEqualTo(12392);
			assertThat(segment.lastCommitFrameOffset()).isEqualTo(8272);
			byte[] page = new byte[PAGE_SIZE];
			segment.readPage(channel, 2, page);
			byte[] file = Files.readAllBytes(wal);
			assertThat(page).isEqualTo(Arrays.copyOfRange(file, 8296, 12392));
		}
	}

	@Test
	void okSegmentWithByteLimitOfOneStopsAfterFirstCommit() throws IOException {
		try (FileChannel channel = TestWals.open(ok())) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalSegment first = WalSegment.scan(channel, header, 32, header.checksum1(), header.checksum2(), 1);
			// Litestream's maxOffset 8272 is the end of the first commit frame (at 4152).
			assertThat(first.endOffset()).isEqualTo(8272);
			assertThat(first.lastCommitFrameOffset()).isEqualTo(4152);
			assertThat(first.commit()).isEqualTo(2);
			assertThat(first.pageCount()).isEqualTo(2);
			assertThat(first.frameOffset(1)).isEqualTo(32);
			assertThat(first.frameOffset(2)).isEqualTo(4152);

			WalSegment rest = WalSegment.scan(channel, header, first.endOffset(), first.endChecksum1(),
					first.endChecksum2(), 1);
			assertThat(rest.startOffset()).isEqualTo(8272);
			assertThat(rest.endOffset()).isEqualTo(12392);
			assertThat(rest.pages()).containsExactly(2);
			assertThat(rest.frameOffset(2)).isEqualTo(8272);

			WalSegment none = WalSegment.scan(channel, header, rest.endOffset(), rest.endChecksum1(),
					rest.endChecksum2(), 1);
			assertThat(none.hasCommit()).isFalse();
			assertThat(none.endOffset()).isEqualTo(12392);
			assertThat(none.endChecksum1()).isEqualTo(rest.endChecksum1());
			assertThat(none.endChecksum2()).isEqualTo(rest.endChecksum2());
		}
	}

	@Test
	void okFrameHeaderBeforeOffsetCarriesTheCumulativeChecksum() throws IOException {
		try (FileChannel channel = TestWals.open(ok())) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalSegment first = WalSegment.scan(channel, header, 32, header.checksum1(), header.checksum2(), 1);
			WalFrameHeader before = WalReader.readFrameHeaderBefore(channel, header, 8272).orElseThrow();
			assertThat(before.pgno()).isEqualTo(2);
			assertThat(before.commit()).isEqualTo(2);
			assertThat(before.hasSaltsOf(header)).isTrue();
			assertThat(before.checksum1()).isEqualTo(first.endChecksum1());
			assertThat(before.checksum2()).isEqualTo(first.endChecksum2());
			assertThat(WalReader.readFrameHeaderBefore(channel, header, 32)).isEmpty();
			assertThat(WalReader.readFrameHeaderBefore(channel, header, 12392)).isPresent();
			assertThat(WalReader.readFrameHeaderBefore(channel, header, 12392 + 4120)).isEmpty();
		}
	}

	@Test
	void saltMismatchStopsAfterFirstFrameWithoutCommit() throws IOException {
		// Frame 1's salt-1 (bytes 4160..4163). The frame checksum does not cover it.
		assertOnlyFirstFrameIsValid(variant("salt-mismatch-wal", 8));
	}

	@Test
	void frameChecksumMismatchStopsAfterFirstFrameWithoutCommit() throws IOException {
		// Frame 1's checksum-1 (bytes 4168..4171).
		assertOnlyFirstFrameIsValid(variant("frame-checksum-mismatch-wal", 16));
	}

	private void assertOnlyFirstFrameIsValid(Path wal) throws IOException {
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalReader reader = new WalReader(channel, header);
			byte[] page = new byte[PAGE_SIZE];
			WalFrameHeader frame = reader.next(page);
			assertThat(frame).isNotNull();
			assertThat(frame.pgno()).isEqualTo(1);
			assertThat(frame.isCommit()).isFalse();
			assertThat(reader.next(page)).isNull();
			assertThat(reader.offset()).isEqualTo(4152);
			assertThat(reader.lastFrameOffset()).isEqualTo(32);

			WalSegment segment = WalSegment.scan(channel, header);
			assertThat(segment.hasCommit()).isFalse();
			assertThat(segment.commit()).isZero();
			assertThat(segment.pageCount()).isZero();
			assertThat(segment.endOffset()).isEqualTo(32);
			assertThat(segment.lastCommitFrameOffset()).isEqualTo(-1);
			assertThat(segment.endChecksum1()).isEqualTo(header.checksum1());
			assertThat(segment.endChecksum2()).isEqualTo(header.checksum2());
		}
	}

	@Test
	void frameSaltsReadsOnlyCurrentGenerationAndSeesTwoStaleOnes() throws Exception {
		Path wal = TestWals.sqliteFrameSalts(this.temp);
		byte[] file = Files.readAllBytes(wal);
		assertThat(file).hasSize(41232);
		for (int frame = 0; frame < 10; frame++) {
			int off = 32 + frame * 4120;
			assertThat(TestWals.getBe(file, off)).as("pgno of slot %d", frame).isEqualTo(2);
			assertThat(TestWals.getBe(file, off + 4)).as("commit of slot %d", frame).isEqualTo(2);
		}
		// Slots 0-1 carry the header's salts, 2-4 and 5-9 those of two older generations:
		// each restart added one to salt-1 and picked a new salt-2.
		WalSalts current = new WalSalts(TestWals.getBe(file, 16), TestWals.getBe(file, 20));
		WalSalts previous = TestWals.frameSalts(file, 2);
		WalSalts oldest = TestWals.frameSalts(file, 5);
		assertThat(previous.salt1()).isEqualTo(current.salt1() - 1);
		assertThat(oldest.salt1()).isEqualTo(current.salt1() - 2);
		assertThat(List.of(current.salt2(), previous.salt2(), oldest.salt2())).doesNotHaveDuplicates();
		for (int frame = 0; frame < 10; frame++) {
			assertThat(TestWals.frameSalts(file, frame)).as("salts of slot %d", frame)
				.isEqualTo((frame < 2) ? current : (frame < 5) ? previous : oldest);
		}
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThat(header.salts()).isEqualTo(current);
			assertThat(header.checkpointSeq()).isEqualTo(2);
			WalReader reader = new WalReader(channel, header);
			byte[] page = new byte[PAGE_SIZE];
			int frames = 0;
			WalFrameHeader frame;
			while ((frame = reader.next(page)) != null) {
				assertThat(frame.pgno()).isEqualTo(2);
				assertThat(frame.commit()).isEqualTo(2);
				frames++;
			}
			assertThat(frames).isEqualTo(2);
			assertThat(reader.offset()).isEqualTo(8272);

			WalSegment segment = WalSegment.scan(channel, header);
			assertThat(segment.pages()).containsExactly(2);
			assertThat(segment.frameOffset(2)).isEqualTo(4152);
			assertThat(segment.commit()).isEqualTo(2);
			assertThat(segment.endOffset()).isEqualTo(8272);

			assertThat(WalReader.frameSaltsUntil(channel, header, 0, 0)).containsExactly(current, previous, oldest);
			assertThat(WalReader.frameSaltsUntil(channel, header, previous.salt1(), previous.salt2()))
				.containsExactly(current, previous);
			assertThat(WalReader.frameSaltsUntil(channel, header, header.salt1(), header.salt2()))
				.containsExactly(header.salts());
		}
	}

	@Test
	void okConvertedToBigEndianChecksumsReadsTheSame() throws IOException {
		byte[] le = TestWals.withChecksumOrder(Files.readAllBytes(ok()), false);
		byte[] be = TestWals.withChecksumOrder(le, true);
		assertThat(TestWals.getBe(be, 24)).as("header checksum changes with the byte order")
			.isNotEqualTo(TestWals.getBe(le, 24));
		Path wal = Files.write(this.temp.resolve("be-wal"), be);
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThat(header.bigEndianChecksums()).isTrue();
			WalSegment segment = WalSegment.scan(channel, header);
			assertThat(segment.pages()).containsExactly(1, 2);
			assertThat(segment.frameOffset(2)).isEqualTo(8272);
			assertThat(segment.endOffset()).isEqualTo(12392);
			ByteBuffer expected = ByteBuffer.wrap(le, 8296, PAGE_SIZE);
			byte[] page = new byte[PAGE_SIZE];
			segment.readPage(channel, 2, page);
			assertThat(ByteBuffer.wrap(page)).isEqualTo(expected);
		}
	}

	@Test
	void sqliteRecoversTheRealWalRewrittenInTheOtherChecksumOrder() throws Exception {
		// SQLite only writes its machine's byte order, but reads both: it is the oracle
		// for the byte-level writer's checksums in the order it cannot write.
		byte[] wal = Files.readAllBytes(ok());
		boolean bigEndian = TestWals.getBe(wal, 0) == TestWals.BE_MAGIC;
		byte[] other = TestWals.withChecksumOrder(wal, !bigEndian);
		assertThat(TestWals.getBe(other, 0)).isEqualTo(bigEndian ? TestWals.LE_MAGIC : TestWals.BE_MAGIC);
		assertThat(rowsSqliteRecovers("same-order", wal)).containsExactly(1L);
		assertThat(rowsSqliteRecovers("other-order", other)).containsExactly(1L);

		// Control: the other magic and a valid header checksum, but the frames keep
		// their checksums. SQLite drops every frame, so the table does not exist.
		byte[] headerOnly = wal.clone();
		System.arraycopy(other, 0, headerOnly, 0, WalHeader.SIZE);
		assertThat(rowsSqliteRecovers("header-only", headerOnly)).isNull();
	}

	@Test
	void independentChecksumAgreesWithTheChecksumsSqliteStored() throws IOException {
		byte[] wal = Files.readAllBytes(ok());
		assertThat(TestWals.withChecksumOrder(wal, TestWals.getBe(wal, 0) == TestWals.BE_MAGIC)).isEqualTo(wal);
	}

	/**
	 * Puts a WAL beside a copy of the {@code ok} database from before the WAL, has SQLite
	 * open it (recovering the WAL) and returns the rows of table {@code t}, or
	 * {@code null} when SQLite found no such table.
	 */
	private List<Long> rowsSqliteRecovers(String name, byte[] wal) throws IOException, SQLException {
		Path db = Files.copy(this.ok.database(), this.temp.resolve(name + ".db"));
		Files.write(this.temp.resolve(name + ".db-wal"), wal);
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement()) {
			try (ResultSet tables = statement.executeQuery("SELECT count(*) FROM sqlite_master WHERE name = 't'")) {
				tables.next();
				if (tables.getInt(1) == 0) {
					return null;
				}
			}
			List<Long> rows = new ArrayList<>();
			try (ResultSet result = statement.executeQuery("SELECT x FROM t ORDER BY rowid")) {
				while (result.next()) {
					rows.add(result.getLong(1));
				}
			}
			return rows;
		}
	}

}
