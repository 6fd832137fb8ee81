package io.github.litestream.ltx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.github.litestream.ltx.LtxTestSupport.decodeWithPython;
import static io.github.litestream.ltx.LtxTestSupport.encode;
import static io.github.litestream.ltx.LtxTestSupport.pages;
import static io.github.litestream.ltx.LtxTestSupport.random;
import static io.github.litestream.ltx.LtxTestSupport.rolling;
import static io.github.litestream.ltx.LtxTestSupport.rows;
import static io.github.litestream.ltx.LtxTestSupport.sqliteLikePage;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Has the independent Python reference decoder
 * ({@code src/test/resources/ltx/decode_ltx.py}) read files that this encoder wrote.
 */
class LtxPythonCrossCheckTests {

	@TempDir
	Path dir;

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void pythonDecoderVerifiesLitestreamStyleFile(PageEncoding encoding) throws Exception {
		LtxHeader header = LtxHeader.of(4096, 9, 7, 7, 1700000001234L).withWal(32, 3 * 4120, 0x4875a40b, 0xa38de4f5);
		Map<Integer, byte[]> pages = pages(2, sqliteLikePage(2, 4096), 4, random(4096, 4), 9, new byte[4096]);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(out, header, encoding);
		pages.forEach((pgno, data) -> write(encoder, pgno, data));
		LtxTrailer trailer = encoder.finish();
		Path file = this.dir.resolve(LtxFileName.format(7, 7));
		Files.write(file, out.toByteArray());

		String report = decodeWithPython(file);
		assertThat(report).contains("layout             : v3")
			.contains("flags              : 0x00000002 (NoChecksum)")
			.contains("min_txid / max_txid: 7 / 7")
			.contains("wal_offset/size    : 32 / 12360")
			.contains("header validation  : OK")
			.contains("-- pages (3)")
			.contains("index matches frames: True")
			.contains(String.format("file_checksum      : 0x%016x", trailer.fileChecksum()))
			.containsPattern("computed checksum  : 0x[0-9a-f]{16}  -> MATCH");
		String flags = (encoding == PageEncoding.BLOCK) ? "flags=0x0001" : "flags=0x0000";
		assertThat(report.lines().filter((line) -> line.contains(flags))).hasSize(3);
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void pythonDecoderVerifiesChecksummedSnapshotAndItsDatabaseImage(PageEncoding encoding) throws Exception {
		Map<Integer, byte[]> pages = pages(1, sqliteLikePage(1, 1024), 2, rows(1024, 2), 3, random(1024, 3));
		byte[] ltx = encode(new LtxHeader(0, 1024, 3, 1, 4, 0, 0, 0, 0, 0, 0, 0), encoding, pages,
				rolling(1024, pages));
		Path file = this.dir.resolve("snapshot.ltx");
		Files.write(file, ltx);
		Path db = this.dir.resolve("restored.db");
		String report = decodeWithPython(file, "--db", db.toString());
		assertThat(report).containsPattern("computed checksum  : 0x[0-9a-f]{16}  -> MATCH")
			.containsPattern("snapshot post-apply: computed 0x[0-9a-f]{16} -> MATCH")
			.contains("index matches frames: True");
		ByteArrayOutputStream image = new ByteArrayOutputStream();
		pages.values().forEach(image::writeBytes);
		assertThat(Files.readAllBytes(db)).isEqualTo(image.toByteArray());
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void pythonDecoderVerifiesCompactedMixedEncodingFile(PageEncoding encoding) throws Exception {
		byte[] first = encode(LtxHeader.of(512, 3, 1, 1, 0), PageEncoding.FRAME,
				pages(1, rows(512, 1), 2, rows(512, 2), 3, random(512, 3)));
		ByteArrayOutputStream mixed = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(mixed, LtxHeader.of(512, 4, 2, 2, 0), PageEncoding.BLOCK);
		encoder.writePage(2, rows(512, 22), 0, PageEncoding.FRAME);
		encoder.writePage(4, rows(512, 4), 0, PageEncoding.BLOCK);
		encoder.finish();
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxCompactor.compact(
				List.of(LtxTestSupport.decoder(first, "a"), LtxTestSupport.decoder(mixed.toByteArray(), "b")), out,
				encoding);
		Path file = this.dir.resolve("compacted.ltx");
		Files.write(file, out.toByteArray());
		assertThat(decodeWithPython(file)).contains("-- pages (4)")
			.contains("index matches frames: True")
			.containsPattern("computed checksum  : 0x[0-9a-f]{16}  -> MATCH");
	}

	private static void write(LtxEncoder encoder, int pgno, byte[] data) {
		try {
			encoder.writePage(pgno, data, 0);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
