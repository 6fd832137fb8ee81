package io.github.litestream.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The four WAL files of Litestream's own test suite ({@code testdata/wal-reader}), with
 * the expectations of {@code shared/ltx/testdata/README.md}.
 */
class LitestreamTestDataWalTests {

	private static final int PAGE_SIZE = 4096;

	@TempDir
	Path temp;

	@Test
	void okHeaderIsLittleEndianWithKnownSaltsAndChecksum() throws IOException {
		try (FileChannel channel = TestWals.open(TestWals.litestreamTestData("ok"))) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThat(header.magic()).isEqualTo(0x377f0682);
			assertThat(header.bigEndianChecksums()).isFalse();
			assertThat(header.formatVersion()).isEqualTo(3007000);
			assertThat(header.pageSize()).isEqualTo(PAGE_SIZE);
			assertThat(header.frameSize()).isEqualTo(4120);
			assertThat(header.checkpointSeq()).isZero();
			assertThat(header.salts()).isEqualTo(new WalSalts(0x4875a40b, 0xa38de4f5));
			assertThat(header.checksum1()).isEqualTo(0xe08b785b);
			assertThat(header.checksum2()).isEqualTo(0x8e57dda3);
			assertThat(channel.position()).isZero();
		}
	}

	@Test
	void okReaderReturnsThreeValidFramesThenEndOfLog() throws IOException {
		Path wal = TestWals.litestreamTestData("ok");
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
		Path wal = TestWals.litestreamTestData("ok");
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
		try (FileChannel channel = TestWals.open(TestWals.litestreamTestData("ok"))) {
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
		try (FileChannel channel = TestWals.open(TestWals.litestreamTestData("ok"))) {
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
		assertOnlyFirstFrameIsValid("salt-mismatch");
	}

	@Test
	void frameChecksumMismatchStopsAfterFirstFrameWithoutCommit() throws IOException {
		assertOnlyFirstFrameIsValid("frame-checksum-mismatch");
	}

	private void assertOnlyFirstFrameIsValid(String name) throws IOException {
		try (FileChannel channel = TestWals.open(TestWals.litestreamTestData(name))) {
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
	void frameSaltsReadsOnlyCurrentGenerationAndSeesTwoStaleOnes() throws IOException {
		try (FileChannel channel = TestWals.open(TestWals.litestreamTestData("frame-salts"))) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThat(header.salts()).isEqualTo(new WalSalts(0x1b9a294b, 0x37f91916));
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

			assertThat(WalReader.frameSaltsUntil(channel, header, 0, 0)).containsExactly(
					new WalSalts(0x1b9a294b, 0x37f91916), new WalSalts(0x1b9a294a, 0x031f195e),
					new WalSalts(0x1b9a2949, 0x13b3dd67));
			assertThat(WalReader.frameSaltsUntil(channel, header, 0x1b9a294a, 0x031f195e))
				.containsExactly(new WalSalts(0x1b9a294b, 0x37f91916), new WalSalts(0x1b9a294a, 0x031f195e));
			assertThat(WalReader.frameSaltsUntil(channel, header, header.salt1(), header.salt2()))
				.containsExactly(header.salts());
		}
	}

	@Test
	void okConvertedToBigEndianChecksumsReadsTheSame() throws IOException {
		byte[] le = Files.readAllBytes(TestWals.litestreamTestData("ok"));
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
	void independentChecksumAgreesWithStoredLittleEndianChecksums() throws IOException {
		byte[] wal = Files.readAllBytes(TestWals.litestreamTestData("ok"));
		assertThat(TestWals.withChecksumOrder(wal, false)).isEqualTo(wal);
	}

}
