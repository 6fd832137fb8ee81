package io.github.litestream.replication;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import io.github.litestream.replica.ReplicaUploader;
import org.jspecify.annotations.Nullable;

/**
 * The callers of one database that wait until their commit is on every replica (issue 19,
 * item 7). A caller registers after its commit returned; the first L0 cut that reads the
 * WAL after the registration covers that commit, so the TXID the caller waits for is the
 * local TXID once that cut is done: the cut's own file, or, when the WAL held nothing
 * uncut, the newest file before it. Nothing here starts a cut: the caller only marks the
 * engine dirty, and the cut comes at the regular cadence (at once in eager mode). Then
 * the caller waits on each replica's position, which only an upload moves, so a fenced
 * lease or a failing replica makes the wait time out; it never reports success for a TXID
 * a replica does not hold.
 */
final class CommitWaiters {

	private final String database;

	private final List<ReplicaUploader> uploaders;

	private final ReentrantLock lock = new ReentrantLock();

	/** Waiters no cut has started for yet, guarded by {@link #lock}. */
	private List<CompletableFuture<Long>> pending = new ArrayList<>();

	CommitWaiters(String database, List<ReplicaUploader> uploaders) {
		this.database = database;
		this.uploaders = uploaders;
	}

	/**
	 * Waits until a commit that returned before the call is on every replica.
	 * @param timeout how long to wait at most
	 * @param markDirty tells the sync loop that a cut is wanted at its next regular
	 * opportunity
	 * @return the TXID waited for
	 * @throws ReplicationTimeoutException if a replica did not hold it in time
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	long await(Duration timeout, Runnable markDirty) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		CompletableFuture<Long> cut = new CompletableFuture<>();
		this.lock.lock();
		try {
			this.pending.add(cut);
		}
		finally {
			this.lock.unlock();
		}
		// After the registration: a cut that cleared the dirty flag before it then still
		// sees this waiter when it ends (cutStarting/cutEnded)
		markDirty.run();
		long txid;
		try {
			txid = cut.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			forget(cut);
			throw new ReplicationTimeoutException(this.database, -1, null, -1, null, timeout);
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException(ex.getCause());
		}
		catch (InterruptedException ex) {
			forget(cut);
			throw ex;
		}
		for (ReplicaUploader uploader : this.uploaders) {
			if (!uploader.awaitPosition(txid, deadline)) {
				throw new ReplicationTimeoutException(this.database, txid, uploader.name(), uploader.position(),
						why(uploader), timeout);
			}
		}
		return txid;
	}

	private static @Nullable String why(ReplicaUploader uploader) {
		String lease = uploader.lease().status().detail();
		if (lease != null && !uploader.lease().mayWrite()) {
			return "nothing is written to it: " + lease;
		}
		if (uploader.isRefused()) {
			return "nothing is written to it: it holds a history this database does not continue";
		}
		String error = uploader.status(Instant.now()).lastError();
		return (error != null) ? "last upload failed: " + error : null;
	}

	private void forget(CompletableFuture<Long> cut) {
		this.lock.lock();
		try {
			this.pending.remove(cut);
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Runs one cut for the waiters registered so far. Must be called after the cut
	 * schedule's dirty flag was cleared and before the WAL is read: a waiter that
	 * registers later marks the schedule dirty again, or is found pending here when the
	 * cut ends.
	 * @param cut the cut
	 * @param txid the newest local TXID once the cut is done
	 * @param markDirty asks for another cut when waiters remain
	 * @return what the cut returned
	 * @throws IOException if the cut failed; its waiters wait for the next one
	 */
	<T> @Nullable T around(Cut<T> cut, LongSupplier txid, Runnable markDirty) throws IOException {
		List<CompletableFuture<Long>> covered = cutStarting();
		Long cutTxid = null;
		try {
			T result = cut.run();
			cutTxid = txid.getAsLong();
			return result;
		}
		finally {
			if (cutEnded(covered, cutTxid)) {
				markDirty.run();
			}
		}
	}

	/** A cut of an L0 file. */
	@FunctionalInterface
	interface Cut<T> {

		@Nullable T run() throws IOException;

	}

	/**
	 * Called by a cut after it cleared the dirty flag and before it reads the WAL: every
	 * waiter registered so far is covered by it.
	 * @return the waiters this cut covers
	 */
	private List<CompletableFuture<Long>> cutStarting() {
		this.lock.lock();
		try {
			if (this.pending.isEmpty()) {
				return List.of();
			}
			List<CompletableFuture<Long>> covered = this.pending;
			this.pending = new ArrayList<>();
			return covered;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Called when a cut ended.
	 * @param covered what {@link #cutStarting()} returned
	 * @param txid the local TXID after the cut, or {@code null} when the cut failed (its
	 * waiters then wait for the next one)
	 * @return whether waiters remain for the next cut (the caller marks the engine dirty)
	 */
	private boolean cutEnded(List<CompletableFuture<Long>> covered, @Nullable Long txid) {
		if (txid != null) {
			covered.forEach((waiter) -> waiter.complete(txid));
		}
		this.lock.lock();
		try {
			if (txid == null) {
				this.pending.addAll(covered);
			}
			return !this.pending.isEmpty();
		}
		finally {
			this.lock.unlock();
		}
	}

}
