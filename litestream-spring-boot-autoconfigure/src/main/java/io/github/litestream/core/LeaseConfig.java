package io.github.litestream.core;

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
 * @param enabled whether replicas are written only under a lease
 * @param ttl how long a lease lasts after its last renewal
 * @param renewInterval how often the holder renews it
 */
public record LeaseConfig(boolean enabled, Duration ttl, Duration renewInterval) {

	/** The shortest TTL accepted. */
	public static final Duration MIN_TTL = Duration.ofMillis(300);

	/** The defaults: enabled, 30 s TTL, renewed every 10 s. */
	public static final LeaseConfig DEFAULT = new LeaseConfig(true, ReplicationDefaults.LEASE_TTL,
			ReplicationDefaults.LEASE_RENEW_INTERVAL);

	/** No lease: every process writes (only conditional creates keep histories apart). */
	public static final LeaseConfig DISABLED = new LeaseConfig(false, ReplicationDefaults.LEASE_TTL,
			ReplicationDefaults.LEASE_RENEW_INTERVAL);

	/**
	 * Validates the settings.
	 * @param enabled whether replicas are written only under a lease
	 * @param ttl how long a lease lasts after its last renewal
	 * @param renewInterval how often the holder renews it
	 * @throws IllegalArgumentException naming the property of a bad value
	 */
	public LeaseConfig {
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

}
