package io.github.litestream.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The storage SPI: reads and writes the LTX files of one replica location, laid out as
 * Litestream v0.5 lays them out so that either tool restores the other's backups.
 * <p>
 * A replica holds LTX files in levels {@value LtxFileInfo#MIN_LEVEL} to
 * {@value LtxFileInfo#MAX_LEVEL}; level {@value LtxFileInfo#SNAPSHOT_LEVEL} holds
 * snapshots. A file is identified by its level and TXID range and is named
 * {@code %016x-%016x.ltx} (see {@link io.github.litestream.ltx.LtxFileName}). TXIDs are
 * unsigned 64-bit values and are compared with {@link Long#compareUnsigned(long, long)}.
 *
 * <h2>Consistency</h2>
 * <ul>
 * <li>Writes are atomic: a reader (this client or any other on the same location, in this
 * process or another) sees either no file, the previous complete file of that name, or
 * the new complete file; never a partial one, whatever happens to the writer.</li>
 * <li>Once {@link #writeFile} or {@link #deleteFiles} returns, {@link #listFiles} and
 * {@link #openFile} reflect it (read-after-write).</li>
 * <li>Implementations are safe for use by several threads at once. Concurrent writes of
 * different files are supported; of the same file, one complete version wins.</li>
 * </ul>
 *
 * <h2>Error contract</h2>
 * <ul>
 * <li><b>Bad arguments</b> are programming errors, reported before any I/O: a level
 * outside {@value LtxFileInfo#MIN_LEVEL}..{@value LtxFileInfo#MAX_LEVEL} or a
 * {@code minTxid} above {@code maxTxid} throws {@link IllegalArgumentException}, a
 * {@code null} argument {@link NullPointerException}.</li>
 * <li><b>Absence is not a failure</b>: listing a level or a replica that does not exist
 * yet returns an empty list, deleting a file that does not exist succeeds. The only
 * exceptions are {@link #openFile} and {@link #download}, which throw
 * {@link NoSuchFileException} whose message is the full location of the missing file, so
 * that a restore fails loudly and says which file is gone.</li>
 * <li><b>Every other failure of the replica</b> is a {@link ReplicaException} whose
 * message names the location and what to do, and whose
 * {@link ReplicaException#retryable() retryable()} tells the engine whether backing off
 * and calling again can succeed ({@code true}: network errors, timeouts, throttling,
 * server errors, a full disk) or whether someone must act first ({@code false}: access
 * denied, a missing bucket, a replica path that is not a directory, invalid
 * configuration).</li>
 * <li><b>The caller's stream</b>: an {@link IOException} thrown by the {@code data}
 * stream given to {@link #writeFile} propagates unchanged or as the cause of the thrown
 * exception; it says nothing about the replica.</li>
 * <li><b>Anything else</b>: an {@link IOException} that is neither a
 * {@link ReplicaException} nor the {@link NoSuchFileException} of {@link #openFile} (for
 * example one thrown while reading the stream {@link #openFile} returned) is to be
 * treated as retryable.</li>
 * <li><b>Failed writes leave nothing half-done</b>: after {@link #writeFile} fails, the
 * replica holds the previous file of that name, none, or (when the failure came after the
 * file was stored, such as a lost response) the new complete file, so retrying a write is
 * always safe. Leftovers a crash may leave behind (temporary files, unfinished uploads)
 * are never listed.</li>
 * <li><b>Interrupts</b>: an operation on an interrupted thread may fail with an
 * {@link IOException} (for example {@link java.nio.channels.ClosedByInterruptException});
 * the interrupt status stays set.</li>
 * </ul>
 * Implementations never put credentials in {@link #location()}, messages or
 * {@link Object#toString()}.
 */
public interface ReplicaClient extends AutoCloseable {

	/**
	 * Returns the type of this backend, as in the replica URL scheme.
	 * @return for example {@code "file"} or {@code "s3"}
	 */
	String type();

	/**
	 * Returns where this replica lives, for messages, logs and the actuator endpoint.
	 * @return for example {@code "file:///backup/app-db"} or
	 * {@code "s3://bucket/app-db"}; never contains credentials
	 */
	String location();

	/**
	 * Lists the files of one level whose {@code minTxid} is at least the given value.
	 * Names that are not LTX file names (temporary files, other objects) are ignored.
	 * @param level the level, {@value LtxFileInfo#MIN_LEVEL} to
	 * {@value LtxFileInfo#MAX_LEVEL}
	 * @param minTxidAtLeast the lowest {@code minTxid} to return (unsigned); {@code 0}
	 * for all
	 * @return the files, ascending by {@code minTxid} then {@code maxTxid} (see
	 * {@link LtxFileInfo#txidOrder()}); empty when the level does not exist
	 * @throws ReplicaException if the replica cannot be listed
	 * @throws IOException as described in the error contract
	 */
	List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException;

	/**
	 * Lists every file of one level.
	 * @param level the level, {@value LtxFileInfo#MIN_LEVEL} to
	 * {@value LtxFileInfo#MAX_LEVEL}
	 * @return the files, ascending by {@code minTxid} then {@code maxTxid}; empty when
	 * the level does not exist
	 * @throws IOException as described in the error contract
	 * @see #listFiles(int, long)
	 */
	default List<LtxFileInfo> listFiles(int level) throws IOException {
		return listFiles(level, 0);
	}

	/**
	 * Opens one file for reading. The caller must close the stream; it is not buffered.
	 * @param level the level
	 * @param minTxid the first transaction ID of the file
	 * @param maxTxid the last transaction ID of the file
	 * @return the content of the file
	 * @throws NoSuchFileException if the file does not exist; the message is its full
	 * location
	 * @throws ReplicaException if the file cannot be opened
	 * @throws IOException as described in the error contract
	 */
	InputStream openFile(int level, long minTxid, long maxTxid) throws IOException;

	/**
	 * Whether {@link #openFile} reads a file of the local file system, so that a restore
	 * reads the files in place instead of downloading copies first. {@code false} by
	 * default.
	 * @return whether files are local
	 */
	default boolean isLocal() {
		return false;
	}

	/**
	 * Copies one file to a new local file, replacing any file at {@code target}. Memory
	 * stays bounded whatever the file size. Backends that can fetch parts of a file
	 * concurrently override this to download large files faster (S3 fetches byte ranges
	 * in parallel); by default the stream of {@link #openFile} is copied.
	 * <p>
	 * The error contract is that of {@link #openFile}; in addition, when this method
	 * fails, nothing is left at {@code target} (a partial file would otherwise be taken
	 * for a complete one by whoever reads it next).
	 * @param level the level
	 * @param minTxid the first transaction ID of the file
	 * @param maxTxid the last transaction ID of the file
	 * @param target the local file to write; its directory must exist
	 * @throws NoSuchFileException if the replica file does not exist; the message is its
	 * full location
	 * @throws ReplicaException if the file cannot be read from the replica
	 * @throws IOException as described in the error contract, including failures to write
	 * {@code target}
	 */
	default void download(int level, long minTxid, long maxTxid, Path target) throws IOException {
		// Bad arguments fail before the target is touched, as before any I/O
		LtxFileInfo.checkLevel(level);
		LtxFileInfo.checkTxidRange(minTxid, maxTxid);
		Objects.requireNonNull(target, "target");
		try (InputStream in = openFile(level, minTxid, maxTxid)) {
			Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
		}
		catch (IOException | RuntimeException | Error ex) {
			try {
				Files.deleteIfExists(target);
			}
			catch (IOException cleanup) {
				ex.addSuppressed(cleanup);
			}
			throw ex;
		}
	}

	/**
	 * Writes one file, replacing any file of the same name, atomically: until this method
	 * returns successfully, readers see the previous file or none. {@code data} is read
	 * to its end in bounded memory, whatever its size, and is not closed.
	 * @param level the level
	 * @param minTxid the first transaction ID of the file
	 * @param maxTxid the last transaction ID of the file
	 * @param timestamp the LTX header timestamp, recorded as the file's
	 * {@link LtxFileInfo#createdAt() createdAt} with millisecond precision
	 * @param data the content of the file
	 * @return the written file, with its size and {@code createdAt} equal to
	 * {@code timestamp} truncated to milliseconds
	 * @throws ReplicaException if the replica cannot store the file
	 * @throws IOException as described in the error contract, including failures of
	 * {@code data}
	 */
	LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException;

	/**
	 * Deletes the given files. Files that do not exist are skipped; only the level and
	 * TXID range of each info are used.
	 * @param files the files to delete
	 * @throws ReplicaException if a file cannot be deleted; some of the others may have
	 * been deleted
	 * @throws IOException as described in the error contract
	 */
	void deleteFiles(Collection<LtxFileInfo> files) throws IOException;

	/**
	 * Deletes every LTX file of this replica, in every level, and the directories (or
	 * prefixes) that become empty. Not meant to run concurrently with writes.
	 * @throws ReplicaException if the replica cannot be cleared
	 * @throws IOException as described in the error contract
	 */
	void deleteAll() throws IOException;

	/**
	 * Releases resources this client owns (connections, threads); does nothing by
	 * default. Clients given shared resources (for example an {@code S3Client} bean)
	 * leave them open.
	 * @throws IOException if releasing fails
	 */
	@Override
	default void close() throws IOException {
	}

}
