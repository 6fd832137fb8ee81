package io.github.litestream.ltx;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.github.litestream.ltx.LtxTestSupport.Decoded;

import static io.github.litestream.ltx.LtxTestSupport.decode;
import static io.github.litestream.ltx.LtxTestSupport.encode;
import static io.github.litestream.ltx.LtxTestSupport.filled;
import static io.github.litestream.ltx.LtxTestSupport.pages;
import static io.github.litestream.ltx.LtxTestSupport.random;
import static io.github.litestream.ltx.LtxTestSupport.read;
import static io.github.litestream.ltx.LtxTestSupport.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@link LtxMerger} and {@link LtxCompactor}: the merge semantics of LTX-SPEC section 8.
 */
class LtxCompactorTests {

	private static final long FLAG = LtxChecksum.FLAG;

	private static final int P = 1024;

	// ---- the reference implementation's own compactor test cases

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void reproducesGoCompactorSnapshotCase(PageEncoding encoding) throws IOException {
		byte[] first = encode(new LtxHeader(0, P, 3, 1, 1, 1000, 0, 0, 0, 0, 0, 0), PageEncoding.FRAME,
				pages(1, filled(P, 0x81), 2, filled(P, 0x82), 3, filled(P, 0x83)), 0x8a249272ad9f7deaL);
		byte[] second = encode(new LtxHeader(0, P, 3, 2, 2, 2000, 0x8a249272ad9f7deaL, 0, 0, 0, 0, 0),
				PageEncoding.BLOCK, pages(1, filled(P, 0x91), 3, filled(P, 0x93)), 0x8a249272ad9f7deaL);
		assertCompactsToSample(encoding, "SnapshotPageDataOnly", first, second);
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void reproducesGoCompactorNonSnapshotCase(PageEncoding encoding) throws IOException {
		byte[] first = encode(new LtxHeader(0, P, 3, 2, 3, 1000, FLAG | 2, 0, 0, 0, 0, 0), PageEncoding.BLOCK,
				pages(3, filled(P, 0x83)), FLAG | 3);
		byte[] second = encode(new LtxHeader(0, P, 3, 4, 5, 2000, FLAG | 4, 0, 0, 0, 0, 0), PageEncoding.FRAME,
				pages(1, filled(P, 0x91)), FLAG | 5);
		byte[] third = encode(new LtxHeader(0, P, 5, 6, 9, 3000, FLAG | 6, 0, 0, 0, 0, 0), PageEncoding.BLOCK,
				pages(2, filled(P, 0xA2), 3, filled(P, 0xA3), 5, filled(P, 0xA5)), FLAG | 9);
		assertCompactsToSample(encoding, "NonSnapshotPageDataOnly", first, second, third);
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void reproducesGoCompactorShrinkingCase(PageEncoding encoding) throws IOException {
		byte[] first = encode(new LtxHeader(0, P, 3, 2, 3, 1000, FLAG | 2, 0, 0, 0, 0, 0), PageEncoding.FRAME,
				pages(3, filled(P, 0x83)), FLAG | 3);
		byte[] second = encode(new LtxHeader(0, P, 2, 4, 5, 2000, FLAG | 4, 0, 0, 0, 0, 0), PageEncoding.FRAME,
				pages(1, filled(P, 0x91)), FLAG | 5);
		assertCompactsToSample(encoding, "Shrinking", first, second);
	}

	private static void assertCompactsToSample(PageEncoding encoding, String name, byte[]... inputs)
			throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxCompactor.compact(decoders(inputs), out, encoding, 0, LtxTestSupport.pierrecCompressor());
		String sample = ((encoding == PageEncoding.FRAME) ? "go051-" : "go052-") + name + ".ltx";
		assertThat(out.toByteArray()).isEqualTo(read(LtxTestSupport.sample(sample)));
	}

	// ---- Litestream-style (NoChecksum) compaction

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void newestInputWinsAndHeaderFollowsTheReference(PageEncoding encoding) throws IOException {
		byte[] snapshot = encode(LtxHeader.of(P, 3, 1, 1, 1000).withWal(32, 100, 1, 2), PageEncoding.FRAME,
				pages(1, rows(P, 1), 2, rows(P, 2), 3, rows(P, 3)));
		byte[] l0a = encode(LtxHeader.of(P, 4, 2, 2, 2000).withWal(132, 100, 1, 2), PageEncoding.BLOCK,
				pages(2, rows(P, 20), 4, rows(P, 40)));
		byte[] l0b = encode(LtxHeader.of(P, 5, 3, 3, 3000).withWal(232, 100, 1, 2), PageEncoding.FRAME,
				pages(2, rows(P, 21), 5, rows(P, 50)));
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxHeader header = LtxCompactor.compact(decoders(snapshot, l0a, l0b), out, encoding);
		assertThat(header).isEqualTo(LtxHeader.of(P, 5, 1, 3, 3000));
		Decoded merged = decode(out.toByteArray(), "merged");
		assertThat(merged.header()).isEqualTo(header);
		assertThat(merged.pgnos()).containsExactly(1, 2, 3, 4, 5);
		assertThat(merged.pages().get(1)).isEqualTo(rows(P, 1));
		assertThat(merged.pages().get(2)).isEqualTo(rows(P, 21));
		assertThat(merged.pages().get(3)).isEqualTo(rows(P, 3));
		assertThat(merged.pages().get(4)).isEqualTo(rows(P, 40));
		assertThat(merged.pages().get(5)).isEqualTo(rows(P, 50));
		assertThat(merged.trailer().postApplyChecksum()).isZero();
		assertThat(Bytes.getShortBE(out.toByteArray(), 104)).isEqualTo((encoding == PageEncoding.BLOCK) ? 1 : 0);
	}

	@Test
	void shrinkingDatabaseDropsPagesBeyondTheNewCommit() throws IOException {
		byte[] grown = encode(LtxHeader.of(P, 6, 2, 2, 0), PageEncoding.BLOCK,
				pages(1, rows(P, 1), 4, rows(P, 4), 5, rows(P, 5), 6, rows(P, 6)));
		byte[] shrunk = encode(LtxHeader.of(P, 4, 3, 3, 0), PageEncoding.FRAME, pages(2, rows(P, 2)));
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxCompactor.compact(decoders(grown, shrunk), out, PageEncoding.FRAME);
		Decoded merged = decode(out.toByteArray(), "merged");
		assertThat(merged.header().commit()).isEqualTo(4);
		assertThat(merged.pgnos()).containsExactly(1, 2, 4);
	}

	@Test
	void checksummedInputsGiveAValidNoChecksumOutput() throws IOException {
		// The reference copies the first pre-apply checksum into a NoChecksum header and
		// fails validation; a NoChecksum file has no use for it, so it is dropped.
		byte[] first = encode(new LtxHeader(0, P, 3, 2, 3, 1000, FLAG | 2, 0, 0, 0, 0, 0), PageEncoding.BLOCK,
				pages(3, filled(P, 0x83)), FLAG | 3);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		LtxHeader header = LtxCompactor.compact(decoders(first), out, PageEncoding.FRAME);
		assertThat(header.preApplyChecksum()).isZero();
		assertThat(decode(out.toByteArray(), "merged").trailer().postApplyChecksum()).isZero();
	}

	@Test
	void rejectsNonContiguousInputsNamingBothFiles() throws IOException {
		byte[] first = encode(LtxHeader.of(P, 1, 1, 2, 0), PageEncoding.BLOCK, pages(1, rows(P, 1)));
		byte[] gap = encode(LtxHeader.of(P, 1, 4, 4, 0), PageEncoding.BLOCK, pages(1, rows(P, 1)));
		byte[] nothingNew = encode(LtxHeader.of(P, 1, 2, 2, 0), PageEncoding.BLOCK, pages(1, rows(P, 1)));
		AtomicInteger closed = new AtomicInteger();
		List<LtxDecoder> inputs = List.of(closeCounting(first, "a.ltx", closed), closeCounting(gap, "b.ltx", closed));
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> new LtxMerger(inputs))
			.withMessage("cannot merge a.ltx (TXIDs 0000000000000001..0000000000000002) with b.ltx (TXIDs "
					+ "0000000000000004..0000000000000004): the second must start no later than 0000000000000003 "
					+ "and end after 0000000000000002");
		assertThat(closed).hasValue(2);
		assertThatExceptionOfType(LtxFormatException.class)
			.isThrownBy(() -> LtxCompactor.compact(
					List.of(LtxTestSupport.decoder(first, "a.ltx"), LtxTestSupport.decoder(nothingNew, "c.ltx")),
					new ByteArrayOutputStream(), PageEncoding.FRAME))
			.withMessageContaining("a.ltx")
			.withMessageContaining("c.ltx");
	}

