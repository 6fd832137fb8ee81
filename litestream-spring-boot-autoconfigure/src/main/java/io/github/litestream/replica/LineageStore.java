package io.github.litestream.replica;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import io.github.litestream.core.LocalFiles;
import io.github.litestream.ltx.LtxFileName;
import org.jspecify.annotations.Nullable;

/**
 * What the meta directory knows about the history the local database continues (DESIGN
 * section 4.12), in {@code <meta>/lineage.properties}:
 * <ul>
 * <li>per replica location, its <b>head</b>: the newest file this database wrote to the
 * replica, or the newest file of the replica when the database was restored from it, with
 * the file checksum of its LTX trailer. The engine continues a replica only when the
 * replica's newest file is still exactly that file.</li>
 * <li>the <b>baseline</b> a restore left behind: the TXID the database file was restored
 * to, its size and the LTX rolling checksum of its pages. When the database file still
 * has that checksum when the engine starts, the engine numbers its next file right after
 * that TXID and ships it as a delta.</li>
 * </ul>
 * The file is replaced atomically (written to a temporary name, synced, renamed). Safe
 * for use by several threads.
 */
public final class LineageStore {

	/**
	 * Name of the lineage file in the meta directory.
	 */
	public static final String FILE_NAME = "lineage.properties";

	private static final String BASELINE = "baseline";

	private static final String HEAD_PREFIX = "head.";

	private final Path file;

	private final Map<String, Head> heads = new HashMap<>();

	private @Nullable Baseline baseline;

	private boolean loaded;

	/**
	 * Creates the store of a database's meta directory.
	 * @param metaDirectory the meta directory
	 */
	public LineageStore(Path metaDirectory) {
		this.file = metaDirectory.resolve(FILE_NAME);
	}

	/**
	 * Returns the head recorded for a replica location.
	 * @param location the replica location
	 * @return the head, or {@code null} when none is recorded
	 */
	synchronized @Nullable Head head(String location) throws IOException {
		load();
		return this.heads.get(location);
	}

	/**
	 * Returns the restore baseline, if the database was restored and nothing was cut
	 * since.
	 * @return the baseline, or {@code null}
	 * @throws IOException if the lineage file cannot be read
	 */
	public synchronized @Nullable Baseline baseline() throws IOException {
		load();
		return this.baseline;
	}

	/**
	 * Records the newest file of a replica this database continues.
	 */
	synchronized void recordHead(String location, Head head) throws IOException {
		load();
		if (head.equals(this.heads.get(location))) {
			return;
		}
		this.heads.put(location, head);
		save();
	}

	/**
	 * Forgets a replica: it no longer continues this database's history.
	 */
	synchronized void forgetHead(String location) throws IOException {
		load();
		if (this.heads.remove(location) != null) {
			save();
		}
	}

	/**
	 * Forgets the restore baseline (files were cut after it).
	 * @throws IOException if the lineage file cannot be written
	 */
	public synchronized void clearBaseline() throws IOException {
		load();
		if (this.baseline != null) {
			this.baseline = null;
			save();
		}
	}

	/**
	 * Replaces everything: the database was restored (or replaced) and continues exactly
	 * the given heads.
	 */
	public synchronized void reset(@Nullable Baseline baseline, Map<String, Head> heads) throws IOException {
		this.loaded = true;
		this.baseline = baseline;
		this.heads.clear();
		this.heads.putAll(heads);
		save();
	}

	private void load() throws IOException {
		if (this.loaded) {
			return;
		}
		Properties properties = new Properties();
		try (InputStream in = Files.newInputStream(this.file)) {
			properties.load(in);
		}
		catch (NoSuchFileException ex) {
			// Nothing recorded yet.
		}
		for (String key : properties.stringPropertyNames()) {
			String value = properties.getProperty(key);
			try {
				if (key.equals(BASELINE)) {
					this.baseline = Baseline.parse(value);
				}
				else if (key.startsWith(HEAD_PREFIX)) {
					this.heads.put(key.substring(HEAD_PREFIX.length()), Head.parse(value));
				}
			}
			catch (RuntimeException ex) {
				// An unreadable entry proves nothing: the replica starts a new history.
			}
		}
		this.loaded = true;
	}

	private void save() throws IOException {
		Properties properties = new Properties();
		if (this.baseline != null) {
			properties.setProperty(BASELINE, this.baseline.format());
		}
		this.heads.forEach((location, head) -> properties.setProperty(HEAD_PREFIX + location, head.format()));
		Path directory = this.file.getParent();
		Files.createDirectories(directory);
		Path tmp = directory.resolve(FILE_NAME + ".tmp");
		try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
				StandardOpenOption.TRUNCATE_EXISTING)) {
			OutputStream out = Channels.newOutputStream(channel);
			properties.store(out, "Lineage of this database: the replica files it continues (litestream)");
			out.flush();
			channel.force(true);
		}
		Files.move(tmp, this.file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		LocalFiles.fsyncDirectory(directory);
	}

	/**
	 * One replica file, identified by level, TXID range and the file checksum of its LTX
	 * trailer.
	 *
	 * @param level the level
	 * @param minTxid the first TXID
	 * @param maxTxid the last TXID
	 * @param fileChecksum the file checksum of the trailer
	 */
	public record Head(int level, long minTxid, long maxTxid, long fileChecksum, long postApplyChecksum) {

		/**
		 * A head whose database checksum after the file is not known (recorded by an
		 * older version): it proves the lineage only while the file itself is there.
		 */
		public Head(int level, long minTxid, long maxTxid, long fileChecksum) {
			this(level, minTxid, maxTxid, fileChecksum, 0);
		}

		static Head parse(String value) {
			String[] parts = value.split(",");
			return new Head(Integer.parseInt(parts[0]), Long.parseUnsignedLong(parts[1], 16),
					Long.parseUnsignedLong(parts[2], 16), Long.parseUnsignedLong(parts[3], 16),
					(parts.length > 4) ? Long.parseUnsignedLong(parts[4], 16) : 0);
		}

		String format() {
			return this.level + "," + LtxFileName.formatTxid(this.minTxid) + "," + LtxFileName.formatTxid(this.maxTxid)
					+ "," + Long.toHexString(this.fileChecksum) + "," + Long.toHexString(this.postApplyChecksum);
		}

		@Override
		public String toString() {
			return "level " + this.level + " " + LtxFileName.format(this.minTxid, this.maxTxid) + " (checksum "
					+ Long.toHexString(this.fileChecksum) + ")";
		}

	}

	/**
	 * The state a restore wrote into the database file.
	 *
	 * @param txid the TXID restored
	 * @param pageSize the page size
	 * @param pageCount the database size in pages
	 * @param checksum the LTX rolling checksum of every page
	 */
	public record Baseline(long txid, int pageSize, int pageCount, long checksum) {

		static Baseline parse(String value) {
			String[] parts = value.split(",");
			return new Baseline(Long.parseUnsignedLong(parts[0], 16), Integer.parseInt(parts[1]),
					Integer.parseInt(parts[2]), Long.parseUnsignedLong(parts[3], 16));
		}

		String format() {
			return LtxFileName.formatTxid(this.txid) + "," + this.pageSize + "," + this.pageCount + ","
					+ Long.toHexString(this.checksum);
		}

	}

}
