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

import org.jspecify.annotations.Nullable;

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
 * <li><b>Conditional writes</b> ({@link #createFile}, {@link #createLease},
 * {@link #replaceLease}) that find the target in another state than required write
 * nothing and throw {@link java.nio.file.FileAlreadyExistsException} or
 * {@link LeaseConflictException}: not failures of the replica, and retrying the same call
 * cannot succeed.</li>
 * </ul>
 * Implementations never put credentials in {@link #location()}, messages or
 * {@link Object#toString()}.
 */
public interface ReplicaClient extends AutoCloseable {

	/**
	 * The name of the lease object at the root of a replica, as Litestream's leaser names
	 * it.
	 */
	String LEASE_OBJECT_NAME = "lock.json";

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
	 * Writes one file only if no file of that name exists: the conditional create every
	 * upload of the engine uses, so that an existing file is never overwritten, even by a
	 * writer that wrongly believes it owns the replica. Otherwise as {@link #writeFile}.
	 * <p>
	 * When a file of that name exists, nothing is written and
	 * {@link java.nio.file.FileAlreadyExistsException} is thrown, whose message is the
	 * full location of the file; the caller decides whether the existing file is the same
	 * one (for example an earlier attempt whose answer was lost) by reading it. Backends
	 * make the check and the write one atomic step where the store allows it (S3
	 * {@code If-None-Match: *}; a hard link on a file replica). This default, for clients
	 * that cannot, checks the listing first and is not atomic.
	 * @param level the level
	 * @param minTxid the first transaction ID of the file
	 * @param maxTxid the last transaction ID of the file
	 * @param timestamp the LTX header timestamp
	 * @param data the content of the file, read to its end unless the file exists
	 * @return the written file
	 * @throws java.nio.file.FileAlreadyExistsException if a file of that name exists; its
	 * message is the full location of the file
	 * @throws ReplicaException if the replica cannot store the file
	 * @throws IOException as described in the error contract, including failures of
	 * {@code data}
	 */
	default LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		LtxFileInfo.checkLevel(level);
		LtxFileInfo.checkTxidRange(minTxid, maxTxid);
		for (LtxFileInfo file : listFiles(level, minTxid)) {
			if (file.minTxid() == minTxid && file.maxTxid() == maxTxid) {
				throw new java.nio.file.FileAlreadyExistsException(
						location() + " level " + level + " " + file.fileName());
			}
		}
		return writeFile(level, minTxid, maxTxid, timestamp, data);
	}

	/**
	 * Creates one file as {@link #createFile} does, except that a request held by an
	 * outage (no answer until the connection closed or timed out) is not repeated: its
	 * failure goes back to the caller. Failures answered at once (a refused or stale
	 * connection, a throttling answer) may still be retried by the client. The engine's
	 * uploader uses it because it retries on its own: after a replica outage its retry
	 * covers, in one file, both the file whose upload was held and every file cut since
	 * (DESIGN 4.11), where a repeat inside the client would land that one file alone once
	 * the replica answered. This default, for clients that do not retry, is
	 * {@link #createFile}.
	 * @param level the level
	 * @param minTxid the first transaction ID of the file
	 * @param maxTxid the last transaction ID of the file
	 * @param timestamp the LTX header timestamp
	 * @param data the content of the file, read to its end unless the file exists
	 * @return the written file
	 * @throws java.nio.file.FileAlreadyExistsException if a file of that name exists; its
	 * message is the full location of the file
	 * @throws ReplicaException if the replica cannot store the file
	 * @throws IOException as described in the error contract, including failures of
	 * {@code data}
	 */
	default LtxFileInfo createFileOnce(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		return createFile(level, minTxid, maxTxid, timestamp, data);
	}

	/**
	 * Returns where the lease object of this replica lives, for messages: Litestream's
	 * name, {@value #LEASE_OBJECT_NAME}, at the root of the replica.
	 * @return for example {@code "s3://bucket/app-db/lock.json"}
	 */
	default String leaseLocation() {
		return location() + "/" + LEASE_OBJECT_NAME;
	}

	/**
	 * Reads the lease object of this replica (see {@link #createLease}).
	 * @return the object with its version, or {@code null} when there is none
	 * @throws ReplicaException if the lease object cannot be read
	 * @throws UnsupportedOperationException if this client keeps no lease (the default)
	 * @throws IOException as described in the error contract
	 */
	default @Nullable LeaseObject readLease() throws IOException {
		throw new UnsupportedOperationException(getClass().getName() + " does not support leases");
	}

	/**
	 * Creates the lease object of this replica if there is none, atomically: of several
	 * writers (in any process, on any host) calling this at once, exactly one succeeds.
	 * The lease object, {@value #LEASE_OBJECT_NAME} at the root of the replica, is not an
	 * LTX file: it is never listed, and {@link #deleteAll()} leaves it.
	 * @param content the bytes to store (small: one request, held in memory)
	 * @return the version of the stored object, to name in {@link #replaceLease}
	 * @throws LeaseConflictException if a lease object exists; nothing was written
	 * @throws ReplicaException if the replica cannot store it; it may or may not have
	 * been stored (a lost answer): read it to find out
	 * @throws UnsupportedOperationException if this client keeps no lease (the default)
	 * @throws IOException as described in the error contract
	 */
	default String createLease(byte[] content) throws IOException {
		throw new UnsupportedOperationException(getClass().getName() + " does not support leases");
	}

	/**
	 * Replaces the lease object only if it is still exactly the given version, atomically
	 * (a compare-and-swap): of several writers naming the same version, at most one
	 * succeeds.
	 * @param content the bytes to store
	 * @param expectedVersion the version read or written last
	 * @return the version of the stored object
	 * @throws LeaseConflictException if the object is gone or has another version;
	 * nothing was written
	 * @throws ReplicaException if the replica cannot store it; it may or may not have
	 * been stored (a lost answer): read it to find out
	 * @throws UnsupportedOperationException if this client keeps no lease (the default)
	 * @throws IOException as described in the error contract
	 */
	default String replaceLease(byte[] content, String expectedVersion) throws IOException {
		throw new UnsupportedOperationException(getClass().getName() + " does not support leases");
	}

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
