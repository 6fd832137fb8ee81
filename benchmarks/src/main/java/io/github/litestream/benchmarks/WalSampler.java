package io.github.litestream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Samples the size of a database's WAL every 20 ms, keeping the largest. */
final class WalSampler implements AutoCloseable {

	private final Thread thread;

	private volatile boolean stop;

	private volatile long maxBytes;

	WalSampler(Path db) {
		Path wal = db.resolveSibling(db.getFileName() + "-wal");
		this.thread = new Thread(() -> {
			while (!this.stop) {
				try {
					this.maxBytes = Math.max(this.maxBytes, Files.size(wal));
				}
				catch (IOException ex) {
					// No WAL at this instant.
				}
				try {
					Thread.sleep(20);
				}
				catch (InterruptedException ex) {
					return;
				}
			}
		}, "wal-sampler");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	long maxBytes() {
		return this.maxBytes;
	}

	@Override
	public void close() throws InterruptedException {
		this.stop = true;
		this.thread.join();
	}

}
