package io.github.litestream.storage.s3;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that move the parts of one transfer, a multipart upload or a ranged
 * download: a pool of named daemon threads that the transfer stops, and whose every
 * thread has ended when {@link #awaitTermination(String)} returns.
 */
final class PartThreads {

	// Under the client's name, which is the logger users configure
	private static final Logger logger = LoggerFactory.getLogger(S3ReplicaClient.class);

	private final List<Thread> started = new CopyOnWriteArrayList<>();

	private final ExecutorService executor;

	/**
	 * Creates the pool.
	 * @param threads the number of threads
	 * @param name the thread name, followed by the value of {@code counter}
	 * @param counter numbers the threads of every pool of this kind
	 */
	PartThreads(int threads, String name, AtomicInteger counter) {
		this.executor = Executors.newFixedThreadPool(threads, (task) -> {
			Thread thread = new Thread(task, name + counter.incrementAndGet());
			thread.setDaemon(true);
			this.started.add(thread);
			return thread;
		});
	}

	ExecutorService executor() {
		return this.executor;
	}

	/**
	 * Interrupts the parts still running and takes no new ones.
	 */
	void shutdownNow() {
		this.executor.shutdownNow();
	}

	/**
	 * Waits until every thread of the pool has ended, keeping an interrupt for later.
	 * @param uri the object transferred, for messages
	 */
	void awaitTermination(String uri) {
		boolean interrupted = false;
		try {
			while (true) {
				try {
					if (this.executor.awaitTermination(1, TimeUnit.MINUTES)) {
						// A terminated pool's threads may still be exiting: join them, so
						// that none outlives the download
						for (Thread thread : this.started) {
							thread.join();
						}
						return;
					}
					logger.warn("Parts of '{}' are still being transferred after the transfer ended; waiting for them",
							uri);
				}
				catch (InterruptedException ex) {
					// Threads writing into the target must stop before it is deleted
					interrupted = true;
				}
			}
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Returns the failure of a part, to be thrown by the transfer: its
	 * {@link IOException}, or its unchecked failure thrown at once.
	 * @param ex the failure of a part's task
	 * @return the part's {@link IOException}
	 */
	static IOException failureOf(ExecutionException ex) {
		Throwable cause = ex.getCause();
		if (cause instanceof IOException io) {
			return io;
		}
		if (cause instanceof RuntimeException runtime) {
			throw runtime;
		}
		if (cause instanceof Error error) {
			throw error;
		}
		throw new IllegalStateException(cause);
	}

}
