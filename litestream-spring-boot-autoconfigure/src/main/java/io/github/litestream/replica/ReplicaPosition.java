package io.github.litestream.replica;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The TXID one replica is known to hold, the waits on it, and the wake-ups of its
 * uploader, under one lock and condition: a new position wakes whoever waits for it, and
 * a wake-up that arrives between the uploader's check of its work and its wait is
 * counted, so it is never lost. Apart from {@link ReplicaUploader} because callers on
 * other threads (the engine's stop, durable acknowledgements) wait here while the
 * uploader decides what to send.
 */
final class ReplicaPosition {

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition changed = this.lock.newCondition();

	private volatile long txid = -1;

	/** Counts wake-ups, guarded by {@link #lock}. */
	private long wakeups;

	/**
	 * Returns the highest TXID the replica is known to hold.
	 * @return the TXID, or -1 while unknown
	 */
	long get() {
		return this.txid;
	}

	/**
	 * Sets the replica's position and wakes its waiters.
	 * @param txid the TXID, or -1 when it must be read again
	 */
	void set(long txid) {
		this.lock.lock();
		try {
			this.txid = txid;
			this.changed.signalAll();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Waits until the replica holds {@code txid}.
	 * @param txid the TXID
	 * @param deadlineNanos the deadline on {@link System#nanoTime()}
	 * @return whether it did before the deadline
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	boolean awaitAtLeast(long txid, long deadlineNanos) throws InterruptedException {
		this.lock.lock();
		try {
			while (this.txid < txid) {
				long remaining = deadlineNanos - System.nanoTime();
				if (remaining <= 0) {
					return false;
				}
				this.changed.awaitNanos(remaining);
			}
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Wakes the uploader (a file was cut, the lease changed, or it stops).
	 */
	void wake() {
		this.lock.lock();
		try {
			this.wakeups++;
			this.changed.signalAll();
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Returns the wake-ups so far; read before the uploader checks for work.
	 * @return the count
	 */
	long wakeups() {
		this.lock.lock();
		try {
			return this.wakeups;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Waits unless a wake-up arrived since {@code seen} was read: a wake-up between the
	 * caller's check of its condition and this wait is not lost.
	 * @param nanos how long to wait at most
	 * @param seen the wake-ups read before the check
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	void await(long nanos, long seen) throws InterruptedException {
		this.lock.lock();
		try {
			if (nanos > 0 && this.wakeups == seen) {
				this.changed.awaitNanos(nanos);
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Waits out a backoff; new files do not shorten it, only a stop does.
	 * @param nanos the backoff
	 * @param running whether the uploader still runs
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	void backoff(long nanos, BooleanSupplier running) throws InterruptedException {
		long deadline = System.nanoTime() + nanos;
		this.lock.lock();
		try {
			long remaining;
			while (running.getAsBoolean() && (remaining = deadline - System.nanoTime()) > 0) {
				this.changed.awaitNanos(remaining);
			}
		}
		finally {
			this.lock.unlock();
		}
	}

}
