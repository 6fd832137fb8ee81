package io.github.litestream.ltx;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Merges LTX files into one (LTX-SPEC section 8): the compaction step of the replication
 * levels, and the first half of a restore.
 */
public final class LtxCompactor {

	private LtxCompactor() {
	}

	/**
	 * Merges the inputs into one file with {@link LtxHeader#FLAG_NO_CHECKSUM}, as
	 * Litestream does.
	 * @param inputs decoders of the files to merge, oldest first; all are closed on
	 * return
	 * @param out where the merged file goes; not closed or flushed
	 * @param encoding how the merged file stores its pages
	 * @return the header of the merged file
	 * @throws LtxFormatException if an input is invalid or corrupt, or the inputs cannot
	 * be merged; the output then has no trailer, so it can never pass for a valid file
	 * @throws IOException if a stream fails
	 */
	public static LtxHeader compact(List<LtxDecoder> inputs, OutputStream out, PageEncoding encoding)
			throws IOException {
		return compact(inputs, out, encoding, LtxHeader.FLAG_NO_CHECKSUM);
	}

	/**
	 * Merges the inputs into one file with the given header flags; {@code 0} keeps the
	 * rolling checksums as the reference compactor does (first input's pre-apply, last
	 * input's post-apply).
	 * @param inputs decoders of the files to merge, oldest first; all are closed on
	 * return
	 * @param out where the merged file goes; not closed or flushed
	 * @param encoding how the merged file stores its pages
	 * @param headerFlags {@link LtxHeader#FLAG_NO_CHECKSUM} or {@code 0}
	 * @return the header of the merged file
	 * @throws LtxFormatException if an input is invalid or corrupt, or the inputs cannot
	 * be merged; the output then has no trailer, so it can never pass for a valid file
	 * @throws IOException if a stream fails
	 */
	public static LtxHeader compact(List<LtxDecoder> inputs, OutputStream out, PageEncoding encoding, int headerFlags)
			throws IOException {
		return compact(inputs, out, encoding, headerFlags, Lz4.COMPRESSOR::compress);
	}

	static LtxHeader compact(List<LtxDecoder> inputs, OutputStream out, PageEncoding encoding, int headerFlags,
			BlockCompressor compressor) throws IOException {
		try (LtxMerger merger = new LtxMerger(inputs, headerFlags)) {
			LtxHeader header = merger.header();
			LtxEncoder encoder = new LtxEncoder(out, header, encoding, compressor);
			byte[] page = new byte[header.pageSize()];
			int pgno;
			while ((pgno = merger.nextPage(page)) != 0) {
				writePage(encoder, pgno, page, inputs);
			}
			// Verify every input before the trailer exists: a corrupt input must leave an
			// output that no reader accepts.
			merger.finish();
			try {
				encoder.finish(merger.postApplyChecksum());
			}
			catch (LtxFormatException ex) {
				throw outputError(ex, inputs);
			}
			return header;
		}
	}

	private static void writePage(LtxEncoder encoder, int pgno, byte[] page, List<LtxDecoder> inputs)
			throws IOException {
		try {
			encoder.writePage(pgno, page, 0);
		}
		catch (LtxFormatException ex) {
			// The inputs are individually valid but do not add up, for example a snapshot
			// followed by a file that grows the database without carrying the new pages.
			throw outputError(ex, inputs);
		}
	}

	private static LtxFormatException outputError(LtxFormatException ex, List<LtxDecoder> inputs) {
		return new LtxFormatException("cannot merge " + inputs.get(0).sourceName() + " .. "
				+ inputs.get(inputs.size() - 1).sourceName() + ": " + ex.getMessage(), ex);
	}

}
