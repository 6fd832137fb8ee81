package io.github.litestream.ownership;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.github.litestream.storage.LeaseConflictException;
import io.github.litestream.storage.LeaseObject;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import org.jspecify.annotations.Nullable;

/**
 * The lease of one replica (DESIGN 4.14): the right of one engine at a time to write it,
 * kept in the replica itself as the lease object {@code lock.json} ({@link LeaseRecord})
 * and changed only with the conditional writes of {@link ReplicaClient}: created with
 * {@link ReplicaClient#createLease} (S3 {@code If-None-Match: *}), renewed, released and
 * taken over with {@link ReplicaClient#replaceLease} ({@code If-Match: <ETag>}).
 * <p>
 * Its own thread ({@code litestream-<db>-lease-<replica>}) acquires the lease when there
 * is none or it expired or was released (a new generation: the epoch), then renews it
 * every renew interval. The engine writes to the replica only while {@link #mayWrite()}:
 * the lease is held and, on the monotonic clock ({@link System#nanoTime()}), less than
 * {@link LeaseConfig#fenceAfter()} has passed since the last successful acquisition or
 * renewal was sent. Others see the lease expire a third of the TTL later, by their wall
 * clocks: that margin covers clock skew and a write in flight. A holder that cannot renew
 * is therefore {@code FENCED} before its lease can expire; it takes the lease again as a
 * new holder (a new generation) once the replica answers, and the engine then reads the
 * replica's position again ({@link #term()}).
 * <p>
 * The safety of a take-over rests on the store replacing the lease object atomically
 * under {@code If-Match}, as AWS S3 and the file replica do; releases write an expired
 * lease with {@code If-Match} rather than deleting it, so generations keep rising.
 * <p>
 * This class is the loop: it decides, at each wake-up, whether to acquire, renew or
 * release, and which transition the answer calls for. The parts it drives, one concern
 * each: {@link LeaseStateMachine} (the state others read, one method per transition),
 * {@link LeaseWrites} (the conditional writes and a write whose answer was lost),
 * {@link LeaseContest} (whether a contender may take another's lease now),
 * {@link HandoverRequests} (asking a holder to hand over, and being asked),
 * {@link SupplantWatch} (another instance held it after this engine) and
 * {@link LeaseThread} (the thread and the waits).
 */
public final class ReplicaLease {

	/** Shortest pause before reading a lease again after a conflict or failure. */
	static final long MIN_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

	/** Longest time between two reads of a lease this engine asked to be handed over. */
	private static final long HANDOVER_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

	enum State {

		DISABLED, WAITING, HELD, FENCED, CONFLICT, STOPPED

	}

	private final String database;

	private final String replica;

	private final ReplicaClient client;

	private final LeaseConfig config;

	private final Identity identity;

	private final Clock clock;

	/** The lease thread, and the condition that every change of state signals. */
	private final LeaseThread thread;

	/** The state others read, and its transitions. */
	private final LeaseStateMachine lease;

	/** The version of this engine's lease in the store, while it holds it. */
	private @Nullable String version;

	/** When the lease thread next reads or writes the lease object, monotonic clock. */
	private long nextAttemptNanos;

	/**
	 * Set when a waiting engine starts asking for a handover: its request goes out at
	 * once rather than after the wait its first read scheduled.
	 */
	private volatile boolean attemptNow;

	/** Asking a holder to hand over, and being asked. */
	private final HandoverRequests handover;

	/** The reads and conditional writes of the lease object. */
	private final LeaseWrites writes;

	/** A holder: the TXID every replica holds, written into the released lease. */
	private volatile @Nullable Long releaseTxid;

	/** Whether another instance held the lease after this engine did. */
	private final SupplantWatch supplanted;

	/** A contender: whether it may take another instance's lease now. */
	private final LeaseContest contest;

	/** A successor: the final TXID of the released lease it took. */
	private volatile @Nullable Long predecessorFinalTxid;

	ReplicaLease(String database, Clock clock, LeaseConfig config, String replica, ReplicaClient client,
			Identity identity, OwnershipListener listener, Runnable onChange) {
		this.database = database;
		this.clock = clock;
		this.replica = replica;
		this.client = client;
		this.config = config;
		this.identity = identity;
		this.handover = new HandoverRequests(database, replica, client, config, clock, identity);
		this.supplanted = new SupplantWatch(database, replica, identity.instance());
		this.contest = new LeaseContest(config, identity);
		this.writes = new LeaseWrites(database, replica, client, identity.instance());
		this.thread = new LeaseThread("litestream-" + database + "-lease-" + replica);
		this.lease = new LeaseStateMachine(database, replica, client, config, listener, onChange, this.thread);
	}

