package io.github.litestream.ltx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.github.litestream.ltx.LtxTestSupport.Decoded;

import static io.github.litestream.ltx.LtxTestSupport.decode;
import static io.github.litestream.ltx.LtxTestSupport.decodeWithPython;
import static io.github.litestream.ltx.LtxTestSupport.filled;
import static io.github.litestream.ltx.LtxTestSupport.pages;
import static io.github.litestream.ltx.LtxTestSupport.read;
import static io.github.litestream.ltx.LtxTestSupport.sqliteLikePage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Decodes and re-encodes the sample files of {@code src/test/resources/ltx/samples} (see
 * its README.md), and rejects a legacy LTX v1 file.
 * <p>
 * The {@code go051-*} files carry the file checksums that ltx v0.5.1's own tests
 * asserted; their header, page headers, index and trailer are exactly Go's. Their
 * compressed bytes are a hand trace of Go's LZ4 compressor: the checksum covers only
 * their length, and lz4-java compresses a constant page to 14 bytes instead of 26, so
 * byte identity is checked with the 26-byte blocks put back in.
 */
class LtxSampleFileTests {

	private static final long FLAG = LtxChecksum.FLAG;

	static Stream<Sample> samples() {
		LtxHeader snapshot = new LtxHeader(0, 1024, 3, 1, 2, 2000, 0, 0, 0, 0, 0, 0);
		Map<Integer, byte[]> snapshotPages = pages(1, filled(1024, 0x91), 2, filled(1024, 0x82), 3, filled(1024, 0x93));
		LtxHeader nonSnapshot = new LtxHeader(0, 1024, 5, 2, 9, 3000, FLAG | 2, 0, 0, 0, 0, 0);
		Map<Integer, byte[]> nonSnapshotPages = pages(1, filled(1024, 0x91), 2, filled(1024, 0xA2), 3,
				filled(1024, 0xA3), 5, filled(1024, 0xA5));
		LtxHeader shrinking = new LtxHeader(0, 1024, 2, 2, 5, 2000, FLAG | 2, 0, 0, 0, 0, 0);
		Map<Integer, byte[]> shrinkingPages = pages(1, filled(1024, 0x91));
		return Stream.of(
				new Sample("go051-SnapshotPageDataOnly.ltx", PageEncoding.FRAME, 295, snapshot, snapshotPages,
						0x8a249272ad9f7deaL, 0xe836ad7ac0be7594L),
				new Sample("go052-SnapshotPageDataOnly.ltx", PageEncoding.BLOCK, 250, snapshot, snapshotPages,
						0x8a249272ad9f7deaL, 0x91206f60138b3298L),
				new Sample("go051-NonSnapshotPageDataOnly.ltx", PageEncoding.FRAME, 350, nonSnapshot, nonSnapshotPages,
						FLAG | 9, 0xc08218012f50038eL),
				new Sample("go052-NonSnapshotPageDataOnly.ltx", PageEncoding.BLOCK, 290, nonSnapshot, nonSnapshotPages,
						FLAG | 9, 0xa211dd2208ba47a3L),
				new Sample("go051-Shrinking.ltx", PageEncoding.FRAME, 185, shrinking, shrinkingPages, FLAG | 5,
						0x83c62dde98efed0fL),
				new Sample("go052-Shrinking.ltx", PageEncoding.BLOCK, 170, shrinking, shrinkingPages, FLAG | 5,
						0xbda4cf27940698e3L),
				new Sample("synth-v3-block-snapshot-checksummed.ltx", PageEncoding.BLOCK, 3158,
						new LtxHeader(0, 4096, 4, 1, 1, 1700000000000L, 0, 0, 0, 0, 0, 0),
						pages(1, sqliteLikePage(1, 4096), 2, sqliteLikePage(2, 4096), 3, sqliteLikePage(3, 4096), 4,
								sqliteLikePage(4, 4096)),
						0x8449d054befbd086L, 0xca3db2bd683b39dfL),
				new Sample("synth-v3-block-litestream-L0.ltx", PageEncoding.BLOCK, 1645,
						LtxHeader.of(4096, 4, 7, 7, 1700000001234L).withWal(32, 3 * 4120, 0x4875a40b, 0xa38de4f5),
						pages(2, sqliteLikePage(2, 4096), 4, sqliteLikePage(44, 4096)), 0, 0xf8664adb672e7a7eL));
	}

