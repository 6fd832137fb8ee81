package io.github.litestream.ownership;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.ReplicaClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ownership of one database (DESIGN 4.14-4.15): the single state machine that says
 * whether this instance may serve the database and acknowledge writes. The per-replica
 * {@link ReplicaLease leases} feed it; the DataSource gate, the engine's writers, health,
 * readiness, the endpoint and the meters ask it and keep no copy of its state.
 * <p>
 * The states are {@link OwnershipState}. Every transition happens in one method of this
 * class, under its lock, is logged once and reported to
 * {@link OwnershipListener#onOwnershipChanged}. The leases live as long as the database
 * (not as one engine run), so an in-place restore keeps them for its whole duration
 * ({@link #beginRestore()}), and a handover request that arrives meanwhile is passed on
 * when the restore ends.
 * <p>
 * Writes are acknowledged only while {@link #mayAcknowledgeWrites()}: the state is
 * {@code OWNER} and every lease is within its fencing bound on the monotonic clock, which
 * is checked at the moment of the question, not when the lease thread next runs.
 */
public final class DatabaseOwnership {

	private static final Logger logger = LoggerFactory.getLogger(DatabaseOwnership.class);

	/** The states in which the leases decide between OWNER and FENCED. */
	private static final Set<OwnershipState> LEASE_DRIVEN = EnumSet.of(OwnershipState.ACQUIRING, OwnershipState.OWNER,
			OwnershipState.FENCED);

	private final String database;

	private final Clock clock;

	private final LeaseConfig config;

	private final List<Replica> replicas;

	private final OwnershipListener listener;

	private final Object monitor = new Object();

	/** Replaced only when leases are taken back after a handover (a new identity). */
	private volatile List<ReplicaLease> leases;

	/** Per replica: wakes the writers of the engine that runs now. */
	private final List<Runnable> wakers;

	private final List<Consumer<String>> supplantedHandlers = new CopyOnWriteArrayList<>();

	private volatile OwnershipState state = OwnershipState.STARTING;

	private volatile String reason = "not started";

	private volatile @Nullable Consumer<String> handoverHandler;

	/** A handover request that arrived while restoring; passed on when it ends. */
	private @Nullable String deferredRequest;

	/** The instance this one hands the database over to, while it does. */
	private volatile @Nullable String handingOverTo;

	/** The instance this one handed over to, or that supplanted it, and at which TXID. */
	private volatile @Nullable Successor successor;

	/** This run's identity in the leases. */
	private volatile ReplicaLease.Identity identity;

	/** Takes the database back after a handover when the successor gave it up. */
	private final Reclaimer reclaimer;

	/** The meta directory's lock and record, from {@link #restartedOnSameDisk} on. */
	private volatile @Nullable SameDiskRestart restart;

	/**
	 * Creates the ownership of a database; no lease is asked for until {@link #acquire()}
	 * or {@link #startLeases()}.
	 * @param database the database name
	 * @param clock the wall clock written into the leases
	 * @param config the lease settings
	 * @param replicas the replicas, in the engine's order
	 * @param listener told of every transition and lease event
	 */
	public DatabaseOwnership(String database, Clock clock, LeaseConfig config, List<Replica> replicas,
			OwnershipListener listener) {
		this.database = database;
		this.clock = clock;
		this.config = config;
		this.replicas = List.copyOf(replicas);
		this.listener = listener;
		this.wakers = new CopyOnWriteArrayList<>();
		for (int i = 0; i < replicas.size(); i++) {
			this.wakers.add(() -> {
			});
		}
		this.identity = ReplicaLease.Identity.local();
		this.leases = createLeases(this.identity);
		this.reclaimer = new Reclaimer(config, this::createLeases, () -> this.restart);
	}

	private List<ReplicaLease> createLeases(ReplicaLease.Identity identity) {
		List<ReplicaLease> created = new ArrayList<>();
		for (int i = 0; i < this.replicas.size(); i++) {
			int index = i;
			Replica replica = this.replicas.get(i);
			ReplicaLease lease = new ReplicaLease(this.database, this.clock, this.config, replica.name(),
					replica.client(), identity, this.listener, () -> leaseChanged(index));
			lease.onHandoverRequested(this::handoverRequested);
			lease.onSupplanted(this::supplanted);
			created.add(lease);
		}
		return List.copyOf(created);
	}

	/**
	 * Returns the database name.
	 * @return the name
	 */
	public String database() {
		return this.database;
	}

	/**
	 * Returns the lease settings.
	 * @return the settings
	 */
	public LeaseConfig config() {
		return this.config;
	}

	/**
	 * Returns the state now.
	 * @return the state
	 */
	public OwnershipState state() {
		return this.state;
	}

	/**
	 * Returns why the database is in its state, for people.
	 * @return the reason of the last transition
	 */
	public String reason() {
		return this.reason;
	}

	/**
	 * Returns the instance this one handed the database over to, or that took it over.
	 * @return the successor, or {@code null}
	 */
	public @Nullable Successor successor() {
		return this.successor;
	}

	/**
	 * Returns the lease of a replica, which guards the engine's writes to it.
	 * @param index the replica's index
	 * @return the lease
	 */
	public ReplicaLease lease(int index) {
		return this.leases.get(index);
	}

	/**
	 * Sets what wakes the writers of a replica when its lease changes (the engine that
	 * runs now).
	 * @param index the replica's index
	 * @param waker what to run
	 */
	public void onLeaseChange(int index, Runnable waker) {
		this.wakers.set(index, waker);
	}

	/**
	 * Sets what happens when another instance asks for the database (DESIGN 4.16): the
	 * handler calls {@link #beginHandover(String)} and then {@link #handedOver} or
	 * {@link #handoverFailed}. Called on a lease thread; the handler must not block it.
	 * @param handler receives the requester ({@code host:pid/instance})
	 */
	public void onHandoverRequested(Consumer<String> handler) {
		this.handoverHandler = handler;
	}

	/**
	 * Adds what happens when another instance took a lease while this one could not renew
	 * it (the state is {@code SUPPLANTED} by then). Called on a lease thread.
	 * @param handler receives the other holder ({@code host:pid})
	 */
	public void onSupplanted(Consumer<String> handler) {
		this.supplantedHandlers.add(handler);
	}

	/**
	 * Whether write transactions may commit now: the state acknowledges writes
	 * ({@code OWNER}, or the drain of a handover or restore, which still holds the
	 * leases) and every lease is within its fencing bound at this very moment.
	 * @return whether writes are acknowledged
	 */
	public boolean mayAcknowledgeWrites() {
		if (!this.state.acknowledgesWrites()) {
			return false;
		}
		for (ReplicaLease lease : this.leases) {
			if (!lease.mayWrite()) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Says why writes are not acknowledged now.
	 * @return the replica and the reason, or the state's reason
	 */
	public String whyNotWritable() {
		if (this.state == OwnershipState.OWNER || this.state == OwnershipState.FENCED) {
			for (int i = 0; i < this.leases.size(); i++) {
				ReplicaLease lease = this.leases.get(i);
				if (!lease.mayWrite()) {
					String detail = lease.status().detail();
					return "replica '" + this.replicas.get(i).name() + "' ("
							+ this.replicas.get(i).client().leaseLocation() + "): "
							+ ((detail != null) ? detail : "the lease is not held");
				}
			}
		}
		return this.reason;
	}

	/**
	 * Returns the lease of every replica, in the engine's order.
	 * @return the statuses
	 */
	public List<LeaseStatus> leaseStatuses() {
		return this.leases.stream().map(ReplicaLease::status).toList();
	}

	/**
	 * Returns the highest final TXID written into a released lease this instance took:
	 * the state its predecessor left on every replica.
	 * @return the TXID, or {@code null} when no predecessor wrote one
	 */
	public @Nullable Long predecessorFinalTxid() {
		Long highest = null;
		for (ReplicaLease lease : this.leases) {
			Long txid = lease.predecessorFinalTxid();
			if (txid != null && (highest == null || Long.compareUnsigned(txid, highest) > 0)) {
				highest = txid;
			}
		}
		return highest;
	}

	// ---------------------------------------------------------------- transitions

	/**
	 * Lets this instance take its own leases back at once after a restart on the same
	 * disk (DESIGN 4.15), instead of asking its previous run, which is gone, to hand over
	 * and waiting for its leases to expire: a lease that still names the run recorded in
	 * the meta directory is taken back when {@link TakeBack} proves it safe. Records this
	 * run there first, so that the leases it takes are covered next time. Call before
	 * {@link #acquire()}; the lock is held until {@link #stop(Long)}.
	 * @param restart the meta directory's lock and record
	 * @param local tells whether the local database is behind a replica
	 * @throws IOException if this run cannot be recorded
	 */
	public void restartedOnSameDisk(SameDiskRestart restart, LocalState local) throws IOException {
		if (this.restart != null) {
			// Asked again after a failed start: the first proof holds the lock
			restart.close();
			return;
		}
		this.restart = restart;
		restart.record(this.identity.instance(), this.identity.owner());
		TakeBack.install(this.database, this.replicas, this.leases, restart, local);
	}

	/**
	 * Takes every replica's lease before the database is served (DESIGN 4.14):
	 * {@code STARTING -> ACQUIRING -> OWNER}. Waits while another live instance holds one
	 * (asking it to hand over with {@link LeaseConfig.Handover#REQUEST}) and while a
	 * lease cannot be read, up to {@link LeaseConfig#startupTimeout()}. With leases
	 * disabled the database is owned at once.
	 * @throws LeaseUnavailableException if a lease is not taken in time; the state is
	 * {@code STARTING} again and nothing is served
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public void acquire() throws LeaseUnavailableException, InterruptedException {
		startLeases();
		awaitLeases(OwnershipState.ACQUIRING, OwnershipState.STARTING);
		recompute();
	}

	/**
	 * Says which other live instance holds a lease now, so that this one may start as a
	 * warm successor (DESIGN 4.16) instead of waiting for the leases before it is
	 * restored: a lease that is not expired and names neither this run nor the previous
	 * run on this disk (that one is taken back at once, {@link #restartedOnSameDisk}).
	 * Reads each replica's lease once.
	 * @return the holder ({@code host:pid}), or {@code null} when no other instance holds
	 * a lease (or one cannot be read or parsed: then the leases are taken as before)
	 */
	public @Nullable String liveHolder() {
		SameDiskRestart held = this.restart;
		return LiveHolder.find(this.database, this.replicas, this.clock, this.identity.instance(),
				(held != null) ? held.recordedInstance() : null);
	}

	/**
	 * Starts as a warm successor: {@code STARTING -> STANDBY}. No lease is asked for;
	 * reads are served, writes refused until {@link #acquireFromStandby()} and
	 * {@link #promote(String)}.
	 * @param holder the instance that owns the database now
	 */
	public void standby(String holder) {
		transition(EnumSet.of(OwnershipState.STARTING), OwnershipState.STANDBY,
				"warm successor: " + holder + " serves the database until this instance is ready to take it over");
	}

	/**
	 * Takes every lease while staying {@code STANDBY} (reads go on being served): asks
	 * the holder to hand over and waits for its release, up to
	 * {@link LeaseConfig#startupTimeout()}. The caller then brings the database to the
	 * released state and calls {@link #promote(String)}: holding the leases does not make
	 * this instance acknowledge writes before it has that state.
	 * @throws LeaseUnavailableException if a lease is not taken in time; still
	 * {@code STANDBY}
	 * @throws InterruptedException if the calling thread is interrupted
	 */
	public void acquireFromStandby() throws LeaseUnavailableException, InterruptedException {
		if (this.state != OwnershipState.STANDBY) {
			throw new IllegalStateException("Database '" + this.database + "' is not a warm successor: " + this.state);
		}
		for (ReplicaLease lease : this.leases) {
			lease.start();
		}
		awaitLeases(OwnershipState.STANDBY, OwnershipState.STANDBY);
	}

	/**
	 * A warm successor holds every lease and the state they were released at:
	 * {@code STANDBY -> OWNER} (or {@code FENCED} when a lease lapsed meanwhile).
	 * @param why why, for the log
	 */
	public void promote(String why) {
		transition(EnumSet.of(OwnershipState.STANDBY), OwnershipState.ACQUIRING, why);
		recompute();
	}

	/**
	 * Whether this instance is a warm successor that has not taken the database over.
	 * @return whether {@code STANDBY}
	 */
	public boolean isStandby() {
		return this.state == OwnershipState.STANDBY;
	}

	private void awaitLeases(OwnershipState waiting, OwnershipState failed)
			throws LeaseUnavailableException, InterruptedException {
		long deadline = System.nanoTime() + this.config.startupTimeout().toNanos();
		boolean request = this.config.handover() == LeaseConfig.Handover.REQUEST;
		try {
			for (int i = 0; i < this.leases.size(); i++) {
				Duration remaining = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
				if (!this.leases.get(i).awaitHeld(remaining, request)) {
					throw new LeaseUnavailableException("Database '" + this.database
							+ "' cannot take the lease of replica '" + this.replicas.get(i).name() + "' ("
							+ this.replicas.get(i).client().leaseLocation() + "): "
							+ this.leases.get(i).status().detail());
				}
			}
		}
		catch (LeaseUnavailableException | InterruptedException | RuntimeException ex) {
			transition(EnumSet.of(waiting), failed, "could not take the leases: " + ex.getMessage());
			throw ex;
		}
	}

	/**
	 * Starts taking the leases without waiting ({@code STARTING -> ACQUIRING}); the state
	 * turns {@code OWNER} once every lease is held. For engines that run on their own
	 * (tools, tests); an application's database uses {@link #acquire()}.
	 */
	public void startLeases() {
		if (!this.config.enabled() || this.leases.isEmpty()) {
			transition(EnumSet.of(OwnershipState.STARTING, OwnershipState.ACQUIRING), OwnershipState.OWNER,
					this.config.enabled() ? "no replica" : "leases are disabled");
			return;
		}
		transition(EnumSet.of(OwnershipState.STARTING), OwnershipState.ACQUIRING, "taking the leases");
		for (ReplicaLease lease : this.leases) {
			lease.start();
		}
		recompute();
	}

	/**
	 * Starts an in-place restore under the leases: {@code OWNER -> RESTORING}. A handover
	 * request that arrives meanwhile waits until {@link #endRestore()}.
	 * @throws IllegalStateException if this instance does not own the database now
	 */
	public void beginRestore() {
		synchronized (this.monitor) {
			if (!mayAcknowledgeWrites()) {
				throw new IllegalStateException("Database '" + this.database
						+ "' cannot be restored in place now: it is " + this.state + " (" + whyNotWritable() + ")");
			}
			transition(EnumSet.of(OwnershipState.OWNER), OwnershipState.RESTORING, "in-place restore");
		}
	}

	/**
	 * Ends an in-place restore: {@code RESTORING -> OWNER} (or {@code FENCED} when a
	 * lease was not renewed meanwhile), then passes on a handover request that waited.
	 */
	public void endRestore() {
		String deferred;
		synchronized (this.monitor) {
			transition(EnumSet.of(OwnershipState.RESTORING), OwnershipState.OWNER, "in-place restore ended");
			deferred = this.deferredRequest;
			this.deferredRequest = null;
		}
		recompute();
		if (deferred != null) {
			logger.info("Database '{}' passes on the handover request of {} that waited for the restore", this.database,
					deferred);
			dispatchHandover(deferred);
		}
	}

	/**
	 * Starts handing the database over: {@code OWNER -> HANDING_OVER}.
	 * @param requester the instance that asked
	 * @return whether the handover may go on; {@code false} when this instance does not
	 * own the database now (the request is asked again later)
	 */
	public boolean beginHandover(String requester) {
		synchronized (this.monitor) {
			if (this.state != OwnershipState.OWNER || !mayAcknowledgeWrites()) {
				return false;
			}
			this.handingOverTo = requester;
			return transition(EnumSet.of(OwnershipState.OWNER), OwnershipState.HANDING_OVER,
					"handing over to " + requester);
		}
	}

	/**
	 * Whether the instance this one is handing over to still asks for the database (a
	 * contender that gave up took its request out of the leases): checked right before
	 * the leases are released to it.
	 * @param requester the requester
	 * @return whether every lease still carries its request
	 * @throws IOException if a lease cannot be read
	 */
	public boolean stillRequested(String requester) throws IOException {
		for (ReplicaLease lease : this.leases) {
			if (!lease.requestedBy(requester)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Returns the instance this one is handing the database over to right now.
	 * @return the requester, or {@code null} when no handover runs
	 */
	public @Nullable String handingOverTo() {
		return (this.state == OwnershipState.HANDING_OVER) ? this.handingOverTo : null;
	}

	/**
	 * Declines a handover request without starting it (this instance cannot hand over
	 * now): it is passed on again a TTL later.
	 */
	public void declineHandover() {
		for (ReplicaLease lease : this.leases) {
			lease.handoverDeclined();
		}
	}

	/**
	 * A handover could not complete: {@code HANDING_OVER -> OWNER}; the request is passed
	 * on again a TTL later.
	 * @param why why, for the log
	 */
	public void handoverFailed(String why) {
		transition(EnumSet.of(OwnershipState.HANDING_OVER), OwnershipState.OWNER, "handover failed: " + why);
		declineHandover();
		recompute();
	}

	/**
	 * The handover completed: {@code HANDING_OVER -> HANDED_OVER}, and every lease is
	 * released carrying the final TXID that every replica holds.
	 * @param to the instance that asked
	 * @param finalTxid the final TXID
	 */
	public void handedOver(String to, long finalTxid) {
		this.successor = new Successor(to, finalTxid, this.clock.instant());
		transition(EnumSet.of(OwnershipState.HANDING_OVER), OwnershipState.HANDED_OVER,
				"handed over to " + to + " at TXID " + LtxFileName.formatTxid(finalTxid));
		release(finalTxid);
	}

	/**
	 * The database was taken back after a handover or a takeover, with new leases
	 * ({@link #reclaim(long)}): {@code HANDED_OVER | SUPPLANTED -> OWNER}.
	 * @param why why, for the log
	 */
	public void reclaimed(String why) {
		this.successor = null;
		transition(EnumSet.of(OwnershipState.HANDED_OVER, OwnershipState.SUPPLANTED), OwnershipState.OWNER, why);
		recompute();
	}

	/**
	 * Stops: releases every lease (carrying {@code finalTxid} when every replica holds
	 * it) and turns {@code STOPPED}, from any state.
	 * @param finalTxid the TXID every replica holds, or {@code null}
	 */
	public void stop(@Nullable Long finalTxid) {
		transition(EnumSet.complementOf(EnumSet.of(OwnershipState.STOPPED)), OwnershipState.STOPPED, "stopped");
		this.reclaimer.stop();
		release(finalTxid);
		closeRestart();
	}

	/**
	 * Like a SIGKILL: stops the lease threads without releasing. A test seam.
	 */
	public void abandon() {
		this.reclaimer.abandon();
		for (ReplicaLease lease : this.leases) {
			lease.abandon();
		}
		// The operating system lets go of a killed process's locks
		closeRestart();
	}

	private void closeRestart() {
		SameDiskRestart held = this.restart;
		if (held != null) {
			held.close();
		}
	}

	private void release(@Nullable Long finalTxid) {
		for (ReplicaLease lease : this.leases) {
			if (finalTxid != null) {
				lease.releaseWith(finalTxid);
			}
			lease.stop();
		}
	}

	/**
	 * After a handover or takeover: takes the leases back (new ones, a new identity) if
	 * the other instance gave them up before anything was written after {@code txid}:
	 * released them, or died holding them. The new leases live across calls until they
	 * are taken or the replicas moved on, so that a lease its holder left behind (a
	 * successor killed right after it took over) is seen unchanged for a whole TTL and
	 * taken (DESIGN 4.15), not observed afresh at every call.
	 * @param txid the TXID the database was handed over (or taken over) at
	 * @param movedPast tells whether a replica holds anything after {@code txid}
	 * @return the outcome; only on {@code TAKEN} are the new leases held (then call
	 * {@link #reclaimed(String)} once the engine runs, or {@link #stop(Long)})
	 * @throws IOException if a lease or replica cannot be read
	 * @throws InterruptedException if interrupted
	 */
	public Reclaim reclaim(long txid, MovedPast movedPast) throws IOException, InterruptedException {
		OwnershipState now = this.state;
		Reclaimer.Taken taken = this.reclaimer.attempt(txid, movedPast,
				now == OwnershipState.HANDED_OVER || now == OwnershipState.SUPPLANTED);
		if (taken == null) {
			return this.reclaimer.lastOutcome();
		}
		this.leases = taken.leases();
		this.identity = taken.identity();
		return Reclaim.TAKEN;
	}

	// ---------------------------------------------------------------- lease events

	private void leaseChanged(int index) {
		this.wakers.get(index).run();
		recompute();
	}

	/**
	 * Derives OWNER or FENCED from the leases, in the states they decide.
	 */
	private void recompute() {
		synchronized (this.monitor) {
			OwnershipState current = this.state;
			if (!LEASE_DRIVEN.contains(current)) {
				return;
			}
			String notWritable = null;
			boolean allHeld = true;
			for (int i = 0; i < this.leases.size(); i++) {
				ReplicaLease lease = this.leases.get(i);
				if (!lease.mayWrite()) {
					allHeld = false;
					if (notWritable == null) {
						String detail = lease.status().detail();
						notWritable = "replica '" + this.replicas.get(i).name() + "': "
								+ ((detail != null) ? detail : "the lease is not held");
					}
				}
			}
			if (allHeld) {
				transition(LEASE_DRIVEN, OwnershipState.OWNER,
						(current == OwnershipState.FENCED) ? "every lease is renewed again" : "holds every lease");
			}
			else if (current == OwnershipState.OWNER) {
				transition(EnumSet.of(OwnershipState.OWNER), OwnershipState.FENCED, notWritable);
			}
		}
	}

	private void handoverRequested(String requester) {
		synchronized (this.monitor) {
			if (this.state == OwnershipState.RESTORING) {
				if (!requester.equals(this.deferredRequest)) {
					logger.info("Database '{}' is being restored in place; the handover request of {} waits for it",
							this.database, requester);
				}
				this.deferredRequest = requester;
				return;
			}
		}
		dispatchHandover(requester);
	}

	private void dispatchHandover(String requester) {
		Consumer<String> handler = this.handoverHandler;
		if (handler == null) {
			logger.warn("{} asks for database '{}'; this instance cannot hand over, so it keeps the leases until it "
					+ "stops", requester, this.database);
			return;
		}
		handler.accept(requester);
	}

	private void supplanted(String holder) {
		boolean changed;
		synchronized (this.monitor) {
			OwnershipState current = this.state;
			if (current == OwnershipState.SUPPLANTED || current == OwnershipState.HANDED_OVER
					|| current == OwnershipState.STOPPED) {
				return;
			}
			this.successor = new Successor(holder, -1, this.clock.instant());
			changed = transition(
					EnumSet.complementOf(
							EnumSet.of(OwnershipState.SUPPLANTED, OwnershipState.HANDED_OVER, OwnershipState.STOPPED)),
					OwnershipState.SUPPLANTED,
					"another instance (" + holder + ") took a lease while this one could not renew it");
		}
		if (changed) {
			for (Consumer<String> handler : this.supplantedHandlers) {
				handler.accept(holder);
			}
		}
	}

	/**
	 * The one place where the state changes.
	 * @return whether it changed
	 */
	private boolean transition(Set<OwnershipState> from, OwnershipState to, String why) {
		OwnershipState before;
		synchronized (this.monitor) {
			before = this.state;
			if (!from.contains(before) || before == to) {
				return false;
			}
			this.state = to;
			this.reason = why;
		}
		if (to == OwnershipState.FENCED || to == OwnershipState.SUPPLANTED) {
			logger.warn("Database '{}': {} -> {} ({}){}", this.database, before, to, why,
					(to == OwnershipState.FENCED) ? "; writes are refused, reads go on" : "; nothing is served");
		}
		else {
			logger.info("Database '{}': {} -> {} ({})", this.database, before, to, why);
		}
		this.listener.onOwnershipChanged(this.database, before, to, why);
		return true;
	}

	@Override
	public String toString() {
		return "DatabaseOwnership[" + this.database + ", " + this.state + "]";
	}

	/**
	 * A replica, as the ownership sees it.
	 *
	 * @param name the replica name
	 * @param client the replica
	 */
	public record Replica(String name, ReplicaClient client) {
	}

	/**
	 * The instance that took the database over from this one.
	 *
	 * @param to its owner ({@code host:pid}, with {@code /instance} after a handover)
	 * @param txid the final TXID handed over, or -1 when it took the lease over
	 * @param at when this instance learnt of it
	 */
	public record Successor(String to, long txid, java.time.Instant at) {
	}

}
