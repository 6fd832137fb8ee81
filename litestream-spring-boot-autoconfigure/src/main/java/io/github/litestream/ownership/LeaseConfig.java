package io.github.litestream.ownership;

import java.time.Duration;

/**
 * Settings of the lease that gives one process at a time the right to write a replica.
 * <p>
 * The holder writes {@code expires_at} = its wall clock + {@code ttl} at every renewal.
 * It stops writing once {@link #fenceAfter()} has passed on its monotonic clock since it
 * sent its last successful acquisition or renewal, which leaves a third of the TTL for
 * clock skew between hosts and for writes in flight. Renewals come every
 * {@code renewInterval}, at most a third of the TTL, so a holder that misses one renewal
 * retries for at least another third before it stops.
 *
 * <p>
 * A starting instance takes every replica's lease before it restores or serves (DESIGN
 * 4.14). When another live instance holds one, {@link Handover#REQUEST} asks it to hand
 * the database over (it drains, syncs and releases with its final TXID at its next
 * renewal); {@link Handover#WAIT} waits until it stops or its lease expires. Either way
 * the start fails after {@code startupTimeout}.
 *
 * @param enabled whether replicas are written only under a lease
 * @param ttl how long a lease lasts after its last renewal
 * @param renewInterval how often the holder renews it
 * @param handover what a starting instance does about a lease another instance holds
 * @param startupTimeout how long a starting instance waits for the lease
 */
public record LeaseConfig(boolean enabled, Duration ttl, Duration renewInterval, Handover handover,
		Duration startupTimeout) {

	/** How long a lease lasts after its last renewal, by default. */
	public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);

	/** How often the holder renews its lease, by default. */
	public static final Duration DEFAULT_RENEW_INTERVAL = Duration.ofSeconds(10);

	/** How long a starting instance waits for the lease, by default. */
	public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofMinutes(5);

	/** The shortest TTL accepted. */
	public static final Duration MIN_TTL = Duration.ofMillis(300);

	/** The defaults: enabled, 30 s TTL, renewed every 10 s. */
	public static final LeaseConfig DEFAULT = new LeaseConfig(true, DEFAULT_TTL, DEFAULT_RENEW_INTERVAL,
			Handover.REQUEST, DEFAULT_STARTUP_TIMEOUT);

	/** No lease: every process writes (only conditional creates keep histories apart). */
	public static final LeaseConfig DISABLED = new LeaseConfig(false, DEFAULT_TTL, DEFAULT_RENEW_INTERVAL,
			Handover.REQUEST, DEFAULT_STARTUP_TIMEOUT);

	/**
	 * Validates the settings.
	 * @param enabled whether replicas are written only under a lease
	 * @param ttl how long a lease lasts after its last renewal
	 * @param renewInterval how often the holder renews it
	 * @throws IllegalArgumentException naming the property of a bad value
	 */
	/**
	 * Settings with the default handover policy and startup timeout.
	 * @param enabled whether replicas are written only under a lease
	 * @param ttl how long a lease lasts after its last renewal
	 * @param renewInterval how often the holder renews it
	 */
	public LeaseConfig(boolean enabled, Duration ttl, Duration renewInterval) {
		this(enabled, ttl, renewInterval, Handover.REQUEST, DEFAULT_STARTUP_TIMEOUT);
	}

	public LeaseConfig {
		if (handover == null) {
			throw new IllegalArgumentException("litestream.lease.handover must be 'request' or 'wait'");
		}
		if (startupTimeout == null || startupTimeout.isNegative() || startupTimeout.isZero()) {
			throw new IllegalArgumentException(
					"litestream.lease.startup-timeout must be positive, was '" + startupTimeout + "'");
		}
		if (ttl == null || ttl.compareTo(MIN_TTL) < 0) {
			throw new IllegalArgumentException(
					"litestream.lease.ttl must be at least " + MIN_TTL.toMillis() + "ms, was '" + ttl + "'");
		}
		if (renewInterval == null || renewInterval.isNegative() || renewInterval.isZero()) {
			throw new IllegalArgumentException(
					"litestream.lease.renew-interval must be positive, was '" + renewInterval + "'");
		}
		if (renewInterval.multipliedBy(3).compareTo(ttl) > 0) {
			throw new IllegalArgumentException("litestream.lease.renew-interval must be at most a third of "
					+ "litestream.lease.ttl (" + ttl + "), so that a missed renewal is retried before the holder "
					+ "must stop writing; was '" + renewInterval + "'");
		}
	}

	/**
	 * Returns how long after sending its last successful acquisition or renewal the
	 * holder may write: two thirds of the TTL.
	 * @return the fencing bound, on the holder's monotonic clock
	 */
	public Duration fenceAfter() {
		return this.ttl.minus(this.ttl.dividedBy(3));
	}

	/**
	 * What a starting instance does when another live instance holds a lease.
	 */
	public enum Handover {

		/**
		 * Ask the holder to hand over: it pauses its pool, syncs, releases the lease with
		 * its final TXID and stops serving the database; the starting instance restores
		 * that TXID and serves.
		 */
		REQUEST,

		/**
		 * Wait until the holder stops (and releases) or its lease expires.
		 */
		WAIT

	}

}
