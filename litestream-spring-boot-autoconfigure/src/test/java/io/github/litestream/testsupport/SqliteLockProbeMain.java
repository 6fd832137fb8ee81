package io.github.litestream.testsupport;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Tells from another process whether some process holds SQLite's lock on a database file:
 * it tries, without waiting, to take an exclusive POSIX lock on SQLite's shared-lock byte
 * range (the 510 bytes after the pending byte at 1 GiB + 2). Every connection to a
 * WAL-mode database holds a shared lock there while it is open, so the probe prints
 * {@code locked} while any connection is open and {@code free} when none is, or when the
 * holder's locks were dropped by closing a descriptor of the file.
 * <p>
 * Argument: the database path.
 */
public final class SqliteLockProbeMain {

	private static final long SHARED_FIRST = 0x40000000L + 2;

	private static final long SHARED_SIZE = 510;

	private SqliteLockProbeMain() {
	}

	/**
	 * Probes the lock and prints {@code locked} or {@code free}.
	 * @param args the database path
	 * @throws IOException if the file cannot be opened
	 */
	public static void main(String[] args) throws IOException {
		try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ,
				StandardOpenOption.WRITE)) {
			FileLock lock = channel.tryLock(SHARED_FIRST, SHARED_SIZE, false);
			System.out.println((lock != null) ? "free" : "locked");
		}
	}

}
