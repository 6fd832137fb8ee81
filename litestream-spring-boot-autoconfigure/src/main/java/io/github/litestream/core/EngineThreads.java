package io.github.litestream.core;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the engine's worker threads (a database's sync loop, a replica's upload and
 * compaction threads) the same way everywhere.
 */
public final class EngineThreads {

	private static final Logger logger = LoggerFactory.getLogger(EngineThreads.class);

	/** Time an engine thread gets to leave its loop on stop before it is interrupted. */
	public static final Duration STOP_GRACE = Duration.ofSeconds(1);

	/** Time an interrupted engine thread gets to end. */
	static final Duration STOP_AFTER_INTERRUPT = Duration.ofSeconds(10);

	private EngineThreads() {
	}

	/**
	 * Ends an engine thread for certain: it gets {@code grace} to leave its loop, then it
	 * is interrupted (a replica call in flight is abandoned; its file stays staged) and
	 * joined again. A thread that outlived stop() could otherwise run beside the threads
	 * of the next engine on the same files, as after an in-place restore.
	 * @return whether the thread has ended
	 */
	public static boolean stop(@Nullable Thread thread, Duration grace) {
		if (thread == null || thread == Thread.currentThread()) {
			return true;
		}
		boolean interrupted = false;
		try {
			thread.join(grace.toMillis());
			if (thread.isAlive()) {
				thread.interrupt();
				thread.join(STOP_AFTER_INTERRUPT.toMillis());
			}
		}
		catch (InterruptedException ex) {
			interrupted = true;
			thread.interrupt();
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
		if (thread.isAlive()) {
			logger.error("Thread {} did not end within {} after it was interrupted", thread.getName(),
					STOP_AFTER_INTERRUPT);
			return false;
		}
		return true;
	}

}
