package io.github.litestream.ownership;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;

/**
 * The thread of one {@link ReplicaLease} ({@code litestream-<db>-lease-<replica>}) and
 * the one condition its callers wait on: the lease signals every change of state, and
 * each wait re-reads the monotonic clock at least once a second, so no wait can outlast
 * its deadline or miss a change. Apart from the lease because starting, stopping and
 * waiting are the same whatever the lease protocol does between two wake-ups.
 */
final class LeaseThread {

	/** Longest single wait; the waiter re-reads the clock after it. */
	private static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

	private final String name;

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition changed = this.lock.newCondition();

	private volatile boolean running;

	private @Nullable Thread thread;

	LeaseThread(String name) {
		this.name = name;
	}

	/**
	 * A check made under the lock of the condition, so that a change signalled right
	 * after it is not missed.
	 *
	 * @param <T> the result
	 * @param <E> what the check may throw
	 */
	@FunctionalInterface
	interface Check<T, E extends Exception> {

		/**
		 * Checks whether the wait is over.
		 * @param remainingNanos how long until the deadline (zero or less: it passed)
		 * @return the result that ends the wait, or {@code null} to go on waiting
		 * @throws E to end the wait with a failure
		 */
		@Nullable T check(long remainingNanos) throws E;

	}

	/**
	 * Whether the thread was started.
	 * @return whether {@link #start} ran
	 */
	boolean started() {
		return this.thread != null;
	}

	/**
	 * Runs {@code first} on the calling thread, then {@code body} on a new daemon thread.
	 * @param first the first step
	 * @param body the loop, which runs while {@link #running()}
	 */
	void start(Runnable first, Runnable body) {
		this.running = true;
		first.run();
		Thread thread = new Thread(body, this.name);
		thread.setDaemon(true);
		this.thread = thread;
		thread.start();
	}

	/**
	 * Whether the loop goes on.
	 * @return whether it was started and not halted
	 */
	boolean running() {
		return this.running;
	}

	/**
	 * Lets the loop end after its current step, without waiting for it.
	 */
	void halt() {
		this.running = false;
		signal();
	}

	/**
	 * Halts the loop and waits (up to ten seconds) until the thread ended, unless it is
	 * the calling thread.
	 */
	void stop() {
		halt();
		Thread thread = this.thread;
		if (thread != null && thread != Thread.currentThread()) {
			try {
				thread.join(TimeUnit.SECONDS.toMillis(10));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Wakes every waiter: the lease changed.
	 */
	void signal() {
		this.lock.lock();
		try {
			this.changed.signalAll();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * The loop's pause between two steps: until signalled or the time passed, at most a
	 * second. An interrupt ends the loop.
	 * @param nanos how long to pause
	 */
	void pause(long nanos) {
		long wait = Math.min(MAX_WAIT_NANOS, nanos);
		this.lock.lock();
		try {
			if (this.running && wait > 0) {
				this.changed.awaitNanos(wait);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.running = false;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Waits until a check ends the wait; the check is made again at each change and at
	 * least once a second, and once more after the deadline passed.
	 * @param <T> the result
	 * @param <E> what the check may throw
	 * @param deadlineNanos the deadline on the monotonic clock
	 * @param check the check
	 * @return the result of the check that ended the wait
	 * @throws E if the check threw it
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	<T, E extends Exception> T await(long deadlineNanos, Check<T, E> check) throws E, InterruptedException {
		this.lock.lock();
		try {
			while (true) {
				long remaining = deadlineNanos - System.nanoTime();
				T result = check.check(remaining);
				if (result != null) {
					return result;
				}
				this.changed.awaitNanos(Math.min(Math.max(remaining, 1), MAX_WAIT_NANOS));
			}
		}
		finally {
			this.lock.unlock();
		}
	}

}