	/**
	 * Returns a lease that always allows writing (until a conflict), for writers used
	 * without a database's ownership (tests, tools).
	 * @param database the database name
	 * @param replica the replica name
	 * @param client the replica
	 * @return the lease
	 */
	public static ReplicaLease disabled(String database, String replica, ReplicaClient client) {
		return new ReplicaLease(database, Clock.systemUTC(), LeaseConfig.DISABLED, replica, client,
				new Identity("none", "none"), OwnershipListener.NO_OP, () -> {
				});
	}

	/**
	 * Makes a first attempt to acquire the lease on the calling thread, so an uncontended
	 * engine starts as the holder, then starts the lease thread.
	 */
	void start() {
		if (this.lease.state() != State.WAITING || this.thread.started()) {
			return;
		}
		this.thread.start(this::step, this::run);
	}

	/**
	 * Stops the lease thread and releases the lease if this engine holds it, so a
	 * successor need not wait for it to expire. Call after the last write.
	 */
	void stop() {
		this.thread.stop();
		State before = this.lease.state();
		if (before == State.HELD || before == State.FENCED || (before == State.CONFLICT && this.version != null)) {
			release();
		}
		this.lease.stopped();
	}

	/**
	 * Stops the lease thread without releasing the lease, as a process killed with
	 * SIGKILL leaves it. A test seam.
	 */
	void abandon() {
		this.thread.stop();
	}

	/**
	 * Whether the engine may write to the replica now.
	 * @return whether leases are disabled, or the lease is held and not past its fencing
	 * bound
	 */
	public boolean mayWrite() {
		return this.lease.mayWrite();
	}

	/**
	 * Whether this engine stopped writing because it could not renew in time and is still
	 * trying to take its untouched lease again.
	 * @return whether fenced
	 */
	public boolean isFenced() {
		return this.lease.isFenced();
	}

	/**
	 * Waits while {@link #isFenced()}: until the lease is held again, taken by another
	 * instance, or the deadline passes.
	 * @param deadlineNanos the deadline on the monotonic clock
	 * @return whether it is no longer fenced
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public boolean awaitNotFenced(long deadlineNanos) throws InterruptedException {
		return this.thread.<Boolean, RuntimeException>await(deadlineNanos,
				(remaining) -> !isFenced() ? Boolean.TRUE : (remaining <= 0) ? Boolean.FALSE : null);
	}

	/**
	 * Checks {@link #mayWrite()} right before a write request.
	 * @param what the write, for the message
	 * @throws LeaseNotHeldException if the engine may not write
	 */
	public void checkWrite(String what) throws LeaseNotHeldException {
		if (!mayWrite()) {
			throw new LeaseNotHeldException("Not writing " + what + " to replica '" + this.replica + "' of database '"
					+ this.database + "': " + this.lease.describe());
		}
	}

	/**
	 * Takes the lease before the application uses the database: waits while another live
	 * instance holds it, asking it to hand over when {@code request} is set (it does so
	 * at its next renewal), or until it releases or its lease is seen unchanged for a
	 * TTL. A lease that cannot be read is waited for too (DESIGN 4.14): a failed read is
	 * retried, never taken to mean that nobody holds it.
	 * @param timeout how long to wait
	 * @param request whether to ask the holder to hand over
	 * @return whether this engine holds the lease (or leases are disabled); {@code false}
	 * when it can never take it (a conflict, or stopped)
	 * @throws LeaseUnavailableException if the lease is not taken within the timeout
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	boolean awaitHeld(Duration timeout, boolean request) throws LeaseUnavailableException, InterruptedException {
		if (this.lease.state() == State.DISABLED) {
			return true;
		}
		boolean askingAlready = this.handover.asking();
		this.handover.asking(request);
		if (request && !askingAlready && this.thread.started()) {
			this.attemptNow = true;
			this.thread.signal();
		}
		try {
			start();
			long deadline = System.nanoTime() + timeout.toNanos();
			return this.thread.await(deadline, (remaining) -> {
				State current = this.lease.state();
				if (current == State.HELD) {
					return true;
				}
				if (current != State.WAITING && current != State.FENCED) {
					return false;
				}
				Exception failure = this.lease.lastFailure();
				if (this.lease.unreadable() && failure instanceof ReplicaException replicaFailure
						&& !replicaFailure.retryable()) {
					// Not a passing failure but a setting (credentials, bucket): waiting
					// cannot help, and nothing was taken for "nobody holds it"
					this.handover.asking(false);
					throw new LeaseUnavailableException(
							"Database '" + this.database + "' cannot read the lease of replica '" + this.replica + "' ("
									+ this.client.leaseLocation() + "): " + failure.getMessage(),
							failure);
				}
				if (remaining <= 0) {
					this.handover.asking(false);
					if (request) {
						this.handover.withdraw();
					}
					throw new LeaseUnavailableException("Database '" + this.database
							+ "' could not take the lease of replica '" + this.replica + "' ("
							+ this.client.leaseLocation() + ") within " + timeout.toSeconds() + "s: "
							+ this.lease.describe()
							+ (this.lease.unreadable()
									? "; the lease cannot be read, so another instance may hold it and this "
											+ "database is not served meanwhile"
									: request ? "; the holder did not hand over (is it an older version, or stuck?)"
											: ""));
				}
				return null;
			});
		}
		finally {
			// Only a starting instance asks: one that runs already serves its own state.
			this.handover.asking(false);
		}
	}

	/**
	 * Whether the lease object still carries a handover request of {@code requester}: a
	 * contender that gave up takes its request out, and must not be handed the database.
	 * @param requester the requester ({@code host:pid/instance})
	 * @return whether its request is in the lease
	 * @throws IOException if the lease cannot be read
	 */
	boolean requestedBy(String requester) throws IOException {
		return this.handover.requestedBy(requester);
	}

