package io.github.litestream.wal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Committed page maps built from synthetic WALs.
 */
class WalSegmentTests {

	private static final int PAGE_SIZE = 512;

	private static final int FRAME_SIZE = 24 + PAGE_SIZE;

	@TempDir
	Path temp;

	@Test
	void framesOfATrailingUncommittedTransactionAreIgnored() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 0, 1)
			.frame(2, 2, 1)
			.frame(1, 0, 2)
			.frame(3, 0, 2)
			.write(file());
		WalSegment segment = scan(wal);
		assertThat(segment.pages()).containsExactly(1, 2);
		assertThat(segment.frameOffset(1)).isEqualTo(offset(0));
		assertThat(segment.commit()).isEqualTo(2);
		assertThat(segment.endOffset()).isEqualTo(offset(2));
		assertThat(segment.lastCommitFrameOffset()).isEqualTo(offset(1));
		assertThat(segment).hasToString("WalSegment[salts=00000001/00000002, offsets=32..1104, commit=2, pages=2]");
	}

	@Test
	void pagesAboveTheLastCommitSizeAreDropped() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 0, 1)
			.frame(2, 0, 1)
			.frame(3, 0, 1)
			.frame(4, 0, 1)
			.frame(5, 5, 1)
			.frame(1, 0, 2)
			.frame(2, 2, 2)
			.write(file());
		WalSegment segment = scan(wal);
		assertThat(segment.commit()).isEqualTo(2);
		assertThat(segment.pages()).containsExactly(1, 2);
		assertThat(segment.frameOffset(1)).isEqualTo(offset(5));
		assertThat(segment.frameOffset(3)).isEqualTo(-1);
		try (FileChannel channel = TestWals.open(wal)) {
			byte[] page = new byte[PAGE_SIZE];
			segment.readPage(channel, 2, page);
			assertThat(page).isEqualTo(TestWals.page(PAGE_SIZE, 2, 2));
			assertThatIllegalArgumentException().isThrownBy(() -> segment.readPage(channel, 3, page))
				.withMessageContaining("Page 3");
		}
	}

	@Test
	void byteLimitEndsTheSegmentOnTheFirstCommitAtOrBeyondIt() throws IOException {
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 0, 1)
			.frame(2, 2, 1)
			.frame(1, 0, 2)
			.frame(3, 0, 2)
			.frame(2, 3, 2)
			.frame(3, 3, 3)
			.write(file());
		try (FileChannel channel = TestWals.open(wal)) {
			WalHeader header = WalHeader.read(channel).orElseThrow();
			// Exactly two frames: the first commit ends right at the limit.
			WalSegment exact = WalSegment.scan(channel, header, 32, header.checksum1(), header.checksum2(),
					2L * FRAME_SIZE);
			assertThat(exact.endOffset()).isEqualTo(offset(2));
			// One byte more: the limit falls inside the second transaction, which is read
			// whole.
			WalSegment past = WalSegment.scan(channel, header, 32, header.checksum1(), header.checksum2(),
					2L * FRAME_SIZE + 1);
			assertThat(past.endOffset()).isEqualTo(offset(5));
			assertThat(past.commit()).isEqualTo(3);
			assertThat(past.frameOffset(2)).isEqualTo(offset(4));
			assertThat(past.frameOffset(3)).isEqualTo(offset(3));
		}
	}

	@Test
	void unsignedPageNumbersAboveTwoToThe31AreKeptAndSorted() throws IOException {
		int high = 0x80000001;
		int commit = 0x90000000;
		Path wal = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(high, 0, 1)
			.frame(7, 0, 1)
			.frame(0xA0000000, 0, 1)
			.frame(1, commit, 1)
			.write(file());
		WalSegment segment = scan(wal);
		assertThat(segment.commit()).isEqualTo(commit);
		assertThat(segment.pages()).containsExactly(1, 7, high);
		assertThat(segment.frameOffset(high)).isEqualTo(offset(0));
	}

	@Test
	void manyFramesMatchAReferenceMap() throws IOException {
		Random random = new Random(42);
		TestWals.Builder builder = new TestWals.Builder(false, PAGE_SIZE, 1, 2);
		Map<Integer, Long> committed = new HashMap<>();
		Map<Integer, Long> pending = new HashMap<>();
		int commit = 0;
		int frames = 20_000;
		for (int i = 0; i < frames; i++) {
			int pgno = 1 + random.nextInt(12_000);
			// The last frame is never a commit, so the log ends in an open transaction.
			boolean isCommit = i == frames - 2 || (i < frames - 2 && random.nextInt(50) == 0);
			int size = isCommit ? 6_000 + random.nextInt(6_000) : 0;
			builder.frame(pgno, size, i);
			pending.put(pgno, offset(i));
			if (isCommit) {
				committed.putAll(pending);
				pending.clear();
				commit = size;
			}
		}
		int finalCommit = commit;
		TreeMap<Integer, Long> expected = new TreeMap<>(committed);
		expected.keySet().removeIf((pgno) -> pgno > finalCommit);

		Path wal = builder.write(file());
		WalSegment segment = scan(wal);
		assertThat(segment.commit()).isEqualTo(finalCommit);
		assertThat(segment.endOffset()).isEqualTo(offset(frames - 1));
		assertThat(segment.pages()).containsExactly(expected.keySet().stream().mapToInt(Integer::intValue).toArray());
		for (Map.Entry<Integer, Long> entry : expected.entrySet()) {
			assertThat(segment.frameOffset(entry.getKey())).as("page %d", entry.getKey()).isEqualTo(entry.getValue());
		}
	}

	@Test
	void readPageFromAWalTruncatedSinceTheScanFails() throws IOException {
		byte[] bytes = new TestWals.Builder(false, PAGE_SIZE, 1, 2).frame(1, 1, 1).build();
		Path wal = Files.write(file(), bytes);
		WalSegment segment = scan(wal);
		Files.write(wal, Arrays.copyOf(bytes, 100));
		try (FileChannel channel = TestWals.open(wal)) {
			assertThatExceptionOfType(EOFException.class)
				.isThrownBy(() -> segment.readPage(channel, 1, new byte[PAGE_SIZE]));
		}
	}

	private WalSegment scan(Path wal) throws IOException {
		try (FileChannel channel = TestWals.open(wal)) {
			return WalSegment.scan(channel, WalHeader.read(channel).orElseThrow());
		}
	}

	private static long offset(int frameIndex) {
		return 32L + (long) frameIndex * FRAME_SIZE;
	}

	private Path file() {
		return this.temp.resolve("db-wal");
	}

}
