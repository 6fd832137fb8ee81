package io.github.litestream.storage.file;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ReplicaClient} that keeps LTX files in a local directory, exactly as
 * Litestream v0.5's file replica does: {@code <root>/ltx/<level decimal>/<min>-<max>.ltx}
 * (for example {@code /backup/app-db/ltx/0/0000000000000001-0000000000000001.ltx}), with
 * the file's modification time set to the LTX header timestamp.
 * <p>
 * A file is written to a temporary file in the same directory (named
 * {@code .<name>.tmp-<random>}, which is not an LTX name and so never listed), synced,
 * renamed over the final name atomically, and the directory synced, so a reader never
 * sees a partial file and a written file survives a power loss. Directories are created
 * as needed; the root is never deleted.
 * <p>
 * New files written by the engine are created with {@link #createFile}, which never
 * replaces a file. The lease object ({@code <root>/lock.json}) is created and replaced
 * with the atomic steps described at {@link #createLease} and {@link #replaceLease}.
 * <p>
 * Failures that need someone to act (permission denied, a root that is not a directory or
 * cannot be created, a read-only file system) are non-retryable
 * {@link ReplicaException}s; other I/O failures are retryable.
 */
public final class FileReplicaClient implements ReplicaClient {

	/**
	 * The value of {@link #type()}.
	 */
	public static final String TYPE = "file";

	private static final String TEMP_MARKER = ".tmp-";

	private static final int COPY_BUFFER_SIZE = 64 * 1024;

	// Windows cannot open a directory as a channel; NTFS journals the rename instead
	private static final boolean DIRECTORY_SYNC_SUPPORTED = File.separatorChar == '/';

	private final Path root;

	private final String location;

	private final FileLease lease;

	/**
	 * Creates a client for a replica directory. Nothing is read or created until the
	 * first operation.
	 * @param root the replica directory; relative paths are resolved against the working
	 * directory
	 */
	public FileReplicaClient(Path root) {
		Objects.requireNonNull(root, "root");
		this.root = root.toAbsolutePath().normalize();
		this.location = toLocation(this.root);
		this.lease = new FileLease(this);
	}

	private static String toLocation(Path path) {
		String uri = path.toUri().toString();
		// toUri() appends a slash only when the directory exists: drop it so the location
		// does not change once the first file is written
		return (uri.endsWith("/") && path.getParent() != null) ? uri.substring(0, uri.length() - 1) : uri;
	}

	/**
	 * Returns the replica directory.
	 * @return the absolute, normalized root
	 */
	public Path root() {
		return this.root;
	}

	/**
	 * Returns the directory of one level, {@code <root>/ltx/<level>}.
	 * @param level the level
	 * @return the directory, which may not exist
	 */
	public Path levelDirectory(int level) {
		return ltxDirectory().resolve(Integer.toString(LtxFileInfo.checkLevel(level)));
	}

	/**
	 * Returns the path of one file, {@code <root>/ltx/<level>/<min>-<max>.ltx}.
	 * @param level the level
	 * @param minTxid the first transaction ID
	 * @param maxTxid the last transaction ID
	 * @return the path, which may not exist
	 */
	public Path filePath(int level, long minTxid, long maxTxid) {
		LtxFileInfo.checkTxidRange(minTxid, maxTxid);
		return levelDirectory(level).resolve(LtxFileName.format(minTxid, maxTxid));
	}

	private Path ltxDirectory() {
		return this.root.resolve("ltx");
	}

	/**
	 * Returns {@value #TYPE}.
	 * @return the backend type
	 */
	@Override
	public String type() {
		return TYPE;
	}

	/**
	 * Returns the root as a {@code file:} URI without trailing slash, for example
	 * {@code file:///backup/app-db}.
	 * @return the location
	 */
	@Override
	public String location() {
		return this.location;
	}

	@Override
	public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
		Path directory = levelDirectory(level);
		List<LtxFileInfo> files = new ArrayList<>();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
			for (Path entry : entries) {
				LtxFileInfo info = toFileInfo(level, entry, minTxidAtLeast);
				if (info != null) {
					files.add(info);
				}
			}
		}
		catch (NoSuchFileException ex) {
			return List.of();
		}
		catch (DirectoryIteratorException ex) {
			throw failure("list LTX files in", directory, ex.getCause(), false);
		}
		catch (IOException ex) {
			throw failure("list LTX files in", directory, ex, false);
		}
		files.sort(LtxFileInfo.txidOrder());
		return files;
	}

	private @Nullable LtxFileInfo toFileInfo(int level, Path entry, long minTxidAtLeast) throws IOException {
		LtxFileName name = LtxFileName.parse(entry.getFileName().toString());
		if (name == null || Long.compareUnsigned(name.minTxid(), minTxidAtLeast) < 0
				|| Long.compareUnsigned(name.minTxid(), name.maxTxid()) > 0) {
			return null;
		}
		BasicFileAttributes attributes;
		try {
			attributes = Files.readAttributes(entry, BasicFileAttributes.class);
		}
		catch (NoSuchFileException ex) {
			// Deleted since the directory was read: it is gone, not an error
			return null;
		}
		if (!attributes.isRegularFile()) {
			return null;
		}
		Instant createdAt = attributes.lastModifiedTime().toInstant().truncatedTo(ChronoUnit.MILLIS);
		return new LtxFileInfo(level, name.minTxid(), name.maxTxid(), attributes.size(), createdAt);
	}

	@Override
	public boolean isLocal() {
		return true;
	}

	@Override
	public InputStream openFile(int level, long minTxid, long maxTxid) throws IOException {
		Path path = filePath(level, minTxid, maxTxid);
		try {
			return Files.newInputStream(path);
		}
		catch (NoSuchFileException ex) {
			NoSuchFileException missing = new NoSuchFileException(path.toUri().toString());
			missing.initCause(ex);
			throw missing;
		}
		catch (IOException ex) {
			throw failure("open LTX file", path, ex, false);
		}
	}

	@Override
	public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		Path target = filePath(level, minTxid, maxTxid);
		Objects.requireNonNull(timestamp, "timestamp");
		Objects.requireNonNull(data, "data");
		Instant createdAt = timestamp.truncatedTo(ChronoUnit.MILLIS);
		Path directory = target.getParent();
		createDirectories(directory);
		Path temp = tempFile(target);
		boolean renamed = false;
		try {
			long size = writeTemp(temp, data, createdAt);
			Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			renamed = true;
			// The rename is only durable once the directory entry is
			syncDirectory(directory);
			return new LtxFileInfo(level, minTxid, maxTxid, size, createdAt);
		}
		catch (SourceException ex) {
			throw ex.getCause();
		}
		catch (IOException ex) {
			throw failure("write LTX file", target, ex, true);
		}
		finally {
			if (!renamed) {
				deleteQuietly(temp);
			}
		}
	}

	static Path tempFile(Path target) {
		return target.resolveSibling("." + target.getFileName() + TEMP_MARKER
				+ Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
	}

	/**
	 * Writes and syncs a new temporary file, stamped with the timestamp.
	 * @return the number of bytes written
	 */
	private static long writeTemp(Path temp, InputStream data, Instant createdAt) throws IOException {
		try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
			long size = copy(data, channel);
			// Set before the sync so that force(true) makes the timestamp durable too
			Files.setLastModifiedTime(temp, FileTime.from(createdAt));
			channel.force(true);
			return size;
		}
	}

	/**
	 * Creates the file only if no file of that name exists. The file is written and
	 * synced under a temporary name, then given its name with a hard link, which the
	 * operating system refuses atomically when the name exists ({@code link(2)}; atomic
	 * on NFS too, the classic way NFS clients take locks). On a file system without hard
	 * links the temporary file is renamed after a check that the name is free, which is
	 * not atomic: only the lease then keeps two writers apart.
	 */
	@Override
	public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
			throws IOException {
		Path target = filePath(level, minTxid, maxTxid);
		Objects.requireNonNull(timestamp, "timestamp");
		Objects.requireNonNull(data, "data");
		Instant createdAt = timestamp.truncatedTo(ChronoUnit.MILLIS);
		Path directory = target.getParent();
		createDirectories(directory);
		if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
			// Spares writing the data when the answer is known already
			throw exists(target);
		}
		Path temp = tempFile(target);
		try {
			long size = writeTemp(temp, data, createdAt);
			link(temp, target);
			syncDirectory(directory);
			return new LtxFileInfo(level, minTxid, maxTxid, size, createdAt);
		}
		catch (SourceException ex) {
			throw ex.getCause();
		}
		catch (FileAlreadyExistsException ex) {
			throw exists(target);
		}
		catch (IOException ex) {
			throw failure("write LTX file", target, ex, true);
		}
		finally {
			deleteQuietly(temp);
		}
	}

	static void link(Path temp, Path target) throws IOException {
		try {
			Files.createLink(target, temp);
		}
		catch (UnsupportedOperationException ex) {
			if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
				throw new FileAlreadyExistsException(target.toString());
			}
			Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
		}
	}

	private static FileAlreadyExistsException exists(Path target) {
		return new FileAlreadyExistsException(target.toUri().toString());
	}

	// ---------------------------------------------------------------- lease

	/**
	 * Returns the path of the lease object, {@code <root>/lock.json}.
	 * @return the path, which may not exist
	 */
	public Path leasePath() {
		return this.root.resolve(LEASE_OBJECT_NAME);
	}

	@Override
	public String leaseLocation() {
		return leasePath().toUri().toString();
	}

	@Override
	public @Nullable LeaseObject readLease() throws IOException {
		return this.lease.read();
	}

	/**
	 * Creates the lease object with a hard link from a synced temporary file (see
	 * {@link #createFile}), under the lease mutex.
	 */
	@Override
	public String createLease(byte[] content) throws IOException {
		return this.lease.create(content);
	}

	/**
	 * Replaces the lease object with an atomic rename over it, after comparing its
	 * version under the lease mutex: every writer of the lease object takes the mutex, so
	 * nothing changes it between the comparison and the rename.
	 */
	@Override
	public String replaceLease(byte[] content, String expectedVersion) throws IOException {
		return this.lease.replace(content, expectedVersion);
	}

	private static long copy(InputStream data, FileChannel channel) throws IOException {
		byte[] buffer = new byte[COPY_BUFFER_SIZE];
		ByteBuffer wrapped = ByteBuffer.wrap(buffer);
		long size = 0;
		while (true) {
			int read;
			try {
				read = data.read(buffer);
			}
			catch (IOException ex) {
				// The caller's stream failed, not the replica: not a replica error
				throw new SourceException(ex);
			}
			if (read < 0) {
				return size;
			}
			wrapped.clear().limit(read);
			while (wrapped.hasRemaining()) {
				channel.write(wrapped);
			}
			size += read;
		}
	}

	private void createDirectories(Path directory) throws ReplicaException {
		if (Files.isDirectory(directory)) {
			return;
		}
		boolean rootExisted = Files.isDirectory(this.root);
		try {
			Files.createDirectories(directory);
			// Make the new directory entries durable too, not only the files in them
			syncDirectory(ltxDirectory());
			syncDirectory(this.root);
			Path parent = this.root.getParent();
			if (!rootExisted && parent != null) {
				syncDirectoryQuietly(parent);
			}
		}
		catch (IOException ex) {
			throw failure("create directory", directory, ex, true);
		}
	}

	static void syncDirectory(Path directory) throws IOException {
		if (!DIRECTORY_SYNC_SUPPORTED) {
			return;
		}
		try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
			channel.force(true);
		}
	}

	private static void syncDirectoryQuietly(Path directory) {
		try {
			syncDirectory(directory);
		}
		catch (IOException ex) {
			// Outside the replica, so possibly not readable: at worst a crash loses the
			// empty new root, which the next write creates again
		}
	}

	static void deleteQuietly(Path path) {
		try {
			Files.deleteIfExists(path);
		}
		catch (IOException ex) {
			// A leftover temporary file is never listed, and deleteAll removes it
		}
	}

	@Override
	public void deleteFiles(Collection<LtxFileInfo> files) throws IOException {
		for (LtxFileInfo file : files) {
			Path path = filePath(file.level(), file.minTxid(), file.maxTxid());
			try {
				Files.deleteIfExists(path);
			}
			catch (IOException ex) {
				throw failure("delete LTX file", path, ex, true);
			}
		}
		// No directory sync: a deletion undone by a crash only leaves a file that
		// retention deletes again
	}

	@Override
	public void deleteAll() throws IOException {
		for (int level = LtxFileInfo.MIN_LEVEL; level <= LtxFileInfo.MAX_LEVEL; level++) {
			Path directory = levelDirectory(level);
			try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, this::isOwnFile)) {
				for (Path entry : entries) {
					Files.deleteIfExists(entry);
				}
			}
			catch (NoSuchFileException ex) {
				continue;
			}
			catch (DirectoryIteratorException ex) {
				throw failure("delete LTX files in", directory, ex.getCause(), true);
			}
			catch (IOException ex) {
				throw failure("delete LTX files in", directory, ex, true);
			}
			deleteIfEmpty(directory);
		}
		deleteIfEmpty(ltxDirectory());
	}

	private boolean isOwnFile(Path entry) {
		String name = entry.getFileName().toString();
		boolean ownName = LtxFileName.parse(name) != null
				|| (name.startsWith(".") && name.contains(".ltx" + TEMP_MARKER));
		return ownName && Files.isRegularFile(entry);
	}

	private void deleteIfEmpty(Path directory) throws ReplicaException {
		try {
			Files.deleteIfExists(directory);
		}
		catch (DirectoryNotEmptyException ex) {
			// Holds files that are not ours: leave them, and so the directory, alone
		}
		catch (IOException ex) {
			throw failure("delete directory", directory, ex, true);
		}
	}

	/**
	 * Classifies an I/O failure. Problems that retrying cannot fix are recognised by
	 * looking at the root rather than at error strings, which vary by platform.
	 */
	ReplicaException failure(String action, Path path, IOException cause, boolean writing) {
		String problem = diagnose(cause, writing);
		String prefix = "Cannot " + action + " '" + path + "' of file replica '" + this.location + "': ";
		if (problem != null) {
			return new ReplicaException(prefix + problem, false, cause);
		}
		return new ReplicaException(
				prefix + describe(cause) + ". This may be temporary (for example a full disk or an I/O "
						+ "error); the operation can be retried.",
				true, cause);
	}

	private static String describe(IOException cause) {
		String message = cause.getMessage();
		return cause.getClass().getSimpleName() + ((message != null) ? ": " + message : "");
	}

	private @Nullable String diagnose(IOException cause, boolean writing) {
		String elsewhere = "point the replica URL at a directory the application can " + (writing ? "write" : "read")
				+ ".";
		if (cause instanceof AccessDeniedException) {
			return "permission denied on '" + cause.getMessage() + "'. Grant the user running the application read "
					+ "and write access to '" + this.root + "' and everything below it, or " + elsewhere;
		}
		Path existing = this.root;
		while (existing != null && !Files.exists(existing)) {
			existing = existing.getParent();
		}
		if (existing == null) {
			return null;
		}
		if (!Files.isDirectory(existing)) {
			return "'" + existing + "' is not a directory. Make it one, or " + elsewhere;
		}
		Path ltx = ltxDirectory();
		if (Files.exists(ltx) && !Files.isDirectory(ltx)) {
			return "'" + ltx + "' is not a directory. Remove it, or " + elsewhere;
		}
		if (writing && !existing.equals(this.root) && !Files.isWritable(existing)) {
			return "the replica directory does not exist and cannot be created because '" + existing
					+ "' is not writable. Create '" + this.root + "' for the user running the application, or "
					+ elsewhere;
		}
		if (writing && isReadOnlyFileSystem(existing)) {
			return "'" + existing + "' is on a read-only file system. Mount it read-write, or " + elsewhere;
		}
		return null;
	}

	private static boolean isReadOnlyFileSystem(Path path) {
		try {
			return Files.getFileStore(path).isReadOnly();
		}
		catch (IOException ex) {
			return false;
		}
	}

	@Override
	public String toString() {
		return "FileReplicaClient[" + this.location + "]";
	}

	/**
	 * Carries a failure of the caller's stream through the write path, so it is rethrown
	 * unchanged instead of being reported as a replica failure.
	 */
	private static final class SourceException extends IOException {

		private static final long serialVersionUID = 1L;

		SourceException(IOException cause) {
			super(cause);
		}

		@Override
		public synchronized IOException getCause() {
			return (IOException) super.getCause();
		}

	}

}