	/**
	 * Lets this lease take back at once a lease of this instance's previous run on the
	 * same disk, when the proofs of {@link TakeBack} hold. Set before {@link #start()}.
	 * @param takeBack the decision
	 */
	void takeBack(TakeBack takeBack) {
		this.contest.takeBack(takeBack);
	}

	/**
	 * Sets what happens when another instance turns out to hold (or to have held) the
	 * lease after this engine held it: the database here is no longer the newest state.
	 * Called once, on the lease thread.
	 * @param handler receives the other holder ({@code host:pid})
	 */
	void onSupplanted(Consumer<String> handler) {
		this.supplanted.onSupplanted(handler);
	}

	/**
	 * Returns the other instance that held the lease after this engine did, if any.
	 * @return its owner ({@code host:pid}), or {@code null}
	 */
	public @Nullable String supplantedBy() {
		return this.supplanted.supplantedBy();
	}

	/**
	 * Sets what a holder does when a contender asks for the lease: called on the lease
	 * thread at the renewal that finds the request, once per request (again after
	 * {@link #handoverDeclined()}).
	 * @param handler receives the requester ({@code host:pid/instance})
	 */
	void onHandoverRequested(Consumer<String> handler) {
		this.handover.onRequested(handler);
	}

	/**
	 * Lets a renewal pass a pending request on again, a TTL after a handover could not be
	 * completed (each attempt pauses the application's connections for up to the drain
	 * timeout, so attempts are spaced).
	 */
	void handoverDeclined() {
		this.handover.declined();
	}

	/**
	 * Sets the TXID the release writes as {@code final_txid}: every replica holds it, so
	 * a successor knows the state it must restore.
	 * @param txid the final TXID
	 */
	void releaseWith(long txid) {
		this.releaseTxid = txid;
	}

	/**
	 * Returns the final TXID of the released lease this engine took, if its holder wrote
	 * one.
	 * @return the TXID, or {@code null}
	 */
	@Nullable Long predecessorFinalTxid() {
		return this.predecessorFinalTxid;
	}

	/**
	 * Returns a number that changes whenever the lease is acquired anew; writers that saw
	 * another value must read the replica's position again before writing.
	 * @return the acquisition count; 0 while leases are disabled
	 */
	public long term() {
		return this.lease.term();
	}

	State state() {
		return this.lease.state();
	}

	/**
	 * Records that a different file was met under a name the engine was creating: two
	 * histories. The engine writes nothing more to this replica until it restarts, and
	 * releases the lease so that another instance can take it.
	 * @param message what was met, for status and logs
	 */
	public void conflict(String message) {
		this.lease.conflict(message);
	}

	/**
	 * Returns the lease as the engine's status reports it.
	 * @return the status
	 */
	public LeaseStatus status() {
		return this.lease.status();
	}

	// ---------------------------------------------------------------- thread

