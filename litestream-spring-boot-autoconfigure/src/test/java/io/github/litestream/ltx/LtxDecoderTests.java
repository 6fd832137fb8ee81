package io.github.litestream.ltx;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.github.litestream.ltx.LtxTestSupport.decode;
import static io.github.litestream.ltx.LtxTestSupport.decoder;
import static io.github.litestream.ltx.LtxTestSupport.encode;
import static io.github.litestream.ltx.LtxTestSupport.filled;
import static io.github.litestream.ltx.LtxTestSupport.pages;
import static io.github.litestream.ltx.LtxTestSupport.random;
import static io.github.litestream.ltx.LtxTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The strict decoder (LTX-SPEC section 7): what it accepts beyond the reference writer's
 * exact shape, each rule it enforces (on files whose checksum is right, so the rule
 * itself must catch the problem), and corruption anywhere in a file.
 */
class LtxDecoderTests {

	private static final String NAME = "s3://bucket/db/0000/0000000000000002-0000000000000002.ltx";

	private static final long FLAG = LtxChecksum.FLAG;

	private static final int P = 512;

	private static final LtxHeader INCREMENTAL = LtxHeader.of(P, 10, 2, 2, 0);

	private static final byte[] PAGE = rows(P, 1);

	// ---- accepted variants

	@Test
	void acceptsFrameWithBlockChecksumsContentSizeAndNoContentChecksum() throws IOException {
		byte[] block = RawLtx.compressedBlock(PAGE);
		byte[] withChecksum = Arrays.copyOf(block, block.length + 4);
		Bytes.putIntLE(withChecksum, block.length, RawLtx.xxh32(block, 4, block.length - 4));
		byte[] frame = RawLtx.frame(0x60 | 0x10 | 0x08, 0x40, (long) P, PAGE, List.of(withChecksum), false);
		assertDecodes(new RawLtx(INCREMENTAL).framePage(1, PAGE, frame).finish(0));
	}

	@Test
	void acceptsFrameWithSeveralBlocksLargerBlockSizeAndLinkedBlocks() throws IOException {
		byte[] page = rows(P, 1);
		byte[] half = Arrays.copyOf(page, P / 2);
		byte[] stored = RawLtx.storedBlock(page, P / 2, P / 2);
		byte[] frame = RawLtx.frame(0x44, 0x70, null, page, List.of(RawLtx.compressedBlock(half), stored), true);
		assertDecodes(new RawLtx(INCREMENTAL).framePage(3, page, frame).finish(0));
	}

	@Test
	void acceptsNonMinimalVarintsInTheIndexAsTheReferenceDoes() throws IOException {
		RawLtx raw = new RawLtx(INCREMENTAL).blockPage(1, PAGE);
		int size = Lz4.COMPRESSOR.compress(PAGE).length + 10;
		// pgno 1 as 0x81 0x00, offset 100 as 0xe4 0x80 0x00, then size, then terminator.
		byte[] index = new byte[] { (byte) 0x81, 0x00, (byte) 0xE4, (byte) 0x80, 0x00, 0, 0, 0 };
		int length = 5 + PageIndex.putUvarint(index, 5, size) - 5;
		index[length] = 0;
		byte[] indexBytes = Arrays.copyOf(index, length + 1);
		assertDecodes(raw.finish(new byte[6], indexBytes, indexBytes.length, 0));
	}

	// ---- page payloads

	@Test
	void rejectsBlockThatDecodesToLessThanAPage() {
		byte[] file = new RawLtx(INCREMENTAL).blockPage(1, PAGE, RawLtx.compress(Arrays.copyOf(PAGE, P - 1))).finish(0);
		assertRejected(file, "LZ4 block decodes to 511 bytes, want the page size 512");
	}

	@Test
	void rejectsBlockThatDecodesToMoreThanAPage() {
		byte[] file = new RawLtx(INCREMENTAL).blockPage(1, PAGE, RawLtx.compress(Arrays.copyOf(PAGE, P + 1))).finish(0);
		assertRejected(file, "corrupt LZ4 data");
	}