	@Test
	void acceptsOverlappingInputs() throws IOException {
		byte[] l1 = encode(LtxHeader.of(P, 2, 2, 5, 0), PageEncoding.BLOCK, pages(1, rows(P, 1), 2, rows(P, 2)));
		byte[] l0 = encode(LtxHeader.of(P, 2, 4, 6, 0), PageEncoding.FRAME, pages(2, rows(P, 22)));
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		assertThat(LtxCompactor.compact(decoders(l1, l0), out, PageEncoding.FRAME).maxTxid()).isEqualTo(6);
		assertThat(decode(out.toByteArray(), "merged").pages().get(2)).isEqualTo(rows(P, 22));
	}

	@Test
	void rejectsDifferentPageSizesNamingBothFiles() throws IOException {
		byte[] small = encode(LtxHeader.of(512, 1, 2, 2, 0), PageEncoding.BLOCK, pages(1, rows(512, 1)));
		byte[] large = encode(LtxHeader.of(P, 1, 3, 3, 0), PageEncoding.BLOCK, pages(1, rows(P, 1)));
		assertThatExceptionOfType(LtxFormatException.class)
			.isThrownBy(() -> new LtxMerger(
					List.of(LtxTestSupport.decoder(small, "a.ltx"), LtxTestSupport.decoder(large, "b.ltx"))))
			.withMessage("cannot merge a.ltx (page size 512) with b.ltx (page size 1024): page sizes differ");
	}

