package io.github.litestream.ltx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import io.github.litestream.ltx.LtxTestSupport.Decoded;

import static io.github.litestream.ltx.LtxTestSupport.decode;
import static io.github.litestream.ltx.LtxTestSupport.encode;
import static io.github.litestream.ltx.LtxTestSupport.filled;
import static io.github.litestream.ltx.LtxTestSupport.pages;
import static io.github.litestream.ltx.LtxTestSupport.random;
import static io.github.litestream.ltx.LtxTestSupport.rolling;
import static io.github.litestream.ltx.LtxTestSupport.rows;
import static io.github.litestream.ltx.LtxTestSupport.tiny;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Encoder rules (LTX-SPEC sections 3.5 and 5.6) and encode-decode round trips.
 */
class LtxEncoderTests {

	private static final long FLAG = LtxChecksum.FLAG;

	static Stream<Arguments> encodingsAndPageSizes() {
		return Stream.of(PageEncoding.values())
			.flatMap((encoding) -> Stream.of(512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
				.map((size) -> Arguments.of(encoding, size)));
	}

	@ParameterizedTest
	@MethodSource("encodingsAndPageSizes")
	void snapshotRoundTrip(PageEncoding encoding, int pageSize) throws IOException {
		Map<Integer, byte[]> pages = pages(1, rows(pageSize, 1), 2, random(pageSize, pageSize), 3, tiny(pageSize, 3), 4,
				filled(pageSize, 0xFF), 5, rows(pageSize, 5));
		LtxHeader header = new LtxHeader(0, pageSize, 5, 1, 3, 1700000000000L, 0, 0, 0, 0, 0, 0);
		long postApply = rolling(pageSize, pages);
		byte[] file = encode(header, encoding, pages, postApply);
		Decoded decoded = decode(file, "snapshot");
		assertThat(decoded.header()).isEqualTo(header);
		assertThat(decoded.pgnos()).containsExactly(1, 2, 3, 4, 5);
		pages.forEach((pgno, data) -> assertThat(decoded.pages().get(pgno)).isEqualTo(data));
		assertThat(decoded.trailer().postApplyChecksum()).isEqualTo(postApply);
		// Incompressible pages are stored raw in a frame, never expanded beyond P + 19.
		assertThat(file.length).isLessThan(131 + 5 * (pageSize + pageSize / 255 + 16 + 29));
	}

	@ParameterizedTest
	@MethodSource("encodingsAndPageSizes")
	void litestreamStyleIncrementalRoundTrip(PageEncoding encoding, int pageSize) throws IOException {
		Map<Integer, byte[]> pages = pages(2, random(pageSize, 2), 7, rows(pageSize, 7), 1000, tiny(pageSize, 1000));
		LtxHeader header = LtxHeader.of(pageSize, 1000, 42, 42, 1700000001234L).withWal(32, 3 * (24 + pageSize), 7, 9);
		byte[] file = encode(header, encoding, pages);
		Decoded decoded = decode(file, "incremental");
		assertThat(decoded.header()).isEqualTo(header);
		assertThat(decoded.pgnos()).containsExactly(2, 7, 1000);
		pages.forEach((pgno, data) -> assertThat(decoded.pages().get(pgno)).isEqualTo(data));
		assertThat(decoded.trailer().postApplyChecksum()).isZero();
		assertThat(decoded.trailer().fileChecksum()).isNegative().isEqualTo(Bytes.getLongBE(file, file.length - 8));
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void writesPagesFromAnOffsetInTheBuffer(PageEncoding encoding) throws IOException {
		byte[] buffer = new byte[3 * 512];
		System.arraycopy(rows(512, 1), 0, buffer, 512, 512);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(out, LtxHeader.of(512, 1, 1, 1, 0), encoding);
		encoder.writePage(1, buffer, 512);
		encoder.finish();
		assertThat(decode(out.toByteArray(), "x").data().get(0)).isEqualTo(rows(512, 1));
	}

	@Test
	void fileWithoutPagesIsTheSmallestFile() throws IOException {
		byte[] file = encode(LtxHeader.of(4096, 3, 5, 5, 0), PageEncoding.FRAME, Map.of());
		assertThat(file).hasSize(131);
		Decoded decoded = decode(file, "empty");
		assertThat(decoded.pgnos()).isEmpty();
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void mixedEncodingsInOneFileRoundTrip(PageEncoding first) throws IOException {
		PageEncoding second = (first == PageEncoding.FRAME) ? PageEncoding.BLOCK : PageEncoding.FRAME;
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(out, LtxHeader.of(1024, 4, 1, 1, 0), first);
		encoder.writePage(1, rows(1024, 1), 0, first);
		encoder.writePage(2, random(1024, 2), 0, second);
		encoder.writePage(3, rows(1024, 3), 0, second);
		encoder.writePage(4, random(1024, 4), 0, first);
		encoder.finish();
		byte[] file = out.toByteArray();
		assertThat(Bytes.getShortBE(file, 104)).isEqualTo(first == PageEncoding.BLOCK ? 1 : 0);
		Decoded decoded = decode(file, "mixed");
		assertThat(decoded.pages()).containsOnlyKeys(1, 2, 3, 4);
		assertThat(decoded.pages().get(2)).isEqualTo(random(1024, 2));
		assertThat(decoded.pages().get(3)).isEqualTo(rows(1024, 3));
	}

	@Test
	void snapshotSkipsTheLockPage() throws IOException {
		// The smallest lock page: 65536-byte pages put it at 16385, so the database is 1
		// GiB.
		int pageSize = 65536;
		int lockPage = LtxChecksum.lockPage(pageSize);
		assertThat(lockPage).isEqualTo(16385);
		int commit = lockPage + 1;
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(out, LtxHeader.of(pageSize, commit, 1, 1, 0), PageEncoding.FRAME);
		byte[] page = new byte[pageSize];
		for (int pgno = 1; pgno < lockPage; pgno++) {
			Bytes.putIntBE(page, 0, pgno);
			encoder.writePage(pgno, page, 0);
		}
		Bytes.putIntBE(page, 0, lockPage);
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> encoder.writePage(lockPage, page, 0))
			.withMessageContaining("lock page");
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(encoder::finish)
			.withMessageContaining("snapshot is incomplete");
		Bytes.putIntBE(page, 0, commit);
		encoder.writePage(commit, page, 0);
		encoder.finish();
		try (LtxDecoder decoder = LtxTestSupport.decoder(out.toByteArray(), "1 GiB snapshot")) {
			int expected = 1;
			int pgno;
			while ((pgno = decoder.readPage(page)) != 0) {
				assertThat(pgno).isEqualTo(expected);
				assertThat(Bytes.getIntBE(page, 0)).isEqualTo(pgno);
				expected = (pgno == lockPage - 1) ? lockPage + 1 : pgno + 1;
			}
			assertThat(expected).isEqualTo(commit + 1);
			decoder.finish();
		}
	}

	@Test
	void snapshotMayEndRightBeforeTheLockPage() throws IOException {
		int pageSize = 65536;
		int lockPage = LtxChecksum.lockPage(pageSize);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		// Incremental: only the pages around the lock page, so the test stays small.
		LtxEncoder encoder = new LtxEncoder(out, LtxHeader.of(pageSize, lockPage, 2, 2, 0), PageEncoding.BLOCK);
		encoder.writePage(lockPage - 1, tiny(pageSize, 1), 0);
		assertThatExceptionOfType(LtxFormatException.class)
			.isThrownBy(() -> encoder.writePage(lockPage, tiny(pageSize, 2), 0))
			.withMessageContaining("lock page");
		encoder.finish();
		assertThat(decode(out.toByteArray(), "x").pgnos()).containsExactly(lockPage - 1);
		assertThat(LtxEncoder.lastSnapshotPage(lockPage, lockPage)).isEqualTo(lockPage - 1);
		assertThat(LtxEncoder.nextSnapshotPage(lockPage - 1, lockPage)).isEqualTo(lockPage + 1);
	}

	@Test
	void rejectsInvalidHeaderBeforeWritingAnything() {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		assertThatExceptionOfType(LtxFormatException.class)
			.isThrownBy(() -> new LtxEncoder(out, LtxHeader.of(1000, 1, 1, 1, 0), PageEncoding.FRAME))
			.withMessageContaining("invalid page size 1000");
		assertThat(out.size()).isZero();
	}

	@Test
	void rejectsPageNumbersOutsideTheRules() throws IOException {
		LtxEncoder incremental = new LtxEncoder(OutputStream.nullOutputStream(), LtxHeader.of(512, 10, 2, 2, 0),
				PageEncoding.BLOCK);
		byte[] page = new byte[512];
		assertRejected(() -> incremental.writePage(0, page, 0), "page number 0");
		assertRejected(() -> incremental.writePage(11, page, 0), "beyond the commit size of 10");
		assertRejected(() -> incremental.writePage(-1, page, 0), "page 4294967295 is beyond");
		incremental.writePage(5, page, 0);
		assertRejected(() -> incremental.writePage(5, page, 0), "ascending order: page 5 after page 5");
		assertRejected(() -> incremental.writePage(4, page, 0), "page 4 after page 5");
		// A rejected page leaves the encoder usable.
		incremental.writePage(10, page, 0);
		incremental.finish();

		LtxEncoder snapshot = new LtxEncoder(OutputStream.nullOutputStream(), LtxHeader.of(512, 3, 1, 1, 0),
				PageEncoding.FRAME);
		assertRejected(() -> snapshot.writePage(2, page, 0), "expected page 1 after page 0, got 2");
		snapshot.writePage(1, page, 0);
		assertRejected(() -> snapshot.writePage(3, page, 0), "expected page 2 after page 1, got 3");
		snapshot.writePage(2, page, 0);
		assertRejected(snapshot::finish, "snapshot is incomplete");
		snapshot.writePage(3, page, 0);
		snapshot.finish();
	}

	@Test
	void rejectsShortPageBuffers() throws IOException {
		LtxEncoder encoder = new LtxEncoder(OutputStream.nullOutputStream(), LtxHeader.of(512, 10, 2, 2, 0),
				PageEncoding.BLOCK);
		assertThatExceptionOfType(IndexOutOfBoundsException.class)
			.isThrownBy(() -> encoder.writePage(1, new byte[600], 100));
	}

	@Test
	void checksPostApplyChecksumAgainstTheHeader() throws IOException {
		assertRejected(() -> newEncoder(LtxHeader.of(512, 1, 2, 2, 0)).finish(FLAG | 1),
				"must be 0 when the NoChecksum");
		LtxHeader checksummed = new LtxHeader(0, 512, 1, 2, 2, 0, FLAG | 1, 0, 0, 0, 0, 0);
		assertRejected(() -> newEncoder(checksummed).finish(), "must have bit 63 set");
		assertRejected(() -> newEncoder(checksummed).finish(5), "must have bit 63 set");
		newEncoder(checksummed).finish(FLAG | 5);

		// Commit 0 deletes the database; the reference insists on the empty checksum.
		LtxHeader delete = new LtxHeader(0, 512, 0, 2, 2, 0, FLAG | 1, 0, 0, 0, 0, 0);
		assertRejected(() -> newEncoder(delete).finish(FLAG | 5), "when commit is 0");
		newEncoder(delete).finish(FLAG);
	}

	@Test
	void checksSnapshotPostApplyAgainstItsPages() throws IOException {
		LtxHeader header = new LtxHeader(0, 1024, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0);
		LtxEncoder wrong = newEncoder(header);
		wrong.writePage(1, filled(1024, 0x81), 0);
		assertRejected(() -> wrong.finish(FLAG | 5), "does not match the rolling checksum");
		LtxEncoder right = newEncoder(header);
		right.writePage(1, filled(1024, 0x81), 0);
		assertThat(right.finish(0xeb953fc47685d740L).postApplyChecksum()).isEqualTo(0xeb953fc47685d740L);
	}

	@Test
	void refusesWorkAfterFinish() throws IOException {
		LtxEncoder encoder = newEncoder(LtxHeader.of(512, 1, 2, 2, 0));
		encoder.finish();
		assertThatIllegalStateException().isThrownBy(() -> encoder.writePage(1, new byte[512], 0))
			.withMessageContaining("finished");
		assertThatIllegalStateException().isThrownBy(encoder::finish);
	}

	@Test
	void refusesWorkAfterTheStreamFailed() throws IOException {
		OutputStream failing = new OutputStream() {

			private int writes;

			@Override
			public void write(int b) {
				throw new UnsupportedOperationException();
			}

			@Override
			public void write(byte[] b, int off, int len) throws IOException {
				if (++this.writes > 1) {
					throw new IOException("disk full");
				}
			}

		};
		LtxEncoder encoder = new LtxEncoder(failing, LtxHeader.of(512, 2, 2, 2, 0), PageEncoding.FRAME);
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> encoder.writePage(1, new byte[512], 0))
			.withMessage("disk full");
		assertThatIllegalStateException().isThrownBy(() -> encoder.writePage(2, new byte[512], 0))
			.withMessageContaining("failed");
	}

	@Test
	void bytesWrittenCountsEveryByte() throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(out, LtxHeader.of(512, 2, 2, 2, 0), PageEncoding.BLOCK);
		assertThat(encoder.bytesWritten()).isEqualTo(100);
		encoder.writePage(1, rows(512, 1), 0);
		assertThat(encoder.bytesWritten()).isEqualTo(out.size());
		encoder.finish();
		assertThat(encoder.bytesWritten()).isEqualTo(out.size());
	}

	@Test
	void largeIndexOffsetsUseMultiByteVarints() throws IOException {
		Map<Integer, byte[]> pages = new LinkedHashMap<>();
		for (int pgno = 1; pgno <= 300; pgno++) {
			pages.put(pgno, random(4096, pgno));
		}
		byte[] file = encode(LtxHeader.of(4096, 300, 1, 1, 0), PageEncoding.FRAME, pages);
		Decoded decoded = decode(file, "big");
		assertThat(decoded.pgnos()).hasSize(300);
		assertThat(decoded.pages().get(300)).isEqualTo(random(4096, 300));
	}

	private static LtxEncoder newEncoder(LtxHeader header) throws IOException {
		return new LtxEncoder(OutputStream.nullOutputStream(), header, PageEncoding.BLOCK);
	}

	private static void assertRejected(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(call).withMessageContaining(message);
	}

}
