package io.github.litestream.replication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.replica.ReplicaUploader;
import org.jspecify.annotations.Nullable;

/**
 * When the sync loop cuts the next L0 file (DESIGN 4.11), and what wakes it: commits in
 * this JVM, the WAL growing under another process, an uploader that finished a file, a
 * requested cut. It keeps whether commits wait to be cut and since when (for lag), and
 * the deadline of the next cut from the replicas' sync intervals.
 */
final class CutSchedule {

	private final ReplicatorConfig config;

	private final List<ReplicaUploader> uploaders;

	private final WalCutter cutter;

	/** Wakes the sync thread; also signalled by uploaders when they finish a file. */
	private final ReentrantLock signalLock = new ReentrantLock();

	private final Condition signal = this.signalLock.newCondition();

	/** Counts wake-ups, guarded by {@link #signalLock}. */
	private long wakeups;

	private volatile @Nullable Instant dirtySince;

	private volatile boolean dirty;

	private volatile boolean syncRequested;

	private long lastCutNanos;

	private long lastWalSize = -2;

	/** Size of the WAL file at the last cut; growth past it counts appended frames. */
	private long walSizeAtCut;

	private @Nullable FileTime lastWalModified;

	CutSchedule(ReplicatorConfig config, List<ReplicaUploader> uploaders, WalCutter cutter) {
		this.config = config;
		this.uploaders = uploaders;
		this.cutter = cutter;
	}

	/** A transaction committed in this JVM: cut without waiting for the monitor poll. */
	void commitSeen() {
		markDirty();
		wake();
	}

	/** Asks for a cut on the next pass whatever the cadence, and wakes the loop. */
	void requestCut() {
		this.syncRequested = true;
	}

	/**
	 * Whether the loop cuts now: a cut was requested, or commits wait and the deadline
	 * passed. Consumes the request.
	 */
	boolean cutDue() {
		boolean requested = this.syncRequested;
		boolean due = requested || (this.dirty && System.nanoTime() - cutDeadline() >= 0);
		if (requested) {
			this.syncRequested = false;
		}
		return due;
	}

	/**
	 * Takes the commits waiting to be cut.
	 * @return the time of the oldest of them, or now when none was seen
	 */
	Instant takeChanges() {
		Instant changedAt = (this.dirtySince != null) ? this.dirtySince : this.config.clock().instant();
		this.dirty = false;
		this.dirtySince = null;
		return changedAt;
	}

	/** The time of the oldest commit not yet cut, or {@code null} when none waits. */
	@Nullable Instant dirtySince() {
		return this.dirty ? this.dirtySince : null;
	}

	/** Sleeps for {@code pause} unless woken (after a failed pass). */
	void pause(Duration pause) throws InterruptedException {
		awaitSignal(pause.toNanos(), wakeups());
	}

	/**
	 * Sleeps until a cut is due (its deadline, a requested cut), the monitor interval
	 * passed, or a wake-up came; never for zero time while nothing is due.
	 */
	void awaitWork() throws InterruptedException {
		// Read before checking the conditions: a wake-up in between is then not lost.
		long seen = wakeups();
		if (this.syncRequested) {
			return;
		}
		long wait = this.config.monitorInterval().toNanos();
		if (this.dirty) {
			// Zero only when the cut is due now, and the cut then clears the dirty flag.
			wait = Math.min(wait, cutDeadline() - System.nanoTime());
		}
		if (wait > 0) {
			awaitSignal(wait, seen);
		}
	}

	private long wakeups() {
		this.signalLock.lock();
		try {
			return this.wakeups;
		}
		finally {
			this.signalLock.unlock();
		}
	}

	private void awaitSignal(long nanos, long seen) throws InterruptedException {
		this.signalLock.lock();
		try {
			if (this.wakeups == seen) {
				this.signal.awaitNanos(nanos);
			}
		}
		finally {
			this.signalLock.unlock();
		}
	}

	void wake() {
		this.signalLock.lock();
		try {
			this.wakeups++;
			this.signal.signalAll();
		}
		finally {
			this.signalLock.unlock();
		}
	}

	private void markDirty() {
		if (!this.dirty) {
			this.dirtySince = this.config.clock().instant();
			this.dirty = true;
		}
	}

	/**
	 * The shortest sync interval over all replicas; without replicas, the monitor
	 * interval.
	 */
	long minSyncIntervalNanos() {
		long min = Long.MAX_VALUE;
		for (ReplicaUploader uploader : this.uploaders) {
			min = Math.min(min, uploader.syncInterval().toNanos());
		}
		return (min == Long.MAX_VALUE) ? this.config.monitorInterval().toNanos() : min;
	}

	/**
	 * When the next L0 file may be cut (DESIGN section 4.11): once per upload
	 * opportunity, so not before the shortest sync interval has passed since the previous
	 * cut. In eager mode the cut also waits while an eager replica still has files to
	 * upload, so commits coalesce under load; the uploader's wake-up ends that wait. But
	 * a slow or failing replica never stops local cuts, and with them checkpoints: at the
	 * latest one monitor interval after the previous cut, the next one is due.
	 */
	private long cutDeadline() {
		long deadline = this.lastCutNanos + minSyncIntervalNanos();
		for (ReplicaUploader uploader : this.uploaders) {
			if (uploader.syncInterval().isZero() && uploader.hasPending()) {
				if (this.lastWalSize - this.walSizeAtCut >= this.config.minCheckpointPageCount()
						* this.cutter.frameSize()) {
					// A checkpoint's worth of frames was appended since the cut: waiting
					// longer would only let the WAL grow past the checkpoint threshold.
					return deadline;
				}
				long bounded = this.lastCutNanos + this.config.monitorInterval().toNanos();
				return (bounded - deadline > 0) ? bounded : deadline;
			}
		}
		return deadline;
	}

	/**
	 * Notices commits made by other processes: the WAL file's size or modification time
	 * changed. Reading attributes opens no descriptor.
	 */
	void pollWal() {
		long size;
		FileTime modified;
		try {
			size = Files.size(this.config.walPath());
			modified = Files.getLastModifiedTime(this.config.walPath());
		}
		catch (IOException ex) {
			size = -1;
			modified = null;
		}
		if (size != this.lastWalSize || (modified != null && !modified.equals(this.lastWalModified))) {
			this.lastWalSize = size;
			this.lastWalModified = modified;
			markDirty();
		}
	}

	/** Records a cut attempt, also one that found nothing committed. */
	void markCut() {
		this.lastCutNanos = System.nanoTime();
		this.walSizeAtCut = walSize();
	}

	long walSize() {
		try {
			return Files.size(this.config.walPath());
		}
		catch (IOException ex) {
			return 0;
		}
	}

}
