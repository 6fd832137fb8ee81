package io.github.litestream.ownership;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * Takes a database back after this instance handed it over (or was supplanted), when the
 * other instance gave it up before it wrote anything after the TXID it took it at: it
 * released the leases, or died holding them. New leases with a new identity are created
 * once and live across attempts until they are taken or the replicas moved on, so that a
 * lease its holder left behind (a successor killed right after it took over) is seen
 * unchanged for a whole TTL and taken (DESIGN 4.15), not observed afresh at every
 * attempt.
 */
final class Reclaimer {

	private final LeaseConfig config;

	private final Function<ReplicaLease.Identity, List<ReplicaLease>> leases;

	private final Supplier<@Nullable SameDiskRestart> restart;

	/** The new leases, until taken or stopped; stopping may come from another thread. */
	private final AtomicReference<@Nullable Taken> candidate = new AtomicReference<>();

	private volatile Reclaim lastOutcome = Reclaim.BUSY;

	Reclaimer(LeaseConfig config, Function<ReplicaLease.Identity, List<ReplicaLease>> leases,
			Supplier<@Nullable SameDiskRestart> restart) {
		this.config = config;
		this.leases = leases;
		this.restart = restart;
	}

	/**
	 * One attempt.
	 * @param txid the TXID the database was handed over (or taken over) at
	 * @param movedPast tells whether a replica holds anything after {@code txid}
	 * @param stillGone whether this instance still neither serves nor stopped
	 * @return the leases now held, or {@code null} ({@link #lastOutcome()} says why)
	 */
	@Nullable Taken attempt(long txid, MovedPast movedPast, boolean stillGone) throws IOException, InterruptedException {
		if (!stillGone || movedPast.test(txid)) {
			return outcome(Reclaim.MOVED_ON);
		}
		Taken taking = this.candidate.get();
		if (taking == null) {
			ReplicaLease.Identity identity = ReplicaLease.Identity.local();
			taking = new Taken(identity, this.leases.apply(identity));
			// The previous identity holds no lease any more: recorded before the new one
			// takes any, as at a start
			SameDiskRestart held = this.restart.get();
			if (held != null) {
				held.record(identity.instance(), identity.owner());
			}
			this.candidate.set(taking);
		}
		try {
			for (ReplicaLease lease : taking.leases()) {
				if (!lease.awaitHeld(this.config.renewInterval(), false)) {
					// Stopped or in conflict: observed afresh next time
					return outcome(Reclaim.BUSY);
				}
			}
		}
		catch (LeaseUnavailableException ex) {
			// Still held by the other instance: the leases go on observing it
			this.lastOutcome = Reclaim.BUSY;
			return null;
		}
		// Held: nobody can write any more; the other instance may have written before
		if (movedPast.test(txid)) {
			return outcome(Reclaim.MOVED_ON);
		}
		if (!this.candidate.compareAndSet(taking, null)) {
			// Stopped meanwhile: the leases were released
			return outcome(Reclaim.MOVED_ON);
		}
		this.lastOutcome = Reclaim.TAKEN;
		return taking;
	}

	/**
	 * Why the last attempt took nothing.
	 * @return {@link Reclaim#BUSY} or {@link Reclaim#MOVED_ON}
	 */
	Reclaim lastOutcome() {
		return this.lastOutcome;
	}

	/**
	 * Stops the leases waiting to take the database back (releasing any they took).
	 */
	void stop() {
		Taken taking = this.candidate.getAndSet(null);
		if (taking != null) {
			taking.leases().forEach(ReplicaLease::stop);
		}
	}

	/**
	 * Stops them as a killed process would, without releasing. A test seam.
	 */
	void abandon() {
		Taken taking = this.candidate.getAndSet(null);
		if (taking != null) {
			taking.leases().forEach(ReplicaLease::abandon);
		}
	}

	private @Nullable Taken outcome(Reclaim outcome) {
		stop();
		this.lastOutcome = outcome;
		return null;
	}

	/**
	 * New leases, with their identity.
	 *
	 * @param identity the new identity
	 * @param leases the leases, in the engine's order
	 */
	record Taken(ReplicaLease.Identity identity, List<ReplicaLease> leases) {
	}

}
