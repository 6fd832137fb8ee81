package io.github.litestream.ltx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test support: writes LTX files in the legacy v1 layout (ltx v0.3 and older, which
 * LiteFS used; LTX-SPEC section 11) and the real SQLite databases such a file applies to.
 * <p>
 * A v1 file has the same 100-byte header as v3, then each page as a 4-byte page number
 * and the raw page (no page flags, no compression), a 4-byte end marker, no page index,
 * and the 16-byte trailer: PostApplyChecksum and
 * {@code FileChecksum = FLAG | CRC64(every byte before it)}. The bytes are laid out here
 * field by field from the spec, not with {@link LtxEncoder}, so the decoder does not just
 * read back what our own encoder wrote; {@code decode_ltx.py} checks the result
 * independently.
 */
final class LtxV1Files {

	private LtxV1Files() {
	}

	/**
	 * The size of a v1 file with uncompressed pages.
	 * @param pageSize the page size
	 * @param pageCount the number of pages in the file
	 * @return header, page headers and pages, end marker and trailer
	 */
	static int size(int pageSize, int pageCount) {
		return LtxHeader.SIZE + pageCount * (4 + pageSize) + 4 + 16;
	}

	/**
	 * Writes a v1 file with a zero timestamp and no WAL fields, as the legacy store files
	 * have.
	 * @param pageSize the page size
	 * @param commit the database size in pages after the file is applied
	 * @param txid the transaction ID (min and max)
	 * @param preApply the rolling checksum of the database before
	 * @param pages the pages in file order
	 * @param postApply the rolling checksum of the database after
	 * @return the file
	 */
	static byte[] write(int pageSize, int commit, long txid, long preApply, Map<Integer, byte[]> pages,
			long postApply) {
		byte[] file = new byte[size(pageSize, pages.size())];
		file[0] = 'L';
		file[1] = 'T';
		file[2] = 'X';
		file[3] = '1';
		// 4: flags 0 (no CompressLZ4)
		putBe32(file, 8, pageSize);
		putBe32(file, 12, commit);
		putBe64(file, 16, txid);
		putBe64(file, 24, txid);
		// 32: timestamp 0
		putBe64(file, 40, preApply);
		// 48..99: WAL offset and size, salts, node ID, reserved: all 0
		int pos = LtxHeader.SIZE;
		for (Map.Entry<Integer, byte[]> page : pages.entrySet()) {
			putBe32(file, pos, page.getKey());
			System.arraycopy(page.getValue(), 0, file, pos + 4, pageSize);
			pos += 4 + pageSize;
		}
		pos += 4;
		putBe64(file, pos, postApply);
		putBe64(file, pos + 8, LtxChecksum.FLAG | Crc64.update(0, file, 0, pos + 8));
		return file;
	}

	/**
	 * Creates two states of one real SQLite database (rollback journal, 4096-byte pages,
	 * ten pages): {@code before.db}, and {@code after.db} where one transaction changed
	 * two table pages (and page 1, whose change counter every commit bumps).
	 * @param dir where to create the files
	 * @return the two files
	 * @throws SQLException if SQLite fails
	 * @throws IOException if a copy fails
	 */
	static Databases sqliteDatabases(Path dir) throws SQLException, IOException {
		Path before = dir.resolve("before.db");
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + before);
				Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA page_size=4096");
			statement.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB)");
			// A row of 3000 bytes fills a leaf page of its own: page 1 (schema), page 2
			// (root), and one leaf page per row.
			statement.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8) "
					+ "INSERT INTO t SELECT i, randomblob(3000) FROM n");
		}
		Path after = Files.copy(before, dir.resolve("after.db"));
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + after);
				Statement statement = connection.createStatement()) {
			statement.execute("UPDATE t SET body = randomblob(3000) WHERE id IN (5, 6)");
		}
		return new Databases(before, after);
	}

	/**
	 * The pages of a database file, keyed by page number in ascending order.
	 * @param file the database file
	 * @param pageSize its page size
	 * @return every page
	 * @throws IOException if the file cannot be read
	 */
	static Map<Integer, byte[]> pages(Path file, int pageSize) throws IOException {
		byte[] bytes = Files.readAllBytes(file);
		Map<Integer, byte[]> pages = new LinkedHashMap<>();
		for (int i = 0; i < bytes.length / pageSize; i++) {
			pages.put(i + 1, Arrays.copyOfRange(bytes, i * pageSize, (i + 1) * pageSize));
		}
		return pages;
	}

	private static void putBe32(byte[] b, int off, int v) {
		for (int i = 0; i < 4; i++) {
			b[off + i] = (byte) (v >>> (24 - 8 * i));
		}
	}

	private static void putBe64(byte[] b, int off, long v) {
		for (int i = 0; i < 8; i++) {
			b[off + i] = (byte) (v >>> (56 - 8 * i));
		}
	}

	/**
	 * A database before and after one transaction.
	 *
	 * @param before the file before
	 * @param after the file after
	 */
	record Databases(Path before, Path after) {

	}

}
