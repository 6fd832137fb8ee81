package io.github.litestream.benchmarks;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Learns when each benchmark row became durable on a replica, the same way for every
 * configuration: it watches the replica's level-0 directory with inotify (through
 * {@link WatchService}), decodes each new LTX file once it is complete (the file checksum
 * verifies), and marks every row up to the highest row id in it durable at the moment the
 * file was seen.
 */
final class LagWatcher implements AutoCloseable {

	private final Path directory;

	private final WatchService watch;

	private final long[] durableNanos;

	private final Set<String> done = new HashSet<>();

	private final Thread thread;

	private volatile long maxRow = -1;

	private volatile boolean stop;

	LagWatcher(Path directory, long[] durableNanos) throws IOException {
		this.directory = directory;
		this.durableNanos = durableNanos;
		this.watch = FileSystems.getDefault().newWatchService();
		// A replica may start with a level-9 snapshot only (a new history), so level 0
		// need not exist yet
		Files.createDirectories(directory);
		directory.register(this.watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
		// Files that existed before the workload carry no benchmark row, but mark them
		// done so they are not decoded again.
		try (Stream<Path> files = Files.list(directory)) {
			files.forEach((file) -> this.done.add(file.getFileName().toString()));
		}
		this.thread = new Thread(this::run, "lag-watcher");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void run() {
		try {
			while (!this.stop) {
				WatchKey key = this.watch.poll(100, TimeUnit.MILLISECONDS);
				if (key == null) {
					continue;
				}
				long seen = System.nanoTime();
				for (WatchEvent<?> event : key.pollEvents()) {
					if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
						rescan(seen);
						continue;
					}
					consider(((Path) event.context()).getFileName().toString(), seen);
				}
				key.reset();
			}
		}
		catch (InterruptedException | ClosedWatchServiceException ex) {
			// Stopped.
		}
	}

	private void rescan(long seen) {
		try (Stream<Path> files = Files.list(this.directory)) {
			files.forEach((file) -> consider(file.getFileName().toString(), seen));
		}
		catch (IOException ex) {
			// Retried at the next event.
		}
	}

	private void consider(String name, long seen) {
		if (!name.matches("[0-9a-f]{16}-[0-9a-f]{16}\\.ltx") || this.done.contains(name)) {
			return;
		}
		long row;
		try {
			row = LtxRows.maxRowId(this.directory.resolve(name));
		}
		catch (IOException | RuntimeException ex) {
			// Not complete yet (or already removed by retention): a later event retries.
			return;
		}
		this.done.add(name);
		if (row < Workload.ROW_BASE) {
			return;
		}
		int upTo = (int) Math.min(row - Workload.ROW_BASE, this.durableNanos.length - 1);
		for (int i = upTo; i >= 0 && this.durableNanos[i] == 0; i--) {
			this.durableNanos[i] = seen;
		}
		if (row > this.maxRow) {
			this.maxRow = row;
		}
	}

	/** Waits until the row with this sequence number is durable. */
	boolean awaitRow(int seq, long timeoutNanos) throws InterruptedException {
		long deadline = System.nanoTime() + timeoutNanos;
		while (this.maxRow < Workload.ROW_BASE + seq) {
			if (System.nanoTime() > deadline) {
				return false;
			}
			Thread.sleep(5);
		}
		return true;
	}

	@Override
	public void close() throws IOException, InterruptedException {
		this.stop = true;
		this.thread.join();
		this.watch.close();
	}

}
