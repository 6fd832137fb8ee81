package io.github.litestream.storage.file;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.storage.LeaseConflictException;
import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;

/**
 * The lease object of a file replica, {@code <root>/lock.json}: created with a hard link
 * and replaced with an atomic rename, each write a read-compare-write under the lease
 * mutex. Its version is a hash of its bytes.
 */
final class FileLease {

	private static final Duration LEASE_MUTEX_TIMEOUT = Duration.ofSeconds(10);

	/**
	 * One lock per lease mutex file in this JVM: a replica directory is a resource of the
	 * process, shared by every client on it (see {@link #withLeaseMutex}).
	 */
	private static final ConcurrentHashMap<Path, ReentrantLock> LEASE_MUTEXES = new ConcurrentHashMap<>();

	private final FileReplicaClient client;

	private final Path root;

	FileLease(FileReplicaClient client) {
		this.client = client;
		this.root = client.root();
	}

	/**
	 * Reads the lease object.
	 * @return the lease, or {@code null} when there is none
	 */
	@Nullable LeaseObject read() throws IOException {
		Path path = this.client.leasePath();
		try {
			byte[] content = Files.readAllBytes(path);
			return new LeaseObject(content, version(content));
		}
		catch (NoSuchFileException ex) {
			return null;
		}
		catch (IOException ex) {
			throw this.client.failure("read lease object", path, ex, false);
		}
	}

	/**
	 * Creates the lease object, as {@link FileReplicaClient#createLease(byte[])}
	 * describes.
	 */
	String create(byte[] content) throws IOException {
		Objects.requireNonNull(content, "content");
		Path path = this.client.leasePath();
		return withLeaseMutex(() -> {
			if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
				throw new LeaseConflictException("Lease object '" + path.toUri() + "' already exists");
			}
			Path temp = FileReplicaClient.tempFile(path);
			try {
				writeLeaseTemp(temp, content);
				FileReplicaClient.link(temp, path);
				FileReplicaClient.syncDirectory(this.root);
			}
			catch (FileAlreadyExistsException ex) {
				throw new LeaseConflictException("Lease object '" + path.toUri() + "' already exists");
			}
			finally {
				FileReplicaClient.deleteQuietly(temp);
			}
			return version(content);
		});
	}

	/**
	 * Replaces the lease object, as
	 * {@link FileReplicaClient#replaceLease(byte[], String)} describes.
	 */
	String replace(byte[] content, String expectedVersion) throws IOException {
		Objects.requireNonNull(content, "content");
		Objects.requireNonNull(expectedVersion, "expectedVersion");
		Path path = this.client.leasePath();
		return withLeaseMutex(() -> {
			byte[] current;
			try {
				current = Files.readAllBytes(path);
			}
			catch (NoSuchFileException ex) {
				throw new LeaseConflictException("Lease object '" + path.toUri() + "' does not exist");
			}
			if (!version(current).equals(expectedVersion)) {
				throw new LeaseConflictException("Lease object '" + path.toUri() + "' has version " + version(current)
						+ ", not " + expectedVersion);
			}
			Path temp = FileReplicaClient.tempFile(path);
			try {
				writeLeaseTemp(temp, content);
				Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
				FileReplicaClient.syncDirectory(this.root);
			}
			finally {
				FileReplicaClient.deleteQuietly(temp);
			}
			return version(content);
		});
	}

	private static void writeLeaseTemp(Path temp, byte[] content) throws IOException {
		try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
			ByteBuffer buffer = ByteBuffer.wrap(content);
			while (buffer.hasRemaining()) {
				channel.write(buffer);
			}
			channel.force(true);
		}
	}

	/**
	 * The version of a lease object: a hash of its bytes. Every lease write carries a new
	 * expiry, so two writes never store the same bytes.
	 */
	private static String version(byte[] content) {
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(content);
			return HexFormat.of().formatHex(digest, 0, 16);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is required of every Java platform", ex);
		}
	}

	/**
	 * Runs a read-compare-write of the lease object under its mutex: a lock of this JVM
	 * (so that two clients of the same directory in one process never hold the file lock
	 * at once, which POSIX would merge and drop on the first close) and an exclusive
	 * {@code fcntl} lock of {@code <root>/.lock.json.lock}, which the operating system
	 * releases if the process dies. On NFS the file lock needs NFSv4 or a lock manager
	 * (NFSv3 with {@code lockd}); without one, locking fails and so do lease writes.
	 */
	private String withLeaseMutex(LeaseOperation operation) throws IOException {
		Path mutex = this.root.resolve("." + ReplicaClient.LEASE_OBJECT_NAME + ".lock");
		ReentrantLock jvmLock = LEASE_MUTEXES.computeIfAbsent(mutex, (key) -> new ReentrantLock());
		try {
			if (!jvmLock.tryLock(LEASE_MUTEX_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)) {
				throw mutexTimeout(mutex);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while waiting for the lease mutex '" + mutex + "'");
		}
		try {
			Files.createDirectories(this.root);
			try (FileChannel channel = FileChannel.open(mutex, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
				long deadline = System.nanoTime() + LEASE_MUTEX_TIMEOUT.toNanos();
				long pause = 1;
				FileLock lock;
				while ((lock = channel.tryLock()) == null) {
					if (System.nanoTime() - deadline > 0) {
						throw mutexTimeout(mutex);
					}
					// fcntl has no timed wait: poll with a short capped backoff
					Thread.sleep(pause);
					pause = Math.min(pause * 2, 50);
				}
				try {
					return operation.run();
				}
				finally {
					lock.release();
				}
			}
		}
		catch (LeaseConflictException | ReplicaException ex) {
			throw ex;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while waiting for the lease mutex '" + mutex + "'");
		}
		catch (IOException ex) {
			throw this.client.failure("write lease object", this.client.leasePath(), ex, true);
		}
		finally {
			jvmLock.unlock();
		}
	}

	private ReplicaException mutexTimeout(Path mutex) {
		return new ReplicaException("Cannot write lease object '" + this.client.leasePath() + "' of file replica '"
				+ this.client.location() + "': its mutex '" + mutex + "' stayed locked for "
				+ LEASE_MUTEX_TIMEOUT.toSeconds() + " s. This may be temporary; the operation can be retried.", true,
				null);
	}

	/**
	 * A read-compare-write of the lease object.
	 */
	@FunctionalInterface
	private interface LeaseOperation {

		String run() throws IOException;

	}

}
