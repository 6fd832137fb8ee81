package io.github.litestream.storage.s3;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Backoff of {@link S3RetryPolicy}: exponential, jittered, capped.
 */
class S3RetryPolicyTests {

	@Test
	void backoffDoublesFromTheInitialDelayWithUpToHalfOfItAsJitter() {
		S3RetryPolicy policy = new S3RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(10));
		for (int i = 0; i < 100; i++) {
			assertThat(policy.backoff(1)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
			assertThat(policy.backoff(2)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
			assertThat(policy.backoff(4)).isBetween(Duration.ofMillis(400), Duration.ofMillis(800));
		}
	}

	@Test
	void backoffIsCappedAtTheMaximumEvenForManyRetries() {
		S3RetryPolicy policy = new S3RetryPolicy(Integer.MAX_VALUE, Duration.ofMillis(200), Duration.ofSeconds(5));
		assertThat(policy.backoff(1000)).isBetween(Duration.ofMillis(2500), Duration.ofSeconds(5));
		assertThat(policy.backoff(Integer.MAX_VALUE)).isLessThanOrEqualTo(Duration.ofSeconds(5));
		S3RetryPolicy huge = new S3RetryPolicy(3, Duration.ofDays(1), Duration.ofDays(365 * 200));
		assertThat(huge.backoff(100)).isLessThanOrEqualTo(Duration.ofDays(365 * 200)).isPositive();
	}

	@Test
	void defaultRetriesThreeTimesWithinSecondsAndNoneNeverWaits() {
		assertThat(S3RetryPolicy.DEFAULT.maxAttempts()).isEqualTo(4);
		Duration worst = Duration.ZERO;
		for (int retry = 1; retry < S3RetryPolicy.DEFAULT.maxAttempts(); retry++) {
			worst = worst.plus(S3RetryPolicy.DEFAULT.maxBackoff().compareTo(Duration.ofMillis(200L << (retry - 1))) < 0
					? S3RetryPolicy.DEFAULT.maxBackoff() : Duration.ofMillis(200L << (retry - 1)));
		}
		assertThat(worst).isEqualTo(Duration.ofMillis(1400));
		assertThat(S3RetryPolicy.none().maxAttempts()).isOne();
		assertThat(S3RetryPolicy.none().backoff(1)).isZero();
	}

	@Test
	void invalidPoliciesAreRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> new S3RetryPolicy(0, Duration.ZERO, Duration.ZERO));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new S3RetryPolicy(2, Duration.ofSeconds(2), Duration.ofSeconds(1)));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new S3RetryPolicy(2, Duration.ofSeconds(-1), Duration.ofSeconds(1)));
		assertThatIllegalArgumentException().isThrownBy(() -> S3RetryPolicy.DEFAULT.backoff(0));
	}

}
