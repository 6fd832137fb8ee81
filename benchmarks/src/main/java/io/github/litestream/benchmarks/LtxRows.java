package io.github.litestream.benchmarks;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import io.github.litestream.ltx.LtxDecoder;

/**
 * Finds the highest benchmark row id in an LTX file, by decoding its pages and reading
 * the row ids of the table b-tree leaf cells they hold.
 * <p>
 * Benchmark rows carry ids from {@link Workload#ROW_BASE} up, so they cannot be confused
 * with rows of Litestream's or the engine's bookkeeping tables. Rows are appended in id
 * order and every insert rewrites the leaf page that receives the row, so the highest row
 * id found in a file that covers TXIDs up to t is the last row committed by t.
 */
final class LtxRows {

	private LtxRows() {
	}

	/**
	 * Decodes a file fully (checksum included).
	 * @param file an LTX file
	 * @return the highest benchmark row id, or -1 if it holds none
	 * @throws IOException if it cannot be read or is incomplete
	 */
	static long maxRowId(Path file) throws IOException {
		try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
			return maxRowId(in, file.toString());
		}
	}

	static long maxRowId(InputStream in, String name) throws IOException {
		try (LtxDecoder decoder = new LtxDecoder(in, name)) {
			int pageSize = decoder.header().pageSize();
			byte[] page = new byte[pageSize];
			long max = -1;
			int pgno;
			while ((pgno = decoder.readPage(page)) != 0) {
				max = Math.max(max, maxRowIdOfPage(page, pageSize, pgno == 1 ? 100 : 0));
			}
			decoder.finish();
			return max;
		}
	}

	private static long maxRowIdOfPage(byte[] page, int pageSize, int offset) {
		if ((page[offset] & 0xff) != 0x0d) {
			return -1;
		}
		int cells = ((page[offset + 3] & 0xff) << 8) | (page[offset + 4] & 0xff);
		long max = -1;
		for (int i = 0; i < cells; i++) {
			int ptrAt = offset + 8 + 2 * i;
			if (ptrAt + 1 >= pageSize) {
				break;
			}
			int cell = ((page[ptrAt] & 0xff) << 8) | (page[ptrAt + 1] & 0xff);
			if (cell <= 0 || cell >= pageSize) {
				continue;
			}
			long[] payload = varint(page, cell);
			long[] rowid = varint(page, cell + (int) payload[1]);
			if (rowid[0] >= Workload.ROW_BASE) {
				max = Math.max(max, rowid[0]);
			}
		}
		return max;
	}

	/** SQLite varint: {value, length}. */
	private static long[] varint(byte[] b, int at) {
		long value = 0;
		for (int i = 0; i < 8; i++) {
			if (at + i >= b.length) {
				return new long[] { value, i };
			}
			int c = b[at + i] & 0xff;
			value = (value << 7) | (c & 0x7f);
			if ((c & 0x80) == 0) {
				return new long[] { value, i + 1 };
			}
		}
		if (at + 8 < b.length) {
			value = (value << 8) | (b[at + 8] & 0xff);
		}
		return new long[] { value, 9 };
	}

}