	private void run() {
		while (this.thread.running()) {
			step();
			long wait = this.nextAttemptNanos - System.nanoTime();
			if (this.lease.state() == State.HELD) {
				wait = Math.min(wait, this.lease.validUntilNanos() - System.nanoTime());
			}
			this.thread.pause(wait);
		}
		if (this.lease.state() == State.CONFLICT) {
			// Let another instance (perhaps the rightful writer) take it without waiting
			release();
		}
	}

	private void step() {
		long now = System.nanoTime();
		State current = this.lease.state();
		if (current == State.HELD && now - this.lease.validUntilNanos() >= 0) {
			this.lease.fence("the replica did not answer for " + this.config.fenceAfter().toMillis() + " ms");
			current = State.FENCED;
		}
		if (now - this.nextAttemptNanos < 0 && !this.attemptNow) {
			return;
		}
		this.attemptNow = false;
		if (current == State.HELD) {
			renew();
		}
		else if (current == State.WAITING || current == State.FENCED) {
			acquire();
		}
	}

	// ---------------------------------------------------------------- protocol

	private void acquire() {
		LeaseObject stored;
		try {
			stored = this.writes.read();
		}
		catch (IOException | RuntimeException ex) {
			failed("read", ex);
			return;
		}
		if (stored != null && this.writes.lostWriteArrived(stored)) {
			held(this.writes.unconfirmed(), stored.version(), this.writes.unconfirmedSentNanos(), null);
			return;
		}
		Instant now = this.clock.instant();
		long generation = 1;
		String takenBack = null;
		if (stored != null) {
			LeaseRecord other;
			try {
				other = LeaseRecord.parse(stored.content());
			}
			catch (IllegalArgumentException ex) {
				waitFor(null,
						"the lease object '" + this.client.leaseLocation() + "' is not a lease (" + ex.getMessage()
								+ "); remove it if no process is writing this replica",
						this.config.renewInterval().toNanos());
				return;
			}
			LeaseContest.Verdict verdict = this.contest.judge(other, stored.version());
			if (!verdict.take()) {
				long retry = verdict.retryNanos();
				if (this.handover.asking()) {
					if (!requestHandover(other, stored.version())) {
						return;
					}
					// The holder answers at its next renewal: look often meanwhile, since
					// nobody serves writes between its release and this take (one read a
					// tenth of a second: a hundred requests for a renew interval of 10 s)
					retry = Math.min(retry, Math.max(MIN_RETRY_NANOS,
							Math.min(HANDOVER_POLL_NANOS, this.config.renewInterval().toNanos() / 10)));
				}
				waitFor(other, "held by " + other.owner() + " (generation " + other.generation() + ", expires at "
						+ other.expiresAt() + " by its clock)" + (this.handover.asking() ? ", asked to hand over" : ""),
						retry);
				return;
			}
			takenBack = verdict.why();
			generation = other.generation() + 1;
		}
		LeaseRecord mine = new LeaseRecord(generation, now.plus(this.config.ttl()), this.identity.owner(),
				this.identity.instance(), this.database, now, null, null, null);
		long sent = System.nanoTime();
		try {
			String written = this.writes.take(stored, mine, sent);
			this.predecessorFinalTxid = (stored != null) ? predecessorFinalTxid(stored) : null;
			if (stored != null) {
				this.supplanted.seen(LeaseRecord.parseOrNull(stored));
			}
			held(mine, written, sent, takenBack);
		}
		catch (LeaseConflictException ex) {
			// Someone else was faster: read again soon to learn who
			this.nextAttemptNanos = System.nanoTime() + MIN_RETRY_NANOS;
		}
		catch (IOException | RuntimeException ex) {
			failed("acquire", ex);
		}
	}

	/**
	 * Asks a live holder to hand over ({@link HandoverRequests#request}).
	 * @return whether the request is in the lease now
	 */
	private boolean requestHandover(LeaseRecord holder, String version) {
		try {
			String written = this.handover.request(holder, version);
			if (written != null) {
				this.contest.ownWrite(version, written);
			}
			return true;
		}
		catch (LeaseConflictException ex) {
			// Renewed meanwhile: read again soon
			this.nextAttemptNanos = System.nanoTime() + MIN_RETRY_NANOS;
			return false;
		}
		catch (IOException | RuntimeException ex) {
			failed("ask for a handover of", ex);
			return false;
		}
	}

	private static @Nullable Long predecessorFinalTxid(LeaseObject stored) {
		LeaseRecord previous = LeaseRecord.parseOrNull(stored);
		return (previous != null && previous.isReleased()) ? previous.finalTxid() : null;
	}

