package io.github.litestream.ownership;

import io.github.litestream.ownership.ReplicaLease.State;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one replica's lease as the rest of the engine sees it
 * ({@link ReplicaLease.State}), with the lease last seen and why it is not held, and one
 * method per transition. Each transition is logged once, told to the
 * {@link OwnershipListener} and to the database's ownership, and wakes whoever waits on
 * the lease. {@link ReplicaLease}'s loop decides which transition a read or a write calls
 * for; this class only keeps the result, so that the writers' gate ({@link #mayWrite()}),
 * status and waits all read one state.
 * <p>
 * Written on the lease thread, and by {@link #conflict(String)} from an uploader; read
 * from any thread (the fields other threads read are volatile).
 */
final class LeaseStateMachine {

	private static final Logger logger = LoggerFactory.getLogger(ReplicaLease.class);

	/**
	 * Why a contender does not hold the lease yet: a live holder ({@code HOLDER}), or a
	 * lease that cannot be read or is not a lease ({@code UNREADABLE}).
	 */
	private enum Obstacle {

		NONE, HOLDER, UNREADABLE

	}

	private final String database;

	private final String replica;

	private final ReplicaClient client;

	private final LeaseConfig config;

	private final OwnershipListener listener;

	private final Runnable onChange;

	private final LeaseThread thread;

	private volatile State state;

	/** The lease last seen: this engine's while it holds it, otherwise the other's. */
	private volatile @Nullable LeaseRecord record;

	/** Why the lease is not held, for status and messages. */
	private volatile @Nullable String detail;

	private volatile Obstacle obstacle = Obstacle.NONE;

	/** When writing must stop, on the monotonic clock; valid while {@code HELD}. */
	private volatile long validUntilNanos;

	/** Incremented by every acquisition, so writers know to read the replica again. */
	private volatile long term;

	/** Failed attempts in a row to reach the lease object. */
	private int failures;

	/** The last failure to reach the lease object, while it cannot be read. */
	private volatile @Nullable Exception lastFailure;

	/** The holder (or reason) last logged as waited for: logged once each. */
	private @Nullable String waitingFor;

	LeaseStateMachine(String database, String replica, ReplicaClient client, LeaseConfig config,
			OwnershipListener listener, Runnable onChange, LeaseThread thread) {
		this.database = database;
		this.replica = replica;
		this.client = client;
		this.config = config;
		this.listener = listener;
		this.onChange = onChange;
		this.thread = thread;
		this.state = config.enabled() ? State.WAITING : State.DISABLED;
	}

	State state() {
		return this.state;
	}

	@Nullable LeaseRecord record() {
		return this.record;
	}

	long term() {
		return this.term;
	}

	long validUntilNanos() {
		return this.validUntilNanos;
	}

	/**
	 * Whether the engine may write to the replica now.
	 * @return whether leases are disabled, or the lease is held and not past its fencing
	 * bound
	 */
	boolean mayWrite() {
		State current = this.state;
		return current == State.DISABLED || (current == State.HELD && System.nanoTime() - this.validUntilNanos < 0);
	}

	/**
	 * Whether writing stopped because the lease could not be renewed in time.
	 * @return whether fenced
	 */
	boolean isFenced() {
		return this.state == State.FENCED || (this.state == State.HELD && !mayWrite());
	}

	/**
	 * Whether a contender cannot read the lease, or it is not a lease.
	 * @return whether the lease is unreadable
	 */
	boolean unreadable() {
		return this.obstacle == Obstacle.UNREADABLE;
	}

	/**
	 * Returns the last failure to reach the lease object, while it cannot be reached.
	 * @return the failure, or {@code null}
	 */
	@Nullable Exception lastFailure() {
		return this.lastFailure;
	}

	LeaseStatus status() {
		State current = this.state;
		if (current == State.DISABLED) {
			return LeaseStatus.DISABLED;
		}
		LeaseRecord seen = this.record;
		boolean held = current == State.HELD || current == State.FENCED;
		return new LeaseStatus(current.name(), (seen != null) ? seen.owner() : null, held,
				(seen != null) ? seen.generation() : 0, (seen != null) ? seen.expiresAt() : null,
				(current == State.HELD) ? null : describe());
	}

	String describe() {
		String why = this.detail;
		return switch (this.state) {
			case DISABLED -> "leases are disabled";
			case HELD -> "the lease is held";
			case WAITING -> "waiting for the lease" + ((why != null) ? " (" + why + ")" : "");
			case FENCED -> "the lease was not renewed in time" + ((why != null) ? " (" + why + ")" : "");
			case CONFLICT -> "conflict: " + why;
			case STOPPED -> "stopped";
		};
	}

	// ---------------------------------------------------------------- transitions

	/**
	 * {@code WAITING} or {@code FENCED} to {@code HELD}: this engine's lease was written.
	 * @param mine the lease written
	 * @param sentNanos when the write was sent: the fencing bound counts from it
	 * @param why why it was taken although live, or {@code null}
	 */
	void held(LeaseRecord mine, long sentNanos, @Nullable String why) {
		boolean fenced = this.state == State.FENCED;
		this.record = mine;
		this.validUntilNanos = sentNanos + this.config.fenceAfter().toNanos();
		this.failures = 0;
		this.lastFailure = null;
		this.detail = null;
		this.term++;
		this.obstacle = Obstacle.NONE;
		this.state = State.HELD;
		logger.info("Database '{}' holds the lease of replica '{}' ({}), generation {}, until {}{}", this.database,
				this.replica, this.client.leaseLocation(), mine.generation(), mine.expiresAt(),
				fenced ? " (taken again after it was not renewed in time)" : (why != null) ? " (" + why + ")" : "");
		this.listener.onLeaseAcquired(this.database, this.replica, status());
		this.onChange.run();
		this.thread.signal();
	}

	/**
	 * Records this engine's lease as it stands in the store now (renewed, released, or
	 * read back after a contender annotated it), without a change of state.
	 * @param mine the lease
	 */
	void record(LeaseRecord mine) {
		this.record = mine;
	}

	/**
	 * {@code HELD} stays {@code HELD}: a renewal was written; the fencing bound moves.
	 * @param renewed the lease written
	 * @param sentNanos when the write was sent
	 */
	void renewed(LeaseRecord renewed, long sentNanos) {
		this.record = renewed;
		this.validUntilNanos = sentNanos + this.config.fenceAfter().toNanos();
		if (this.failures > 0) {
			logger.info("Renewed the lease of replica '{}' of database '{}' after {} failed attempts", this.replica,
					this.database, this.failures);
		}
		this.failures = 0;
	}

	/**
	 * {@code HELD} to {@code FENCED}: not renewed within the fencing bound.
	 * @param why why, for status and the log
	 */
	void fence(String why) {
		if (this.state != State.HELD) {
			return;
		}
		this.state = State.FENCED;
		this.detail = why;
		logger.warn(
				"Database '{}' stops writing replica '{}': its lease was not renewed within {} ms ({}); it takes "
						+ "the lease again once the replica answers",
				this.database, this.replica, this.config.fenceAfter().toMillis(), why);
		this.listener.onLeaseLost(this.database, this.replica, "not renewed in time: " + why);
		this.onChange.run();
	}

	/**
	 * {@code HELD} or {@code FENCED} to {@code WAITING}: another instance took the lease.
	 * @param current the lease found, or {@code null}
	 * @param why why, for status and the log
	 */
	void lose(@Nullable LeaseRecord current, String why) {
		this.state = State.WAITING;
		this.record = current;
		this.detail = why;
		logger.warn("Database '{}' lost the lease of replica '{}': {}; nothing more is written to it until the lease "
				+ "is taken again", this.database, this.replica, why);
		this.listener.onLeaseLost(this.database, this.replica, why);
		this.onChange.run();
		this.thread.signal();
	}

	/**
	 * Stays (or, from {@code FENCED} when another instance holds it, becomes)
	 * {@code WAITING}: the lease is another's, or unreadable. Logged once per holder, not
	 * at each of its renewals.
	 * @param other the other holder's lease, or {@code null} when unreadable
	 * @param why why, for status and the log
	 */
	void waitFor(@Nullable LeaseRecord other, String why) {
		if (this.state == State.FENCED && other != null) {
			// Another instance holds it now: this one is a contender again
			this.state = State.WAITING;
		}
		String waitingFor = (other != null) ? other.owner() + "/" + other.instance() + "/" + other.generation() : why;
		boolean changed = !waitingFor.equals(this.waitingFor);
		this.waitingFor = waitingFor;
		this.record = other;
		this.detail = why;
		this.failures = 0;
		this.lastFailure = null;
		this.obstacle = (other != null) ? Obstacle.HOLDER : Obstacle.UNREADABLE;
		this.thread.signal();
		if (changed) {
			logger.info("Database '{}' waits for the lease of replica '{}': {}; nothing is written to it meanwhile",
					this.database, this.replica, why);
		}
	}

	/**
	 * Records a failure to reach the lease object (logged at the first of a row); a
	 * contender's lease becomes unreadable.
	 * @param action what failed ("read", "renew", ...)
	 * @param ex the failure
	 * @return how long to wait before the next attempt: capped exponential backoff
	 */
	long failed(String action, Exception ex) {
		this.failures++;
		this.lastFailure = ex;
		String message = action + " failed: " + ex.getMessage();
		if (this.failures == 1) {
			logger.warn("Could not {} the lease of replica '{}' ({}) of database '{}', retrying: {}", action,
					this.replica, this.client.leaseLocation(), this.database, ex.getMessage());
		}
		if (this.state != State.HELD) {
			this.detail = message;
			this.obstacle = Obstacle.UNREADABLE;
			this.thread.signal();
		}
		return Math.min(this.config.renewInterval().toNanos(),
				ReplicaLease.MIN_RETRY_NANOS << Math.min(this.failures - 1, 10));
	}

	/**
	 * Any state but {@code CONFLICT} and {@code STOPPED} to {@code CONFLICT}: the replica
	 * holds a file this engine did not write. The lease thread ends.
	 * @param message what was met, for status and the log
	 */
	void conflict(String message) {
		State before = this.state;
		if (before == State.CONFLICT || before == State.STOPPED) {
			return;
		}
		this.state = State.CONFLICT;
		this.detail = message;
		logger.error("Replica '{}' of database '{}' holds a file this engine did not write: {}. Nothing more is "
				+ "written to it until the application restarts.", this.replica, this.database, message);
		if (before == State.HELD || before == State.FENCED) {
			this.listener.onLeaseLost(this.database, this.replica, message);
		}
		this.thread.halt();
		this.onChange.run();
	}

	/**
	 * A held lease without a version to renew it over: {@code WAITING}, taken again.
	 */
	void waiting() {
		this.state = State.WAITING;
	}

	/**
	 * Any state but {@code DISABLED} to {@code STOPPED}: after the last write.
	 */
	void stopped() {
		if (this.state != State.DISABLED) {
			this.state = State.STOPPED;
		}
	}

}
