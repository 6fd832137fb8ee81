package io.github.litestream.replica;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.github.litestream.core.LocalFiles;
import io.github.litestream.ltx.LtxDecoder;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ltx.LtxHeader;
import org.jspecify.annotations.Nullable;

/**
 * The local staging area of L0 files under the meta directory,
 * {@code <meta>/ltx/0/<min>-<max>.ltx}, the layout Litestream uses. Files are written to
 * a temporary name, fsynced, renamed and the directory fsynced (DESIGN section 4.7).
 */
public final class LocalStore {

	private static final String TMP_SUFFIX = ".tmp";

	private final Path levelZero;

	/**
	 * Creates the store of a database's meta directory.
	 * @param metaDirectory the meta directory
	 */
	public LocalStore(Path metaDirectory) {
		this.levelZero = metaDirectory.resolve("ltx").resolve("0");
	}

	Path directory() {
		return this.levelZero;
	}

	/**
	 * Creates the directory and removes temporary files a crash may have left behind.
	 */
	public void open() throws IOException {
		Files.createDirectories(this.levelZero);
		try (DirectoryStream<Path> stream = Files.newDirectoryStream(this.levelZero, "*" + TMP_SUFFIX)) {
			for (Path tmp : stream) {
				Files.deleteIfExists(tmp);
			}
		}
	}

	Path path(long minTxid, long maxTxid) {
		return this.levelZero.resolve(LtxFileName.format(minTxid, maxTxid));
	}

	/**
	 * Lists the staged files in TXID order.
	 */
	public List<LtxFileName> list() throws IOException {
		List<LtxFileName> names = new ArrayList<>();
		try (DirectoryStream<Path> stream = Files.newDirectoryStream(this.levelZero)) {
			for (Path file : stream) {
				LtxFileName name = LtxFileName.parse(file.getFileName().toString());
				if (name != null) {
					names.add(name);
				}
			}
		}
		catch (NoSuchFileException ex) {
			return names;
		}
		names.sort(Comparator.comparing(LtxFileName::minTxid, Long::compareUnsigned)
			.thenComparing(LtxFileName::maxTxid, Long::compareUnsigned));
		return names;
	}

	/**
	 * Returns the newest staged file, or {@code null}.
	 */
	public @Nullable LtxFileName latest() throws IOException {
		List<LtxFileName> names = list();
		return names.isEmpty() ? null : names.get(names.size() - 1);
	}

	/**
	 * Reads and validates the header of a staged file.
	 */
	public LtxHeader readHeader(LtxFileName name) throws IOException {
		Path file = path(name.minTxid(), name.maxTxid());
		try (InputStream in = Files.newInputStream(file)) {
			byte[] header = in.readNBytes(LtxHeader.SIZE);
			return LtxHeader.decode(header);
		}
	}

	/**
	 * Fully decodes a staged file to check its checksum.
	 */
	void verify(LtxFileName name) throws IOException {
		Path file = path(name.minTxid(), name.maxTxid());
		try (LtxDecoder decoder = new LtxDecoder(Files.newInputStream(file), file.toString())) {
			decoder.finish();
		}
	}

	/**
	 * Writes a file through {@code writer}, durably and atomically.
	 * @return the final path
	 */
	public Path write(long minTxid, long maxTxid, FileWriter writer) throws IOException {
		Path target = path(minTxid, maxTxid);
		Path tmp = target.resolveSibling(target.getFileName() + TMP_SUFFIX);
		try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
				StandardOpenOption.TRUNCATE_EXISTING)) {
			// Not closed here: closing the stream would close the channel before force().
			BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
			writer.write(out);
			out.flush();
			channel.force(true);
		}
		catch (IOException | RuntimeException ex) {
			Files.deleteIfExists(tmp);
			throw ex;
		}
		Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		LocalFiles.fsyncDirectory(this.levelZero);
		return target;
	}

	/**
	 * Deletes one local file.
	 * @param name the file
	 * @throws IOException if it cannot be deleted
	 */
	public void delete(LtxFileName name) throws IOException {
		Files.deleteIfExists(path(name.minTxid(), name.maxTxid()));
	}

	/**
	 * Removes every staged file, used when the local state cannot be trusted.
	 */
	public void clear() throws IOException {
		for (LtxFileName name : list()) {
			delete(name);
		}
	}

	long sizeOf(LtxFileName name) throws IOException {
		return Files.size(path(name.minTxid(), name.maxTxid()));
	}

	/**
	 * Writes the content of one staged file.
	 */
	@FunctionalInterface
	public interface FileWriter {

		/**
		 * Writes the file; the stream must be flushed, not necessarily closed.
		 */
		void write(OutputStream out) throws IOException;

	}

}
