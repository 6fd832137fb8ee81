package io.github.litestream.restore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.github.litestream.storage.LtxFileInfo;
import org.jspecify.annotations.Nullable;

/**
 * The replica files that restores in progress in this JVM are going to read, so that
 * retention running at the same time skips them (issue 3, item 4).
 * <p>
 * A restore {@link #begin(String) begins} before it lists the replica: until it has a
 * plan, retention on that location deletes nothing. Once it has
 * {@link Reservation#plan(Collection) planned}, only the planned files are protected.
 * Retention deletes through {@link #deleteUnreserved}, which marks the location while it
 * deletes, so a restore never lists a file that retention is deleting at that moment.
 * Restores in other processes are not visible here; they re-plan when a planned file
 * vanished.
 * <p>
 * One JVM-wide instance ({@link #jvm()}) is shared by default, because a replica location
 * is a resource of the process rather than of one replicator or {@link Restorer}: a
 * restore run from the actuator endpoint must be seen by the replicator that compacts the
 * same location.
 */
public final class RestoreReservations {

	private static final RestoreReservations JVM = new RestoreReservations();

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition released = this.lock.newCondition();

	private final List<Reservation> active = new ArrayList<>();

	/** Locations a retention delete is running on, guarded by {@link #lock}. */
	private final Set<String> deleting = new HashSet<>();

	/**
	 * Returns the instance shared by every restorer and replicator of this JVM.
	 */
	public static RestoreReservations jvm() {
		return JVM;
	}

	/**
	 * Starts protecting a location for a restore that is about to list it.
	 * @param location the replica location ({@code ReplicaClient.location()})
	 * @return the reservation; close it when the restore ends
	 */
	public Reservation begin(String location) {
		this.lock.lock();
		try {
			awaitNoDeletion(location);
			Reservation reservation = new Reservation(location);
			this.active.add(reservation);
			return reservation;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Whether a restore in progress may read this file.
	 */
	public boolean isReserved(String location, LtxFileInfo file) {
		this.lock.lock();
		try {
			return reservedLocked(location, file);
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Deletes the candidates no restore in progress needs. The lock is held only to
	 * choose them and to mark the location as being deleted from, never across the delete
	 * requests themselves: a slow replica must not hold up restores and retention
	 * elsewhere in the process. A restore that begins on the location meanwhile waits in
	 * {@link #begin(String)} until the delete has finished, so it never lists a file that
	 * is being deleted.
	 * @return the files that were deleted
	 */
	public List<LtxFileInfo> deleteUnreserved(String location, Collection<LtxFileInfo> candidates, Deleter deleter)
			throws IOException {
		List<LtxFileInfo> deletable = new ArrayList<>();
		this.lock.lock();
		try {
			awaitNoDeletion(location);
			for (LtxFileInfo file : candidates) {
				if (!reservedLocked(location, file)) {
					deletable.add(file);
				}
			}
			if (deletable.isEmpty()) {
				return deletable;
			}
			this.deleting.add(location);
		}
		finally {
			this.lock.unlock();
		}
		try {
			deleter.delete(deletable);
			return deletable;
		}
		finally {
			this.lock.lock();
			try {
				this.deleting.remove(location);
				this.released.signalAll();
			}
			finally {
				this.lock.unlock();
			}
		}
	}

	/**
	 * Waits, holding the lock, until no delete runs on the location.
	 */
	private void awaitNoDeletion(String location) {
		boolean interrupted = false;
		while (this.deleting.contains(location)) {
			try {
				this.released.await();
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Waits until no restore holds a reservation on the location; for tests.
	 */
	public boolean awaitIdle(String location, long timeout, TimeUnit unit) throws InterruptedException {
		long deadline = System.nanoTime() + unit.toNanos(timeout);
		this.lock.lock();
		try {
			while (this.active.stream().anyMatch((r) -> r.location.equals(location))) {
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					return false;
				}
				this.released.awaitNanos(remaining);
			}
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	private boolean reservedLocked(String location, LtxFileInfo file) {
		for (Reservation reservation : this.active) {
			if (reservation.location.equals(location)
					&& (reservation.files == null || reservation.files.contains(key(file)))) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Level and TXID range identify a file; size and timestamp may differ between
	 * listings.
	 */
	private static String key(LtxFileInfo file) {
		return file.level() + "/" + file.fileName();
	}

	/**
	 * Deletes files from a replica.
	 */
	@FunctionalInterface
	public interface Deleter {

		void delete(List<LtxFileInfo> files) throws IOException;

	}

	/**
	 * One restore's claim on a location.
	 */
	public final class Reservation implements AutoCloseable {

		private final String location;

		/** {@code null} while planning: everything on the location is protected. */
		private @Nullable Set<String> files;

		private Reservation(String location) {
			this.location = location;
		}

		/**
		 * Narrows the reservation to the planned files.
		 */
		public void plan(Collection<LtxFileInfo> planned) {
			Set<String> keys = new HashSet<>();
			for (LtxFileInfo file : planned) {
				keys.add(key(file));
			}
			RestoreReservations.this.lock.lock();
			try {
				this.files = keys;
			}
			finally {
				RestoreReservations.this.lock.unlock();
			}
		}

		/**
		 * Protects the whole location again, while the restore lists and plans anew.
		 */
		void replan() {
			RestoreReservations.this.lock.lock();
			try {
				this.files = null;
			}
			finally {
				RestoreReservations.this.lock.unlock();
			}
		}

		@Override
		public void close() {
			RestoreReservations.this.lock.lock();
			try {
				RestoreReservations.this.active.remove(this);
				RestoreReservations.this.released.signalAll();
			}
			finally {
				RestoreReservations.this.lock.unlock();
			}
		}

	}

}