	@Test
	void rejectsGarbageBlock() {
		byte[] file = new RawLtx(INCREMENTAL).blockPage(1, PAGE, new byte[] { (byte) 0xF0, 1, 2 }).finish(0);
		assertRejected(file, "page 1 at offset 100: corrupt LZ4 data");
	}

	@Test
	void rejectsLz4EncodingsThatDecodersToleratedButNoCompressorWrites() {
		byte[] zeros = new byte[P];
		byte[] block = RawLtx.compress(zeros);
		assertThat(block).hasSize(12).startsWith(0x1F, 0x00, 0x01, 0x00);
		byte[] offsetZero = block.clone();
		offsetZero[2] = 0;
		assertRejected(new RawLtx(INCREMENTAL).blockPage(1, zeros, offsetZero).finish(0), "match offset 0");
		byte[] finalMatchLength = block.clone();
		finalMatchLength[block.length - 6] |= 1;
		assertRejected(new RawLtx(INCREMENTAL).blockPage(1, zeros, finalMatchLength).finish(0),
				"the final sequence carries a match length (token 0x51)");
		byte[] frame = RawLtx.frame(0x64, 0x40, null, zeros, List.of(RawLtx.compressedBlock(zeros)), true);
		frame[11 + 2] = 0;
		assertRejected(new RawLtx(INCREMENTAL).framePage(1, zeros, frame).finish(0), "match offset 0");
	}

	@Test
	void rejectsBlockSizesOutsideTheBoundBeforeAllocating() {
		for (long size : new long[] { 0, P + P / 255 + 17, 0xFFFFFFFFL }) {
			byte[] head = new byte[10];
			Bytes.putIntBE(head, 0, 1);
			Bytes.putShortBE(head, 4, 1);
			Bytes.putIntBE(head, 6, (int) size);
			byte[] file = new RawLtx(INCREMENTAL).raw(head).finish(0);
			assertRejected(file, "LZ4 block size " + size + " is outside 1..530");
		}
	}

	@Test
	void rejectsBadFrames() {
		byte[] block = RawLtx.compressedBlock(PAGE);
		assertFrameAccepted(RawLtx.frame(0x64, 0x40, null, PAGE, List.of(block), true));
		byte[] badMagic = RawLtx.frame(0x64, 0x40, null, PAGE, List.of(block), true);
		badMagic[0] = 0x05;
		assertFrameRejected(badMagic, "LZ4 frame magic 0x184d2205");
		byte[] badHc = RawLtx.frame(0x64, 0x40, null, PAGE, List.of(block), true);
		badHc[6] ^= 1;
		assertFrameRejected(badHc, "LZ4 frame header checksum");
		byte[] badContentChecksum = RawLtx.frame(0x64, 0x40, null, PAGE, List.of(block), true);
		badContentChecksum[badContentChecksum.length - 1] ^= 1;
		assertFrameRejected(badContentChecksum, "LZ4 frame content checksum");
		byte[] badBlockChecksum = Arrays.copyOf(block, block.length + 4);
		assertFrameRejected(RawLtx.frame(0x74, 0x40, null, PAGE, List.of(badBlockChecksum), true),
				"LZ4 frame block checksum mismatch");
		assertFrameRejected(RawLtx.frame(0xA4, 0x40, null, PAGE, List.of(block), true),
				"unsupported LZ4 frame descriptor FLG 0xa4");
		assertFrameRejected(RawLtx.frame(0x66, 0x40, null, PAGE, List.of(block), true),
				"unsupported LZ4 frame descriptor FLG 0x66");
		assertFrameRejected(RawLtx.frame(0x64, 0x41, null, PAGE, List.of(block), true),
				"unsupported LZ4 frame descriptor FLG 0x64 BD 0x41");
		assertFrameRejected(RawLtx.frame(0x64, 0x30, null, PAGE, List.of(block), true), "block size ID 3");
		assertFrameRejected(RawLtx.frame(0x65, 0x40, null, PAGE, List.of(block), true), "dictionary");
		assertFrameRejected(RawLtx.frame(0x6C, 0x40, (long) P + 1, PAGE, List.of(block), true),
				"declares 513 bytes of content");
		byte[] half = RawLtx.storedBlock(PAGE, 0, P / 2);
		assertFrameRejected(RawLtx.frame(0x64, 0x40, null, PAGE, List.of(half), true), "frame decodes to 256 bytes");
		assertFrameRejected(RawLtx.frame(0x64, 0x40, null, PAGE, List.of(block, half), true),
				"holds more than the page size");
		assertFrameRejected(RawLtx.frame(0x64, 0x40, null, PAGE, List.of(block, block), true),
				"cannot belong to a page");
		byte[] tooLarge = new byte[4];
		Bytes.putIntLE(tooLarge, 0, 65537);
		assertFrameRejected(RawLtx.frame(0x64, 0x40, null, PAGE, List.of(tooLarge), true),
				"exceeds the frame's maximum of 65536");
	}