	private void held(LeaseRecord mine, String written, long sentNanos, @Nullable String why) {
		this.version = written;
		if (this.lease.state() == State.CONFLICT) {
			this.lease.record(mine);
			return;
		}
		this.writes.confirmed();
		this.nextAttemptNanos = sentNanos + this.config.renewInterval().toNanos();
		this.supplanted.held(mine.generation());
		this.contest.held();
		this.lease.held(mine, sentNanos, why);
	}

	private void renew() {
		LeaseRecord mine = this.lease.record();
		String expected = this.version;
		if (mine == null || expected == null) {
			this.lease.waiting();
			return;
		}
		LeaseRecord renewed = mine.withExpiry(this.clock.instant().plus(this.config.ttl()));
		long sent = System.nanoTime();
		try {
			this.version = this.writes.renew(renewed, expected);
			this.lease.renewed(renewed, sent);
			this.nextAttemptNanos = sent + this.config.renewInterval().toNanos();
			this.handover.announce(renewed);
		}
		catch (LeaseConflictException ex) {
			renewConflicted(mine, renewed);
		}
		catch (IOException | RuntimeException ex) {
			failed("renew", ex);
			// Retry well before the fencing bound
			this.nextAttemptNanos = Math.min(this.nextAttemptNanos, this.lease.validUntilNanos());
		}
	}

	/**
	 * A renewal found another version: our own lost-answer write, a contender asking for
	 * a handover (same holder and generation, {@code requested_by} set), or a new holder.
	 */
	private void renewConflicted(LeaseRecord mine, LeaseRecord renewed) {
		LeaseObject stored;
		try {
			stored = this.writes.read();
		}
		catch (IOException | RuntimeException ex) {
			failed("read", ex);
			return;
		}
		// Not a lease is not ours any more either way
		LeaseRecord current = (stored != null) ? LeaseRecord.parseOrNull(stored) : null;
		if (stored != null && this.writes.ours(current, mine.generation())) {
			this.version = stored.version();
			// Renewed next with what is stored, so that a handover request
			// (requested_by) stays
			this.lease.record(current.withExpiry(renewed.expiresAt()));
			this.nextAttemptNanos = System.nanoTime();
			return;
		}
		String holder = (current != null) ? current.owner() + " (generation " + current.generation() + ")"
				: "nobody (the lease object is gone or unreadable)";
		lose(current, "taken over by " + holder);
	}

	private void release() {
		LeaseRecord mine = this.lease.record();
		String expected = this.version;
		if (mine == null || expected == null || !this.identity.instance().equals(mine.instance())) {
			return;
		}
		LeaseRecord released = this.writes.release(mine, expected, this.releaseTxid);
		if (released != null) {
			this.lease.record(released);
			this.version = null;
		}
	}

	private void lose(@Nullable LeaseRecord current, String why) {
		if (this.lease.state() == State.CONFLICT) {
			return;
		}
		this.supplanted.seen(current);
		this.version = null;
		this.nextAttemptNanos = System.nanoTime() + this.config.renewInterval().toNanos();
		this.lease.lose(current, why);
	}

	private void waitFor(@Nullable LeaseRecord other, String why, long retryNanos) {
		this.supplanted.seen(other);
		if (this.lease.state() == State.FENCED && other != null) {
			this.version = null;
		}
		this.lease.waitFor(other, why);
		this.nextAttemptNanos = System.nanoTime() + Math.max(MIN_RETRY_NANOS, retryNanos);
	}

	private void failed(String action, Exception ex) {
		this.nextAttemptNanos = System.nanoTime() + this.lease.failed(action, ex);
	}

	/**
	 * Who holds a lease: {@code host:pid} as Litestream writes it, and an ID unique to
	 * one engine run.
	 *
	 * @param owner {@code host:pid}
	 * @param instance a random UUID
	 */
	record Identity(String owner, String instance) {

		static Identity local() {
			long pid = ProcessHandle.current().pid();
			return new Identity(localHost() + ":" + pid, UUID.randomUUID().toString());
		}

		static String localHost() {
			try {
				return InetAddress.getLocalHost().getHostName();
			}
			catch (UnknownHostException ex) {
				return "unknown";
			}
		}

		/**
		 * Returns the host of an owner ({@code host:pid}).
		 */
		static String hostOf(@Nullable String owner) {
			if (owner == null) {
				return "";
			}
			int colon = owner.lastIndexOf(':');
			return (colon < 0) ? owner : owner.substring(0, colon);
		}

		String host() {
			return hostOf(this.owner);
		}

	}

}
