package io.github.litestream.replication;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A read-only view of the live database file through one {@link FileChannel} that stays
 * open for the engine's whole life.
 * <p>
 * Closing any descriptor of a file drops every POSIX lock this process holds on it,
 * SQLite's included (DESIGN section 4.1), so the live file is never opened and closed in
 * passing: {@link #close()} may only run after the last SQLite connection of this process
 * to the file has closed.
 */
final class DatabaseFile implements AutoCloseable {

	private final Path path;

	private final FileChannel channel;

	private DatabaseFile(Path path, FileChannel channel) {
		this.path = path;
		this.channel = channel;
	}

	static DatabaseFile open(Path path) throws IOException {
		return new DatabaseFile(path, FileChannel.open(path, StandardOpenOption.READ));
	}

	Path path() {
		return this.path;
	}

	long size() throws IOException {
		return this.channel.size();
	}

	/**
	 * Reads one page; bytes beyond the end of the file read as zeros.
	 */
	void readPage(int pgno, int pageSize, byte[] dst) throws IOException {
		ByteBuffer buffer = ByteBuffer.wrap(dst, 0, pageSize);
		long position = (long) (pgno - 1) * pageSize;
		while (buffer.hasRemaining()) {
			int n = this.channel.read(buffer, position + buffer.position());
			if (n < 0) {
				Arrays.fill(dst, buffer.position(), pageSize, (byte) 0);
				return;
			}
		}
	}

	/**
	 * Returns the database size in pages from the header of page 1 when it is valid, else
	 * from the file size.
	 */
	int pageCount(int pageSize) throws IOException {
		ByteBuffer header = ByteBuffer.allocate(100);
		while (header.hasRemaining()) {
			if (this.channel.read(header, header.position()) < 0) {
				break;
			}
		}
		long fileSize = this.channel.size();
		if (header.position() == 100) {
			int changeCounter = header.getInt(24);
			int inHeaderSize = header.getInt(28);
			int versionValidFor = header.getInt(92);
			if (inHeaderSize > 0 && changeCounter == versionValidFor) {
				return inHeaderSize;
			}
		}
		return (int) (fileSize / pageSize);
	}

	@Override
	public void close() throws IOException {
		this.channel.close();
	}

}