	private static void assertFrameAccepted(byte[] frame) {
		assertDecodes(new RawLtx(INCREMENTAL).framePage(1, PAGE, frame).finish(0));
	}

	private static void assertFrameRejected(byte[] frame, String message) {
		byte[] file = new RawLtx(INCREMENTAL).framePage(1, PAGE, frame).finish(0);
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> decode(file, NAME))
			.withMessageStartingWith(NAME + ": page 1 at offset 100: ")
			.withMessageContaining(message);
	}

	// ---- page headers and ordering

	@Test
	void rejectsInvalidPageHeaders() {
		byte[] flags = new byte[6];
		Bytes.putIntBE(flags, 0, 1);
		Bytes.putShortBE(flags, 4, 2);
		assertRejected(new RawLtx(INCREMENTAL).raw(flags).finish(0), "invalid page header flags 0x0002 for page 1");
		byte[] noPgno = new byte[6];
		Bytes.putShortBE(noPgno, 4, 1);
		assertRejected(new RawLtx(INCREMENTAL).raw(noPgno).finish(0),
				"page header at offset 100 has page number 0 with flags 0x0001");
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void rejectsPagesOutOfOrder(PageEncoding encoding) {
		assertRejected(page(page(new RawLtx(INCREMENTAL), encoding, 3), encoding, 3).finish(0),
				"does not follow page 3");
		assertRejected(page(page(new RawLtx(INCREMENTAL), encoding, 3), encoding, 2).finish(0), "page 2 at offset");
		assertRejected(page(new RawLtx(INCREMENTAL), encoding, 11).finish(0), "beyond the commit size of 10 pages");
		LtxHeader big = LtxHeader.of(P, 3_000_000, 2, 2, 0);
		assertRejected(page(new RawLtx(big), encoding, 2097153).finish(0), "is the lock page");
		LtxHeader snapshot = LtxHeader.of(P, 3, 1, 1, 0);
		assertRejected(page(new RawLtx(snapshot), encoding, 2).finish(0), "expected page 1");
		assertRejected(page(page(new RawLtx(snapshot), encoding, 1), encoding, 3).finish(0), "expected page 2");
		assertRejected(page(page(new RawLtx(snapshot), encoding, 1), encoding, 2).finish(0),
				"snapshot is incomplete: its pages end at offset");
	}

	private static RawLtx page(RawLtx raw, PageEncoding encoding, int pgno) {
		return (encoding == PageEncoding.BLOCK) ? raw.blockPage(pgno, PAGE) : raw.framePage(pgno, PAGE);
	}

	// ---- index and trailer

	@Test
	void rejectsIndexThatDoesNotMatchTheFrames() {
		int frameSize = 10 + RawLtx.compress(PAGE).length;
		assertRejected(withIndex(index(1, 101, frameSize)), "does not match page frame 1 (page 1, offset 100");
		assertRejected(withIndex(index(1, 100, frameSize + 1)), "does not match page frame 1");
		assertRejected(withIndex(index(2, 100, frameSize)), "does not match page frame 1");
		assertRejected(withIndex(new byte[] { 0 }), "lists 0 pages, but the file holds 1");
		byte[] twice = index(1, 100, frameSize);
		byte[] extra = new byte[2 * (twice.length - 1) + 1];
		System.arraycopy(twice, 0, extra, 0, twice.length - 1);
		System.arraycopy(twice, 0, extra, twice.length - 1, twice.length);
		assertRejected(withIndex(extra), "the file holds only 1 pages");
		byte[] overflow = new byte[12];
		Arrays.fill(overflow, 0, 11, (byte) 0xFF);
		assertRejected(withIndex(overflow), "overflows 64 bits");
	}

	@Test
	void rejectsWrongIndexLength() {
		byte[] index = index(1, 100, 10 + RawLtx.compress(PAGE).length);
		byte[] file = new RawLtx(INCREMENTAL).blockPage(1, PAGE).finish(new byte[6], index, index.length + 8, 0);
		assertRejected(file, "page index length at offset");
	}

	@Test
	void rejectsBytesAfterTheTrailer() throws IOException {
		byte[] file = encode(INCREMENTAL, PageEncoding.FRAME, pages(1, PAGE));
		assertRejected(Arrays.copyOf(file, file.length + 1), "unexpected bytes after the trailer");
	}

	@Test
	void rejectsTrailerChecksumsThatDoNotFitTheHeader() {
		assertRejected(new RawLtx(INCREMENTAL).blockPage(1, PAGE).finish(FLAG | 1),
				"must be 0 because the NoChecksum flag is set");
		LtxHeader checksummed = new LtxHeader(0, P, 10, 2, 2, 0, FLAG | 1, 0, 0, 0, 0, 0);
		assertRejected(new RawLtx(checksummed).blockPage(1, PAGE).finish(1), "must have bit 63 set");
		LtxHeader snapshot = new LtxHeader(0, 1024, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0);
		byte[] page = filled(1024, 0x81);
		assertRejected(new RawLtx(snapshot).blockPage(1, page).finish(FLAG | 1),
				"does not match the snapshot's pages, which give 0xeb953fc47685d740");
		assertDecodes(new RawLtx(snapshot).blockPage(1, page).finish(0xeb953fc47685d740L));
	}

	@Test
	void rejectsFileChecksumMismatch() throws IOException {
		byte[] file = encode(INCREMENTAL, PageEncoding.BLOCK, pages(1, PAGE));
		file[file.length - 1] ^= 1;
		assertRejected(file, "file checksum mismatch: the trailer at offset");
	}

	// ---- header and stream

	@Test
	void rejectsBadHeaderAndClosesTheStream() {
		byte[] header = INCREMENTAL.encode();
		header[0] = 'X';
		AtomicBoolean closed = new AtomicBoolean();
		InputStream in = new ByteArrayInputStream(header) {

			@Override
			public void close() {
				closed.set(true);
			}

		};
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> new LtxDecoder(in, NAME))
			.withMessageStartingWith(NAME + ": not an LTX file");
		assertThat(closed).isTrue();
		assertThatExceptionOfType(LtxFormatException.class)
			.isThrownBy(() -> new LtxDecoder(new ByteArrayInputStream(new byte[0]), NAME))
			.withMessage(NAME + ": file is truncated: it ends at offset 0, in the middle of the header");
	}

	@Test
	void reportsStreamFailuresWithTheSourceName() throws IOException {
		byte[] file = encode(INCREMENTAL, PageEncoding.BLOCK, pages(1, PAGE));
		// Serves the header, then the connection drops.
		InputStream dropping = new ByteArrayInputStream(file, 0, LtxHeader.SIZE) {

			@Override
			public synchronized int read(byte[] b, int off, int len) {
				if (this.pos == this.count) {
					throw new UncheckedIOException(new IOException("connection reset"));
				}
				return super.read(b, off, len);
			}

		};
		InputStream failing = new FilterInputStream(dropping) {

			@Override
			public int read(byte[] b, int off, int len) throws IOException {
				try {
					return super.read(b, off, len);
				}
				catch (UncheckedIOException ex) {
					throw ex.getCause();
				}
			}

		};
		try (LtxDecoder decoder = new LtxDecoder(failing, NAME)) {
			assertThatExceptionOfType(IOException.class).isThrownBy(() -> decoder.readPage(new byte[P]))
				.withMessage(NAME + ": cannot read at offset 100: connection reset");
			assertThatExceptionOfType(IOException.class).isThrownBy(decoder::finish)
				.withMessageStartingWith(NAME + ": decoding stopped after an earlier error");
		}
	}

	@Test
	void followsTheStateMachine() throws IOException {
		byte[] file = encode(INCREMENTAL, PageEncoding.FRAME, pages(1, PAGE, 2, PAGE));
		LtxDecoder decoder = decoder(file, NAME);
		assertThat(decoder.sourceName()).isEqualTo(NAME);
		assertThatIllegalArgumentException().isThrownBy(() -> decoder.readPage(new byte[P - 1]));
		byte[] page = new byte[P + 10];
		assertThat(decoder.readPage(page)).isEqualTo(1);
		assertThat(decoder.pageCount()).isEqualTo(1);
		LtxTrailer trailer = decoder.finish();
		assertThat(decoder.pageCount()).isEqualTo(2);
		assertThat(decoder.finish()).isSameAs(trailer);
		assertThat(decoder.readPage(page)).isZero();
		decoder.close();
		decoder.close();
		assertThat(decoder.finish()).isSameAs(trailer);
		assertThatIllegalStateException().isThrownBy(() -> decoder.readPage(page)).withMessageContaining("closed");

		try (LtxDecoder other = decoder(file, NAME)) {
			assertThat(other.readPage(page)).isEqualTo(1);
			assertThat(other.readPage(page)).isEqualTo(2);
			assertThat(other.readPage(page)).isZero();
			assertThat(other.readPage(page)).isZero();
			assertThat(other.finish()).isEqualTo(trailer);
		}
	}

	@Test
	void refusesWorkAfterAnError() throws IOException {
		byte[] file = encode(INCREMENTAL, PageEncoding.FRAME, pages(1, PAGE));
		file[110] ^= 1;
		try (LtxDecoder decoder = decoder(file, NAME)) {
			assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> decoder.readPage(new byte[P]));
			assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> decoder.readPage(new byte[P]))
				.withMessageStartingWith(NAME + ": decoding stopped after an earlier error: " + NAME);
			assertThatExceptionOfType(LtxFormatException.class).isThrownBy(decoder::finish);
		}
	}

	// ---- corruption anywhere

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void detectsEverySingleByteCorruption(PageEncoding encoding) throws IOException {
		byte[] half = rows(P, 5);
		System.arraycopy(random(P / 2, 7), 0, half, 0, P / 2);
		List<byte[]> files = List.of(
				encode(INCREMENTAL, encoding, pages(1, rows(P, 1), 2, random(P, 2), 3, filled(P, 0), 5, half)),
				encode(LtxHeader.of(P, 3, 1, 1, 0), encoding, pages(1, filled(P, 7), 2, random(P, 3), 3, rows(P, 3))));
		for (byte[] file : files) {
			decode(file, NAME);
			forEachSingleByteCorruption(file,
					(position, mask, corrupt) -> assertThatExceptionOfType(LtxFormatException.class)
						.as("byte %d ^ 0x%02x", position, mask)
						.isThrownBy(() -> decode(corrupt, NAME))
						.withMessageStartingWith(NAME + ": "));
		}
	}

	/**
	 * The file checksum covers decoded pages, not LZ4 bytes (LTX-SPEC section 5.2), and
	 * LZ4 can say the same thing in several ways: inside a run of equal bytes, match
	 * offsets 2 and 3 copy the same bytes. Such a flip cannot be detected by any reader,
	 * but it also changes nothing: the pages decode exactly as written. Everything
	 * outside the compressed blocks is always detected.
	 */
	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void corruptionIsDetectedOrHarmlessInRealisticPages(PageEncoding encoding) throws IOException {
		byte[] page = new byte[P];
		System.arraycopy(random(P / 2, 7), 0, page, 0, P / 2);
		System.arraycopy(rows(100, 9), 0, page, P - 100, 100);
		byte[] file = encode(INCREMENTAL, encoding, pages(2, page, 3, LtxTestSupport.sqliteLikePage(3, P)));
		List<byte[]> expected = decode(file, NAME).data();
		boolean[] insideBlocks = compressedBlockBytes(file);
		forEachSingleByteCorruption(file, (position, mask, corrupt) -> {
			try {
				List<byte[]> decoded = decode(corrupt, NAME).data();
				assertThat(insideBlocks[position]).as("undetected flip of byte %d outside LZ4 data", position).isTrue();
				assertThat(decoded).as("byte %d ^ 0x%02x", position, mask).containsExactlyElementsOf(expected);
			}
			catch (LtxFormatException ex) {
				assertThat(ex).hasMessageStartingWith(NAME + ": ");
			}
		});
	}

	private static boolean[] compressedBlockBytes(byte[] file) {
		boolean[] inside = new boolean[file.length];
		int pos = LtxHeader.SIZE;
		for (byte[] block : LtxSampleFileTests.storedBlocks(file)) {
			int start = (Bytes.getShortBE(file, pos + 4) == 1) ? pos + 10 : pos + 17;
			Arrays.fill(inside, start, start + block.length, true);
			pos = (Bytes.getShortBE(file, pos + 4) == 1) ? start + block.length : start + block.length + 8;
		}
		return inside;
	}

	private static void forEachSingleByteCorruption(byte[] file, Corruption check) throws IOException {
		for (int i = 0; i < file.length; i++) {
			for (int mask : new int[] { 0x01, 0x02, 0x80, 0xFF }) {
				byte[] corrupt = file.clone();
				corrupt[i] ^= (byte) mask;
				check.accept(i, mask, corrupt);
			}
		}
	}

	@FunctionalInterface
	private interface Corruption {

		void accept(int position, int mask, byte[] corrupt) throws IOException;

	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void detectsEveryTruncation(PageEncoding encoding) throws IOException {
		byte[] file = encode(INCREMENTAL, encoding, pages(1, rows(P, 1), 4, random(P, 4)));
		for (int length = 0; length < file.length; length++) {
			byte[] truncated = Arrays.copyOf(file, length);
			assertThatExceptionOfType(LtxFormatException.class).as("length %d", length)
				.isThrownBy(() -> decode(truncated, NAME))
				.withMessageStartingWith(NAME + ": file is truncated: it ends at offset " + length);
		}
	}

	// ---- helpers

	private static byte[] withIndex(byte[] index) {
		return new RawLtx(INCREMENTAL).blockPage(1, PAGE).finish(new byte[6], index, index.length, 0);
	}

	private static byte[] index(long pgno, long offset, long size) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		out.writeBytes(RawLtx.uvarint(pgno));
		out.writeBytes(RawLtx.uvarint(offset));
		out.writeBytes(RawLtx.uvarint(size));
		out.write(0);
		return out.toByteArray();
	}

	private static void assertDecodes(byte[] file) {
		try {
			decode(file, NAME);
		}
		catch (IOException ex) {
			throw new AssertionError("expected the file to decode", ex);
		}
	}

	private static void assertRejected(byte[] file, String message) {
		ThrowingCallable call = () -> decode(file, NAME);
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(call)
			.withMessageStartingWith(NAME + ": ")
			.withMessageContaining(message);
	}

}