	@ParameterizedTest
	@MethodSource("samples")
	void decodesSampleWithExpectedHeaderPagesAndChecksums(Sample sample) throws IOException {
		byte[] file = read(sample.path());
		assertThat(file).hasSize(sample.size());
		Decoded decoded = decode(file, sample.name());
		assertThat(decoded.header()).isEqualTo(sample.header());
		assertThat(decoded.pages()).containsOnlyKeys(sample.pages().keySet());
		assertThat(decoded.pgnos()).containsExactlyElementsOf(sample.pages().keySet());
		sample.pages()
			.forEach((pgno, data) -> assertThat(decoded.pages().get(pgno)).as("page %d", pgno).isEqualTo(data));
		assertThat(decoded.trailer()).isEqualTo(new LtxTrailer(sample.postApply(), sample.fileChecksum()));
	}

	@ParameterizedTest
	@MethodSource("samples")
	void reEncodingWithTheStoredBlocksIsByteIdentical(Sample sample) throws IOException {
		byte[] file = read(sample.path());
		Iterator<byte[]> blocks = storedBlocks(file).iterator();
		BlockCompressor replay = (src, srcOff, srcLen, dst, dstOff, maxDstLen) -> {
			byte[] block = blocks.next();
			System.arraycopy(block, 0, dst, dstOff, block.length);
			return block.length;
		};
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(out, sample.header(), sample.encoding(), replay);
		for (Map.Entry<Integer, byte[]> page : sample.pages().entrySet()) {
			encoder.writePage(page.getKey(), page.getValue(), 0);
		}
		LtxTrailer trailer = encoder.finish(sample.postApply());
		assertThat(trailer).isEqualTo(new LtxTrailer(sample.postApply(), sample.fileChecksum()));
		assertThat(out.toByteArray()).isEqualTo(file);
		assertThat(encoder.bytesWritten()).isEqualTo(file.length);
	}

	@Test
	void goWrittenFrameFilesAreReproducedWithGosBlocks() throws IOException {
		for (Sample sample : samples().filter((s) -> s.name().startsWith("go05")).toList()) {
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			LtxEncoder encoder = new LtxEncoder(out, sample.header(), sample.encoding(),
					LtxTestSupport.pierrecCompressor());
			for (Map.Entry<Integer, byte[]> page : sample.pages().entrySet()) {
				encoder.writePage(page.getKey(), page.getValue(), 0);
			}
			assertThat(encoder.finish(sample.postApply()).fileChecksum()).as(sample.name())
				.isEqualTo(sample.fileChecksum());
			assertThat(out.toByteArray()).as(sample.name()).isEqualTo(read(sample.path()));
		}
	}

	@ParameterizedTest
	@MethodSource("samples")
	void reEncodingWithLz4JavaGivesAnEquivalentFile(Sample sample) throws IOException {
		for (PageEncoding encoding : PageEncoding.values()) {
			byte[] file = LtxTestSupport.encode(sample.header(), encoding, sample.pages(), sample.postApply());
			Decoded decoded = decode(file, sample.name() + " re-encoded as " + encoding);
			assertThat(decoded.header()).isEqualTo(sample.header());
			assertThat(decoded.pgnos()).containsExactlyElementsOf(sample.pages().keySet());
			assertThat(decoded.trailer().postApplyChecksum()).isEqualTo(sample.postApply());
		}
	}

	@Test
	void frameShapeIsTheReferenceWritersShape() throws IOException {
		byte[] file = LtxTestSupport.encode(LtxHeader.of(1024, 2, 2, 2, 0), PageEncoding.FRAME,
				pages(1, filled(1024, 0x91), 2, LtxTestSupport.random(1024, 1)));
		// Compressible page: magic, FLG 0x64, BD 0x40, HC 0xa7, one compressed block.
		assertThat(Arrays.copyOfRange(file, 100, 113))
			.isEqualTo(HexFormat.of().parseHex("000000010000" + "04224d186440a7"));
		int blockLength = Bytes.getIntLE(file, 113);
		assertThat(blockLength).isPositive().isLessThan(1024);
		// Incompressible page: stored raw with bit 31 set, so the frame is P + 19 bytes.
		int second = 100 + 6 + 19 + blockLength;
		assertThat(Bytes.getIntBE(file, second)).isEqualTo(2);
		assertThat(Bytes.getIntLE(file, second + 13)).isEqualTo(1024 | 0x80000000);
		assertThat(Bytes.getIntLE(file, second + 6 + 11 + 1024)).isZero();
	}

