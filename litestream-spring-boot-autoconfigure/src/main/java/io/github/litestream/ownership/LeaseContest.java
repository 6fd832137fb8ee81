package io.github.litestream.ownership;

import org.jspecify.annotations.Nullable;

/**
 * A contender's judgement of a lease another instance wrote: may it be taken now, or how
 * long to wait before reading it again. Apart from {@link ReplicaLease}'s loop because it
 * keeps its own clock, which must survive the loop's changes of state.
 * <p>
 * Expiry by observation (DESIGN 4.15): a holder is gone only once its lease object stayed
 * unchanged for a whole TTL on this instance's monotonic clock; {@code expires_at}
 * compares wall clocks, and a clock that runs ahead would take a live lease. A released
 * lease is taken at once; so is a live one of this instance's previous run on the same
 * disk when the proofs of {@link TakeBack} hold. Used by the lease thread;
 * {@link #takeBack(TakeBack)} is set before it starts.
 */
final class LeaseContest {

	private final LeaseConfig config;

	private final ReplicaLease.Identity identity;

	/** The version of the lease object seen unchanged since... */
	private @Nullable String observedVersion;

	/** ...this moment on the monotonic clock. */
	private long observedSinceNanos;

	/**
	 * After a restart on the same disk: whether its previous run's lease is taken back.
	 */
	private volatile @Nullable TakeBack takeBack;

	LeaseContest(LeaseConfig config, ReplicaLease.Identity identity) {
		this.config = config;
		this.identity = identity;
	}

	/**
	 * What the contender does about the lease it read.
	 *
	 * @param take whether it writes its own lease over it now
	 * @param why why it may take a live lease, for the log, or {@code null}
	 * @param retryNanos when it does not take it: how long until it reads it again
	 */
	record Verdict(boolean take, @Nullable String why, long retryNanos) {

	}

	/**
	 * Lets this contender take back at once a lease of this instance's previous run.
	 * @param takeBack the decision
	 */
	void takeBack(TakeBack takeBack) {
		this.takeBack = takeBack;
	}

	/**
	 * The contender holds the lease: a take-back applies to one start only.
	 */
	void held() {
		this.takeBack = null;
	}

	/**
	 * Judges the lease read now.
	 * @param other the lease
	 * @param version its version in the store
	 * @return the verdict
	 */
	Verdict judge(LeaseRecord other, String version) {
		// Only this engine writes its instance ID: a lease that names it (renewed by an
		// attempt whose answer was lost, or annotated by a contender) was not taken by
		// anyone since
		boolean ours = this.identity.instance().equals(other.instance());
		long unchangedNanos = unchangedFor(version);
		boolean live = !ours && !other.isReleased() && unchangedNanos < this.config.ttl().toNanos();
		if (!live) {
			return new Verdict(true, null, 0);
		}
		TakeBack restart = this.takeBack;
		if (restart != null && restart.allows(other, this.identity)) {
			return new Verdict(true,
					"taken back at once from this instance's previous run on this disk (" + other.owner()
							+ ", generation " + other.generation() + "): that process is gone and the local "
							+ "database is at or past the replica",
					0);
		}
		return new Verdict(false, null, Math.min(this.config.renewInterval().toNanos(),
				this.config.ttl().toNanos() - unchangedNanos + ReplicaLease.MIN_RETRY_NANOS));
	}

	/**
	 * Records that this engine itself changed the observed lease object (a handover
	 * request): its own write is no sign of life of the holder, so observation goes on.
	 * @param before the version it replaced
	 * @param after the version it wrote
	 */
	void ownWrite(String before, String after) {
		if (before.equals(this.observedVersion)) {
			this.observedVersion = after;
		}
	}

	/**
	 * Records the version of the lease object seen now.
	 * @return how long it has been seen unchanged, on the monotonic clock
	 */
	private long unchangedFor(String version) {
		long now = System.nanoTime();
		if (!version.equals(this.observedVersion)) {
			this.observedVersion = version;
			this.observedSinceNanos = now;
		}
		return now - this.observedSinceNanos;
	}

}
