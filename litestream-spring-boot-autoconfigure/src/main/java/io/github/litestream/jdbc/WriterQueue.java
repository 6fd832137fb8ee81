package io.github.litestream.jdbc;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The application's writers of one database, served in arrival order (DESIGN 4.17).
 * <p>
 * With {@code transaction_mode=IMMEDIATE} (or {@code EXCLUSIVE}) every transaction takes
 * SQLite's write lock at its {@code BEGIN}. SQLite's busy handler lets the waiting
 * connections retry after growing sleeps (up to 100 ms each) and gives the lock to
 * whichever retries first after it is free, not to the one that waited longest: with a
 * pool of ten writers, one of them can lose every round until its busy timeout ends and
 * its transaction fails, although the database was never busy for that long. Queueing the
 * writers of this process here, first come first served, before their {@code BEGIN},
 * leaves SQLite's busy handler only the waits it is good at: the engine's checkpoint
 * barrier and other processes.
 * <p>
 * A writer waits here at most its connection's busy timeout, as it would in SQLite, and
 * then fails with {@code SQLITE_BUSY}; a thread that opens a second write transaction
 * while its first one is open (a nested {@code REQUIRES_NEW}) so fails after that
 * timeout, exactly as SQLite would make it fail, instead of waiting for ever.
 */
final class WriterQueue {

	/** SQLite's result code for a database that stayed locked. */
	static final int SQLITE_BUSY = 5;

	private final String database;

	private final Semaphore turn = new Semaphore(1, true);

	WriterQueue(String database) {
		this.database = database;
	}

	/**
	 * Waits for this writer's turn.
	 * @param timeout how long to wait at most (the connection's busy timeout)
	 * @throws SQLException with {@code SQLITE_BUSY} when the turn did not come in time
	 */
	void enter(Duration timeout) throws SQLException {
		boolean entered;
		try {
			entered = this.turn.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new SQLException(
					"Interrupted while waiting to begin a write transaction on database '" + this.database + "'",
					"HY008", ex);
		}
		if (!entered) {
			throw new SQLException(
					"[SQLITE_BUSY] The database file is locked (database is locked): the "
							+ "transactions of other writers of database '" + this.database + "' in this application "
							+ "held it longer than the busy timeout (" + timeout.toMillis() + " ms)",
					null, SQLITE_BUSY);
		}
	}

	/** Ends this writer's turn; the next writer in line begins. */
	void leave() {
		this.turn.release();
	}

}
