package io.github.litestream.restore;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.litestream.ltx.LtxDecoder;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * Downloads the files of a restore plan concurrently, at most {@code parallelism} at a
 * time and in plan order, into temporary files beside the output, while the merge opens
 * them one after the other as they complete (issue 3, item 3). Each download goes through
 * {@link ReplicaClient#download}, so a backend may fetch one large file in parallel
 * parts. Memory stays bounded (copy buffers only); the temporary files are removed on
 * {@link #close()}. With a parallelism of 1, and from a replica whose files are local
 * ({@link ReplicaClient#isLocal()}), the files are read from the replica directly.
 */
final class PlannedFileFetcher implements AutoCloseable {

	/** Longest wait for one download; the client's own timeouts normally end it first. */
	static final long FETCH_TIMEOUT_MINUTES = 30;

	private static final AtomicInteger THREADS = new AtomicInteger();

	private final ReplicaClient client;

	private final List<LtxFileInfo> files;

	private final List<Path> temporaries = new ArrayList<>();

	private final List<Future<Path>> downloads = new ArrayList<>();

	private final @Nullable ExecutorService executor;

	PlannedFileFetcher(ReplicaClient client, List<LtxFileInfo> files, int parallelism, Path directory, String prefix)
			throws IOException {
		this.client = client;
		this.files = List.copyOf(files);
		if (parallelism <= 1 || files.size() <= 1 || client.isLocal()) {
			this.executor = null;
			return;
		}
		ThreadFactory factory = (runnable) -> {
			Thread thread = new Thread(runnable, "litestream-restore-fetch-" + THREADS.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
		this.executor = Executors.newFixedThreadPool(Math.min(parallelism, files.size()), factory);
		for (int i = 0; i < files.size(); i++) {
			LtxFileInfo file = files.get(i);
			Path tmp = directory.resolve(prefix + ".fetch-" + i + ".tmp");
			this.temporaries.add(tmp);
			this.downloads.add(this.executor.submit(() -> download(file, tmp)));
		}
	}

	private Path download(LtxFileInfo file, Path tmp) throws IOException {
		// The client knows how to fetch its files fastest (S3 fetches large ones in
		// parallel byte ranges) and leaves no partial file when it fails
		this.client.download(file.level(), file.minTxid(), file.maxTxid(), tmp);
		return tmp;
	}

	/**
	 * Opens the {@code index}-th planned file, waiting for its download.
	 * @throws IOException the download's failure as thrown by the replica (a vanished
	 * file stays a {@link java.nio.file.NoSuchFileException})
	 */
	LtxDecoder open(int index, DownloadWait waiting) throws IOException {
		LtxFileInfo file = this.files.get(index);
		String source = this.client.location() + " level " + file.level() + " " + file.fileName();
		if (this.executor == null) {
			InputStream in = this.client.openFile(file.level(), file.minTxid(), file.maxTxid());
			return new LtxDecoder(new BufferedInputStream(in, 64 * 1024), source);
		}
		Path path;
		try {
			path = await(this.downloads.get(index), file, waiting);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new InterruptedIOException("Interrupted while downloading " + source);
		}
		catch (TimeoutException ex) {
			throw new IOException("Download of " + source + " did not finish within " + FETCH_TIMEOUT_MINUTES
					+ " minutes; check the replica's network", ex);
		}
		catch (CancellationException ex) {
			throw new IOException("Download of " + source + " was cancelled", ex);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof IOException io) {
				throw io;
			}
			throw new IOException("Download of " + source + " failed: " + ex.getCause(), ex.getCause());
		}
		return new LtxDecoder(new BufferedInputStream(Files.newInputStream(path), 64 * 1024), source);
	}

	private static Path await(Future<Path> download, LtxFileInfo file, DownloadWait waiting)
			throws InterruptedException, ExecutionException, TimeoutException {
		long started = System.nanoTime();
		long deadline = started + TimeUnit.MINUTES.toNanos(FETCH_TIMEOUT_MINUTES);
		while (true) {
			long remaining = deadline - System.nanoTime();
			if (remaining <= 0) {
				throw new TimeoutException();
			}
			try {
				return download.get(Math.min(remaining, RestoreProgress.PROGRESS_INTERVAL.toNanos()),
						TimeUnit.NANOSECONDS);
			}
			catch (TimeoutException ex) {
				waiting.waiting(file, Duration.ofNanos(System.nanoTime() - started));
			}
		}
	}

	/**
	 * Told while the merge waits for a download.
	 */
	@FunctionalInterface
	interface DownloadWait {

		void waiting(LtxFileInfo file, Duration waited);

	}

	/**
	 * Stops pending downloads and removes every temporary file.
	 */
	@Override
	public void close() {
		if (this.executor != null) {
			this.executor.shutdownNow();
			try {
				// Downloads stop at their next read once interrupted.
				this.executor.awaitTermination(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		for (Path tmp : this.temporaries) {
			try {
				Files.deleteIfExists(tmp);
			}
			catch (IOException ex) {
				// A leftover temporary file is named after the output and harmless.
			}
		}
	}

}
