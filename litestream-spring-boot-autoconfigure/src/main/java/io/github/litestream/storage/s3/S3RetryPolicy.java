package io.github.litestream.storage.s3;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How an {@link S3ReplicaClient} retries a single S3 request that failed in a way that
 * may be transient (throttling, server errors, timeouts, connection failures): up to
 * {@code maxAttempts} attempts, waiting an exponentially growing, jittered delay between
 * them, starting at {@code initialBackoff} and capped at {@code maxBackoff}. Failures
 * that retrying cannot fix (access denied, a missing bucket, bad credentials) are never
 * retried.
 * <p>
 * The retry is per request, so that one failed part of a large multipart upload or one
 * failed page of a long listing does not restart the whole operation. The engine retries
 * whole operations on top of this, with its own backoff.
 *
 * @param maxAttempts attempts per request, at least 1 (1 means no retry)
 * @param initialBackoff the delay before the first retry
 * @param maxBackoff the cap on any delay, not below {@code initialBackoff}
 */
public record S3RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

	/**
	 * The default: 4 attempts, backing off from 200 ms up to 5 s, so a request gives up
	 * after about 1.5 s of waiting in the worst case.
	 */
	public static final S3RetryPolicy DEFAULT = new S3RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(5));

	/**
	 * Creates a policy, rejecting values that would retry forever or never wait.
	 * @param maxAttempts attempts per request
	 * @param initialBackoff the first delay
	 * @param maxBackoff the cap on any delay
	 */
	public S3RetryPolicy {
		if (maxAttempts < 1) {
			throw new IllegalArgumentException("S3 retry maxAttempts must be at least 1, got " + maxAttempts);
		}
		Objects.requireNonNull(initialBackoff, "initialBackoff");
		Objects.requireNonNull(maxBackoff, "maxBackoff");
		if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
			throw new IllegalArgumentException("S3 retry backoff must satisfy 0 <= initialBackoff (" + initialBackoff
					+ ") <= maxBackoff (" + maxBackoff + ")");
		}
	}

	/**
	 * A policy that makes one attempt per request and never retries.
	 * @return the policy
	 */
	public static S3RetryPolicy none() {
		return new S3RetryPolicy(1, Duration.ZERO, Duration.ZERO);
	}

	/**
	 * Returns the delay before a retry: {@code initialBackoff * 2^(retry - 1)}, capped at
	 * {@code maxBackoff}, of which a random half is dropped ("equal jitter") so that
	 * throttled clients do not retry in step.
	 * @param retry the retry about to be made, 1 for the first
	 * @return the delay
	 */
	public Duration backoff(int retry) {
		if (retry < 1) {
			throw new IllegalArgumentException("Retry number must be at least 1, got " + retry);
		}
		long initial = this.initialBackoff.toNanos();
		long max = this.maxBackoff.toNanos();
		long delay = initial;
		for (int i = 1; i < retry && delay < max; i++) {
			// Compared before doubling, so that a large cap cannot overflow
			delay = (delay > max / 2) ? max : delay * 2;
		}
		long half = delay / 2;
		long jitter = (half > 0) ? ThreadLocalRandom.current().nextLong(half + 1) : 0;
		return Duration.ofNanos(delay - half + jitter);
	}

}
