package io.github.litestream.wal;

import java.io.IOException;
import java.nio.file.Path;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when a file is not a SQLite WAL this reader understands: a wrong magic number, a
 * format version other than 3007000, an impossible page size, or a checksummed frame that
 * no SQLite could have written. A torn or missing header is <em>not</em> reported this
 * way: it means "no WAL yet" and readers return an empty result instead.
 */
public class WalFormatException extends IOException {

	private static final long serialVersionUID = 1L;

	private final @Nullable Path file;

	/**
	 * Creates an exception for a WAL file.
	 * @param file the WAL file, or {@code null} when only a channel was known
	 * @param reason what is wrong, for example
	 * {@code "invalid wal header magic 0x12345678"}
	 */
	public WalFormatException(@Nullable Path file, String reason) {
		super(describe(file) + ": " + reason);
		this.file = file;
	}

	/**
	 * Returns the WAL file the error is about.
	 * @return the file, or {@code null} when only a channel was known
	 */
	public @Nullable Path getFile() {
		return this.file;
	}

	static String describe(@Nullable Path file) {
		return (file != null) ? "WAL file '" + file + "'" : "WAL file";
	}

}
