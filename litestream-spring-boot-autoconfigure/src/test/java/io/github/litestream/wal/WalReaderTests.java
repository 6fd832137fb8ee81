package io.github.litestream.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Frame-by-frame reading of synthetic WALs.
 */
class WalReaderTests {

	private static final int PAGE_SIZE = 512;

	private static final int FRAME_SIZE = 24 + PAGE_SIZE;

	@TempDir
	Path temp;

	@Test
	void bigEndianWalIsReadWithBigEndianChecksums() throws IOException {
		Path wal = new TestWals.Builder(true, PAGE_SIZE, 3, 4).frame(1, 0, 1).frame(2, 2, 1).write(file());
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalReader reader = new WalReader(channel, header);
			byte[] page = new byte[PAGE_SIZE];
			assertThat(reader.next(page)).isNotNull();
			assertThat(page).isEqualTo(TestWals.page(PAGE_SIZE, 1, 1));
			assertThat(reader.next(page)).isNotNull();
			assertThat(page).isEqualTo(TestWals.page(PAGE_SIZE, 2, 1));
			assertThat(reader.next(page)).isNull();
		}
	}

	@Test
	void walWithMagicOfTheOtherByteOrderHasNoValidFrames() throws IOException {
		byte[] be = new TestWals.Builder(true, PAGE_SIZE, 3, 4).frame(1, 1, 1).build();
		// Flip only the magic and fix the header checksum: frame checksums now mismatch.
		TestWals.putBe(be, 0, TestWals.LE_MAGIC);
		long[] sum = TestWals.checksum(false, new long[2], be, 0, 24);
		TestWals.putBe(be, 24, (int) sum[0]);
		TestWals.putBe(be, 28, (int) sum[1]);
		try (FileChannel channel = TestWals.open(Files.write(file(), be))) {
			WalReader reader = new WalReader(channel, WalHeader.read(channel).orElseThrow());
			assertThat(reader.next(new byte[PAGE_SIZE])).isNull();
		}
	}

	@Test
	void partiallyWrittenLastFrameEndsTheLogAndIsReadOnceComplete() throws IOException {
		byte[] full = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 0, 1).frame(2, 2, 1).build();
		Path wal = Files.write(file(), Arrays.copyOf(full, full.length - 1));
		try (FileChannel channel = TestWals.open(wal)) {
			WalReader reader = new WalReader(channel, WalHeader.read(channel).orElseThrow());
			byte[] page = new byte[PAGE_SIZE];
			assertThat(reader.next(page)).isNotNull();
			assertThat(reader.next(page)).isNull();
			assertThat(reader.offset()).isEqualTo(32 + FRAME_SIZE);
			assertThat(reader.lastFrameOffset()).isEqualTo(32);

			Files.write(wal, full);
			WalFrameHeader frame = reader.next(page);
			assertThat(frame).isNotNull();
			assertThat(frame.pgno()).isEqualTo(2);
			assertThat(frame.isCommit()).isTrue();
			assertThat(reader.offset()).isEqualTo(32 + 2 * FRAME_SIZE);
		}
	}

	@Test
	void frameWhosePageWasStillBeingWrittenWhenReadAheadIsReadAgain() throws IOException {
		byte[] full = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 0, 1).frame(2, 0, 1).frame(3, 3, 1).build();
		// SQLite writes a frame's header before its page: the third frame is complete
		// in length but its page is not written yet when the reader reads ahead.
		byte[] torn = full.clone();
		Arrays.fill(torn, 32 + 2 * FRAME_SIZE + 24, torn.length, (byte) 0);
		Path wal = Files.write(file(), torn);
		try (FileChannel channel = TestWals.open(wal)) {
			WalReader reader = new WalReader(channel, WalHeader.read(channel).orElseThrow());
			byte[] page = new byte[PAGE_SIZE];
			assertThat(reader.next(page)).isNotNull();
			Files.write(wal, full);
			assertThat(reader.next(page).pgno()).isEqualTo(2);
			WalFrameHeader third = reader.next(page);
			assertThat(third).isNotNull();
			assertThat(third.pgno()).isEqualTo(3);
			assertThat(page).isEqualTo(TestWals.page(PAGE_SIZE, 3, 1));
			assertThat(reader.next(page)).isNull();
		}
	}

	@Test
	void logLongerThanOneReadAheadIsReadFrameByFrame() throws IOException {
		TestWals.Builder builder = new TestWals.Builder(true, PAGE_SIZE, 5, 6);
		int frames = 1500;
		for (int i = 1; i <= frames; i++) {
			builder.frame(1 + (i % 37), (i == frames) ? 38 : 0, i);
		}
		try (FileChannel channel = TestWals.open(builder.write(file()))) {
			WalReader reader = new WalReader(channel, WalHeader.read(channel).orElseThrow());
			byte[] page = new byte[PAGE_SIZE];
			for (int i = 1; i <= frames; i++) {
				WalFrameHeader frame = reader.next(page);
				assertThat(frame).as("frame %d", i).isNotNull();
				assertThat(page).isEqualTo(TestWals.page(PAGE_SIZE, 1 + (i % 37), i));
			}
			assertThat(reader.next(page)).isNull();
			assertThat(reader.offset()).isEqualTo(32 + (long) frames * FRAME_SIZE);
		}
	}

	@Test
	void readingDoesNotMoveTheChannelPosition() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 1, 1).write(file());
		try (FileChannel channel = TestWals.open(wal)) {
			channel.position(7);
			WalHeader header = WalHeader.read(channel).orElseThrow();
			new WalReader(channel, header).next(new byte[PAGE_SIZE]);
			WalSegment.scan(channel, header).readPage(channel, 1, new byte[PAGE_SIZE]);
			WalReader.frameSaltsUntil(channel, header, 0, 0);
			WalReader.readFrameHeaderBefore(channel, header, 32 + FRAME_SIZE);
			assertThat(channel.position()).isEqualTo(7);
		}
	}

	@Test
	void resumingAtAFrameWithItsPredecessorsStoredChecksumContinuesTheChain() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 0, 1)
			.frame(2, 2, 1)
			.frame(3, 3, 1)
			.write(file());
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			long offset = 32 + 2 * FRAME_SIZE;
			WalFrameHeader before = WalReader.readFrameHeaderBefore(channel, header, offset).orElseThrow();
			WalReader reader = new WalReader(channel, header, offset, before.checksum1(), before.checksum2());
			assertThat(reader.checksum1()).isEqualTo(before.checksum1());
			assertThat(reader.lastFrameOffset()).isEqualTo(-1);
			WalFrameHeader frame = reader.next(new byte[PAGE_SIZE]);
			assertThat(frame).isNotNull();
			assertThat(frame.pgno()).isEqualTo(3);

			WalReader wrongSeed = new WalReader(channel, header, offset, before.checksum1() + 1, before.checksum2());
			assertThat(wrongSeed.next(new byte[PAGE_SIZE])).isNull();
		}
	}

	@Test
	void frameHeaderBeforeOffsetIsReturnedWithoutVerification() throws IOException {
		byte[] bytes = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 1, 1).build();
		TestWals.putBe(bytes, 32 + 8, 99);
		TestWals.putBe(bytes, 32 + 16, 12345);
		try (FileChannel channel = TestWals.open(Files.write(file(), bytes))) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			WalFrameHeader frame = WalReader.readFrameHeaderBefore(channel, header, 32 + FRAME_SIZE).orElseThrow();
			assertThat(frame.salt1()).isEqualTo(99);
			assertThat(frame.hasSaltsOf(header)).isFalse();
			assertThat(frame.checksum1()).isEqualTo(12345);
			assertThat(frame.salts()).isEqualTo(new WalSalts(99, 2));
		}
	}

	@Test
	void misalignedOffsetsAreRejected() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 1, 1).write(file());
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThatIllegalArgumentException().isThrownBy(() -> new WalReader(channel, header, 33, 0, 0))
				.withMessageContaining("33");
			assertThatIllegalArgumentException().isThrownBy(() -> new WalReader(channel, header, 0, 0, 0));
			assertThatIllegalArgumentException()
				.isThrownBy(() -> WalReader.readFrameHeaderBefore(channel, header, 32 + FRAME_SIZE - 1));
			assertThatIllegalArgumentException()
				.isThrownBy(() -> WalSegment.scan(channel, header, 40, header.checksum1(), header.checksum2(), 0));
		}
	}

	@Test
	void pageBufferShorterThanPageSizeIsRejected() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 1, 1).write(file());
		try (FileChannel channel = TestWals.open(wal)) {
			WalReader reader = new WalReader(channel, WalHeader.read(channel).orElseThrow());
			assertThatIllegalArgumentException().isThrownBy(() -> reader.next(new byte[PAGE_SIZE - 1]));
		}
	}

	@Test
	void checksummedFrameForPageZeroIsAFormatError() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(0, 1, 1).write(file());
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThatExceptionOfType(WalFormatException.class)
				.isThrownBy(() -> new WalReader(channel, header).next(new byte[PAGE_SIZE]))
				.withMessageContaining("page number 0");
		}
	}

	@Test
	void frameSaltsCountATrailingSlotWhoseHeaderIsComplete() throws IOException {
		byte[] current = new TestWals.Builder(false, PAGE_SIZE, 5, 6).frame(1, 1, 1).build();
		byte[] stale = new TestWals.Builder(false, PAGE_SIZE, 4, 9).frame(1, 1, 1).frame(2, 2, 1).build();
		// A restarted WAL: the new generation overwrote the start of the old one.
		byte[] wal = Arrays.copyOf(stale, 32 + FRAME_SIZE + 24);
		System.arraycopy(current, 0, wal, 0, current.length);
		try (FileChannel channel = TestWals.open(Files.write(file(), wal))) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			assertThat(WalReader.frameSaltsUntil(channel, header, 0, 0)).containsExactly(new WalSalts(5, 6),
					new WalSalts(4, 9));
			assertThat(WalReader.frameSaltsUntil(channel, header, 5, 6)).containsExactly(new WalSalts(5, 6));
		}
	}

	private Path file() {
		return this.temp.resolve("db-wal");
	}

}
