package io.github.litestream.storage.s3;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code litestream-timestamp} format: what Go's {@code time.RFC3339Nano} prints for
 * a millisecond timestamp in UTC, and what it accepts.
 */
class S3TimestampsTests {

	@ParameterizedTest
	@CsvSource({ "2023-11-14T22:13:21.234Z, 2023-11-14T22:13:21.234Z",
			"2023-11-14T22:13:21.230Z, 2023-11-14T22:13:21.23Z", "2023-11-14T22:13:21.200Z, 2023-11-14T22:13:21.2Z",
			"2023-11-14T22:13:21.000Z, 2023-11-14T22:13:21Z", "2023-11-14T22:13:21.001Z, 2023-11-14T22:13:21.001Z",
			"2023-11-14T22:13:21.010Z, 2023-11-14T22:13:21.01Z",
			"2023-11-14T22:13:21.999999999Z, 2023-11-14T22:13:21.999Z", "1970-01-01T00:00:00Z, 1970-01-01T00:00:00Z",
			"0999-01-01T00:00:00.5Z, 0999-01-01T00:00:00.5Z" })
	void formatDropsTrailingFractionalZerosAsGoDoes(Instant timestamp, String expected) {
		assertThat(S3Timestamps.format(timestamp)).isEqualTo(expected);
	}

	@ParameterizedTest
	@CsvSource({ "2023-11-14T22:13:21.2Z, 2023-11-14T22:13:21.200Z", "2023-11-14T22:13:21Z, 2023-11-14T22:13:21Z",
			"2023-11-14T22:13:21.123456789Z, 2023-11-14T22:13:21.123Z",
			"2023-11-14T23:13:21.5+01:00, 2023-11-14T22:13:21.500Z",
			"' 2023-11-14T22:13:21.2Z ', 2023-11-14T22:13:21.200Z",
			"2023-11-14T22:13:21.200Z, 2023-11-14T22:13:21.200Z" })
	void parseAcceptsRfc3339WithAnyFractionAndOffset(String value, Instant expected) {
		assertThat(S3Timestamps.parse(value)).isEqualTo(expected);
	}

	@Test
	void parseRejectsWhatIsNotATimestamp() {
		assertThat(S3Timestamps.parse("")).isNull();
		assertThat(S3Timestamps.parse("1700000001234")).isNull();
		assertThat(S3Timestamps.parse("2023-11-14 22:13:21")).isNull();
		// RFC 3339 requires an offset
		assertThat(S3Timestamps.parse("2023-11-14T22:13:21")).isNull();
	}

	@Test
	void formatAndParseRoundTripEveryMillisecondOfASecond() {
		Instant second = Instant.parse("2026-01-02T03:04:05Z");
		for (int millis = 0; millis < 1000; millis++) {
			Instant timestamp = second.plusMillis(millis);
			assertThat(S3Timestamps.parse(S3Timestamps.format(timestamp))).isEqualTo(timestamp);
		}
	}

}