	@Test
	void rejectsALegacyLtxV1FileWithAClearError(@TempDir Path dir) throws Exception {
		// The case of the v1 file in Litestream's testdata/store (LTX-SPEC section 14.1):
		// pages 1, 7 and 8 of a ten-page database, TXID 13, written by ltx v0.3 or older.
		// Here the pages and both rolling checksums come from two real SQLite files.
		LtxV1Files.Databases databases = LtxV1Files.sqliteDatabases(dir);
		Map<Integer, byte[]> before = LtxV1Files.pages(databases.before(), 4096);
		Map<Integer, byte[]> after = LtxV1Files.pages(databases.after(), 4096);
		Map<Integer, byte[]> changed = new LinkedHashMap<>(after);
		changed.entrySet().removeIf((page) -> Arrays.equals(page.getValue(), before.get(page.getKey())));
		assertThat(after).hasSize(10);
		assertThat(changed).as("pages the UPDATE changed").containsOnlyKeys(1, 7, 8);
		long preApply = LtxTestSupport.rolling(4096, before);
		long postApply = LtxTestSupport.rolling(4096, after);
		byte[] file = LtxV1Files.write(4096, 10, 13, preApply, changed, postApply);
		assertThat(file).hasSize(12420);
		Path path = Files.write(dir.resolve(LtxFileName.format(13, 13)), file);

		// The independent decoder finds a valid v1 file whose checksums fit the
		// databases.
		assertThat(decodeWithPython(path, "--pre", databases.before().toString())).contains("layout             : v1")
			.contains("rejected v3       : parse error: invalid page header flags 0x5351")
			.contains("-- pages (3)")
			.containsPattern("computed checksum  : 0x[0-9a-f]{16}  -> MATCH")
			.contains(String.format("header PreApply 0x%016x -> MATCH", preApply))
			.contains(String.format("rolling checksum after : 0x%016x (trailer says 0x%016x) -> MATCH", postApply,
					postApply));

		try (LtxDecoder decoder = LtxTestSupport.decoder(file, path.toString())) {
			// The header alone is valid in every layout ...
			assertThat(decoder.header()).isEqualTo(new LtxHeader(0, 4096, 10, 13, 13, 0, preApply, 0, 0, 0, 0, 0));
			// ... the first page header is not: "SQ" of "SQLite format 3" lands in the
			// flags.
			assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> decoder.readPage(new byte[4096]))
				.withMessageStartingWith(path + ": ")
				.withMessageContaining("invalid page header flags 0x5351")
				.withMessageContaining("ltx v0.4 or older");
			assertThatExceptionOfType(LtxFormatException.class).isThrownBy(decoder::finish)
				.withMessageContaining(path.toString());
		}
	}

	/**
	 * The compressed blocks of a file with one LZ4 block per page, in file order.
	 */
	static List<byte[]> storedBlocks(byte[] file) {
		List<byte[]> blocks = new ArrayList<>();
		int pos = LtxHeader.SIZE;
		while (true) {
			int pgno = Bytes.getIntBE(file, pos);
			int flags = Bytes.getShortBE(file, pos + 4);
			if (pgno == 0 && flags == 0) {
				return blocks;
			}
			if (flags == 1) {
				int size = Bytes.getIntBE(file, pos + 6);
				blocks.add(Arrays.copyOfRange(file, pos + 10, pos + 10 + size));
				pos += 10 + size;
			}
			else {
				int size = Bytes.getIntLE(file, pos + 13) & 0x7FFFFFFF;
				blocks.add(Arrays.copyOfRange(file, pos + 17, pos + 17 + size));
				pos += 6 + 11 + size + 8;
			}
		}
	}

	record Sample(String name, PageEncoding encoding, int size, LtxHeader header, Map<Integer, byte[]> pages,
			long postApply, long fileChecksum) {

		Path path() {
			return LtxTestSupport.sample(this.name);
		}

		@Override
		public String toString() {
			return this.name;
		}

	}

}
