package io.github.litestream.ltx;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared helpers for the LTX tests: locating the test resources, building pages, encoding
 * and decoding whole files in memory.
 */
final class LtxTestSupport {

	private LtxTestSupport() {
	}

	/**
	 * A file of the LTX test resources ({@code src/test/resources/ltx}, see its
	 * README.md): the sample files and the Python cross-check tools.
	 * @param relative the path below {@code ltx/}, for example
	 * {@code samples/go052-Shrinking.ltx}
	 * @return the file on disk
	 */
	static Path resource(String relative) {
		URL url = LtxTestSupport.class.getResource("/ltx/" + relative);
		if (url == null) {
			throw new IllegalStateException("test resource ltx/" + relative + " not found on the classpath");
		}
		try {
			return Path.of(url.toURI());
		}
		catch (URISyntaxException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** A sample file of {@code src/test/resources/ltx/samples}. */
	static Path sample(String name) {
		return resource("samples/" + name);
	}

	/**
	 * Runs the independent Python decoder ({@code decode_ltx.py}) on a file and returns
	 * its report; fails unless it exits with 0 (the file checksum verified).
	 */
	static String decodeWithPython(Path file, String... options) throws IOException, InterruptedException {
		List<String> command = new ArrayList<>(
				List.of("python3", "-B", resource("decode_ltx.py").toString(), file.toString()));
		command.addAll(List.of(options));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		byte[] output = process.getInputStream().readAllBytes();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		String report = new String(output, StandardCharsets.UTF_8);
		assertThat(process.exitValue()).as(report).isZero();
		return report;
	}

	static byte[] read(Path path) {
		try {
			return Files.readAllBytes(path);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static byte[] filled(int size, int value) {
		byte[] page = new byte[size];
		Arrays.fill(page, (byte) value);
		return page;
	}

	static byte[] random(int size, long seed) {
		byte[] page = new byte[size];
		new Random(seed).nextBytes(page);
		return page;
	}

	/** A mostly empty page: the page number up front and zeros behind it. */
	static byte[] tiny(int size, int pgno) {
		byte[] page = new byte[size];
		Bytes.putIntBE(page, 0, pgno);
		return page;
	}

	/** Text that compresses well, like a page of table rows. */
	static byte[] rows(int size, int pgno) {
		StringBuilder body = new StringBuilder();
		for (int i = 0; body.length() < size; i++) {
			body.append(String.format("row %06d of page %d; ", i, pgno));
		}
		return Arrays.copyOf(body.toString().getBytes(StandardCharsets.US_ASCII), size);
	}

	/** {@code make_samples.py}'s {@code sqlite_like_page}. */
	static byte[] sqliteLikePage(int pgno, int size) {
		StringBuilder body = new StringBuilder();
		for (int i = 0; i < 120; i++) {
			body.append(String.format("row %06d of page %d; ", i, pgno));
		}
		byte[] unit = body.toString().getBytes(StandardCharsets.US_ASCII);
		byte[] page = new byte[size];
		for (int i = 0; i < size - 8; i++) {
			page[i] = unit[i % unit.length];
		}
		Bytes.putIntBE(page, size - 8, pgno);
		Bytes.putIntBE(page, size - 4, size);
		return page;
	}

	/** Pages in insertion order, keyed by page number. */
	static Map<Integer, byte[]> pages(Object... pgnoAndData) {
		Map<Integer, byte[]> pages = new LinkedHashMap<>();
		for (int i = 0; i < pgnoAndData.length; i += 2) {
			pages.put((Integer) pgnoAndData[i], (byte[]) pgnoAndData[i + 1]);
		}
		return pages;
	}

	static byte[] encode(LtxHeader header, PageEncoding encoding, Map<Integer, byte[]> pages) throws IOException {
		return encode(header, encoding, pages, 0);
	}

	static byte[] encode(LtxHeader header, PageEncoding encoding, Map<Integer, byte[]> pages, long postApply)
			throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxEncoder encoder = new LtxEncoder(out, header, encoding);
		for (Map.Entry<Integer, byte[]> page : pages.entrySet()) {
			encoder.writePage(page.getKey(), page.getValue(), 0);
		}
		encoder.finish(postApply);
		return out.toByteArray();
	}

	/** The rolling checksum of a set of pages. */
	static long rolling(int pageSize, Map<Integer, byte[]> pages) {
		long acc = LtxChecksum.FLAG;
		for (Map.Entry<Integer, byte[]> page : pages.entrySet()) {
			acc = LtxChecksum.fold(acc, LtxChecksum.pageChecksum(page.getKey(), page.getValue(), 0, pageSize));
		}
		return acc;
	}

	static LtxDecoder decoder(byte[] file, String name) throws IOException {
		return new LtxDecoder(new ByteArrayInputStream(file), name);
	}

	static Decoded decode(byte[] file, String name) throws IOException {
		try (LtxDecoder decoder = decoder(file, name)) {
			int pageSize = decoder.header().pageSize();
			List<Integer> pgnos = new ArrayList<>();
			List<byte[]> data = new ArrayList<>();
			byte[] page = new byte[pageSize];
			int pgno;
			while ((pgno = decoder.readPage(page)) != 0) {
				pgnos.add(pgno);
				data.add(page.clone());
			}
			LtxTrailer trailer = decoder.finish();
			return new Decoded(decoder.header(), pgnos, data, trailer);
		}
	}

	/**
	 * The result of decoding a whole file.
	 */
	record Decoded(LtxHeader header, List<Integer> pgnos, List<byte[]> data, LtxTrailer trailer) {

		Map<Integer, byte[]> pages() {
			Map<Integer, byte[]> pages = new LinkedHashMap<>();
			for (int i = 0; i < this.pgnos.size(); i++) {
				pages.put(this.pgnos.get(i), this.data.get(i));
			}
			return pages;
		}

	}

	/**
	 * The 26-byte LZ4 block pierrec/lz4 v4 emits for a 1024-byte page of one repeated
	 * byte (LTX-SPEC section 14.2: {@code 1f 91 0100 ffffffdc 00 0200 00 0200 b0 91x11}).
	 */
	static byte[] pierrecConstantBlock(int value) {
		byte[] block = { 0x1F, (byte) value, 0x01, 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xDC, 0x00, 0x02,
				0x00, 0x00, 0x02, 0x00, (byte) 0xB0 };
		byte[] result = Arrays.copyOf(block, 26);
		Arrays.fill(result, 15, 26, (byte) value);
		return result;
	}

	/** A compressor that emits what Go's writer emitted for the constant 1 KiB pages. */
	static BlockCompressor pierrecCompressor() {
		return (src, srcOff, srcLen, dst, dstOff, maxDstLen) -> {
			for (int i = 1; i < srcLen; i++) {
				if (src[srcOff + i] != src[srcOff] || srcLen != 1024) {
					throw new IllegalArgumentException("only constant 1024-byte pages are known");
				}
			}
			byte[] block = pierrecConstantBlock(src[srcOff]);
			System.arraycopy(block, 0, dst, dstOff, block.length);
			return block.length;
		};
	}

}