	@Test
	void rejectsAnIncompleteSnapshotOutput() throws IOException {
		byte[] snapshot = encode(LtxHeader.of(P, 1, 1, 1, 0), PageEncoding.BLOCK, pages(1, rows(P, 1)));
		// Grows the database without carrying the new pages (Litestream always carries
		// them).
		byte[] growth = encode(LtxHeader.of(P, 3, 2, 2, 0), PageEncoding.BLOCK, pages(3, rows(P, 3)));
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		assertThatExceptionOfType(LtxFormatException.class)
			.isThrownBy(() -> LtxCompactor.compact(
					List.of(LtxTestSupport.decoder(snapshot, "a.ltx"), LtxTestSupport.decoder(growth, "b.ltx")), out,
					PageEncoding.FRAME))
			.withMessageContaining("cannot merge a.ltx .. b.ltx: snapshot pages must be consecutive");
	}

	@ParameterizedTest
	@EnumSource(PageEncoding.class)
	void corruptInputNeverYieldsAValidLookingOutput(PageEncoding encoding) throws IOException {
		byte[] first = encode(LtxHeader.of(P, 3, 2, 2, 0), PageEncoding.BLOCK, pages(1, rows(P, 1)));
		byte[] second = encode(LtxHeader.of(P, 3, 3, 3, 0), PageEncoding.FRAME, pages(2, rows(P, 2), 3, rows(P, 3)));
		// Only the page index is damaged: every page still decodes, so only the final
		// verification can notice.
		byte[] corrupt = second.clone();
		corrupt[corrupt.length - 16 - 8 - 3] ^= 1;
		AtomicInteger closed = new AtomicInteger();
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> LtxCompactor.compact(
				List.of(closeCounting(first, "a.ltx", closed), closeCounting(corrupt, "b.ltx", closed)), out, encoding))
			.withMessageStartingWith("b.ltx: page index");
		assertThat(closed).hasValue(2);
		assertThat(out.size()).isPositive();
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> decode(out.toByteArray(), "output"))
			.withMessageContaining("truncated");
	}

	@Test
	void verifiesPagesThatTheMergeDrops() throws IOException {
		byte[] grown = encode(LtxHeader.of(P, 3, 2, 2, 0), PageEncoding.BLOCK, pages(1, rows(P, 1), 3, rows(P, 3)));
		byte[] shrunk = encode(LtxHeader.of(P, 1, 3, 3, 0), PageEncoding.BLOCK, pages(1, rows(P, 11)));
		int lastPageData = grown.length - 16 - 8 - 10;
		byte[] corrupt = grown.clone();
		corrupt[lastPageData - 20] ^= 1;
		assertThatExceptionOfType(LtxFormatException.class).isThrownBy(() -> LtxCompactor.compact(
				List.of(LtxTestSupport.decoder(corrupt, "a.ltx"), LtxTestSupport.decoder(shrunk, "b.ltx")),
				new ByteArrayOutputStream(), PageEncoding.FRAME))
			.withMessageStartingWith("a.ltx: ");
	}

	@Test
	void mergesManyRandomInputsLikeAMapReplay() throws IOException {
		Random random = new Random(2024);
		for (int round = 0; round < 5; round++) {
			int pageSize = 512;
			TreeMap<Integer, byte[]> model = new TreeMap<>();
			List<byte[]> files = new ArrayList<>();
			int commit = 1 + random.nextInt(40);
			Map<Integer, byte[]> snapshot = new TreeMap<>();
			for (int pgno = 1; pgno <= commit; pgno++) {
				snapshot.put(pgno, random(pageSize, random.nextLong()));
			}
			files.add(encode(LtxHeader.of(pageSize, commit, 1, 1, 0),
					random.nextBoolean() ? PageEncoding.FRAME : PageEncoding.BLOCK, snapshot));
			model.putAll(snapshot);
			long txid = 1;
			int inputs = 2 + random.nextInt(40);
			for (int i = 1; i < inputs; i++) {
				int newCommit = Math.max(1, commit + random.nextInt(11) - 4);
				Map<Integer, byte[]> pages = new TreeMap<>();
				for (int pgno = commit + 1; pgno <= newCommit; pgno++) {
					pages.put(pgno, random(pageSize, random.nextLong()));
				}
				for (int k = random.nextInt(6); k > 0; k--) {
					pages.put(1 + random.nextInt(newCommit), random(pageSize, random.nextLong()));
				}
				long min = txid + 1;
				txid += 1 + random.nextInt(3);
				files.add(encode(LtxHeader.of(pageSize, newCommit, min, txid, i), PageEncoding.BLOCK, pages));
				model.putAll(pages);
				model.tailMap(newCommit, false).clear();
				commit = newCommit;
			}
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			LtxHeader header = LtxCompactor.compact(decoders(files.toArray(byte[][]::new)), out, PageEncoding.FRAME);
			assertThat(header.minTxid()).isEqualTo(1);
			assertThat(header.maxTxid()).isEqualTo(txid);
			assertThat(header.commit()).isEqualTo(commit);
			Decoded merged = decode(out.toByteArray(), "merged");
			assertThat(merged.pgnos()).containsExactlyElementsOf(model.keySet());
			model.forEach((pgno, data) -> assertThat(merged.pages().get(pgno)).as("page %d", pgno).isEqualTo(data));
		}
	}

	// ---- merger API

	@Test
	void mergerStreamsPagesAndVerifiesOnFinish() throws IOException {
		byte[] only = encode(LtxHeader.of(P, 9, 5, 5, 0), PageEncoding.BLOCK, pages(2, rows(P, 2), 9, rows(P, 9)));
		try (LtxMerger merger = new LtxMerger(decoders(only))) {
			assertThatIllegalStateException().isThrownBy(merger::postApplyChecksum);
			assertThatIllegalArgumentException().isThrownBy(() -> merger.nextPage(new byte[P - 1]));
			byte[] page = new byte[P];
			assertThat(merger.nextPage(page)).isEqualTo(2);
			assertThat(page).isEqualTo(rows(P, 2));
			assertThat(merger.nextPage(page)).isEqualTo(9);
			assertThat(merger.nextPage(page)).isZero();
			assertThat(merger.nextPage(page)).isZero();
			merger.finish();
			merger.finish();
			assertThat(merger.postApplyChecksum()).isZero();
		}
	}

	@Test
	void mergerRequiresAnInput() {
		assertThatIllegalArgumentException().isThrownBy(() -> new LtxMerger(List.of()))
			.withMessageContaining("at least one");
	}

	@Test
	void isContiguousFollowsTheReference() {
		assertThat(LtxMerger.isContiguous(5, 6, 6)).isTrue();
		assertThat(LtxMerger.isContiguous(5, 3, 7)).isTrue();
		assertThat(LtxMerger.isContiguous(5, 7, 8)).isFalse();
		assertThat(LtxMerger.isContiguous(5, 3, 5)).isFalse();
		assertThat(LtxMerger.isContiguous(5, 1, 4)).isFalse();
		// Unsigned: 0x8000000000000000 follows 0x7fffffffffffffff.
		assertThat(LtxMerger.isContiguous(Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE)).isTrue();
	}

	private static List<LtxDecoder> decoders(byte[]... files) throws IOException {
		List<LtxDecoder> decoders = new ArrayList<>();
		for (int i = 0; i < files.length; i++) {
			decoders.add(LtxTestSupport.decoder(files[i], "input-" + i + ".ltx"));
		}
		return decoders;
	}

	private static LtxDecoder closeCounting(byte[] file, String name, AtomicInteger closed) throws IOException {
		return new LtxDecoder(new ByteArrayInputStream(Arrays.copyOf(file, file.length)) {

			@Override
			public void close() {
				closed.incrementAndGet();
			}

		}, name);
	}

}
