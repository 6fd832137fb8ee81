package io.github.litestream.storage.s3;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

import org.jspecify.annotations.Nullable;

/**
 * The {@code litestream-timestamp} metadata value: the LTX header timestamp as Go's
 * {@code time.RFC3339Nano} prints it in UTC, which drops trailing fractional zeros and
 * the fraction itself when it is zero ({@code 2023-11-14T22:13:21.234Z},
 * {@code ...21.2Z}, {@code ...21Z}). Java's {@code ISO_INSTANT} would print
 * {@code ...21.200Z}; Go parses both, but matching it byte for byte keeps our objects
 * indistinguishable from Litestream's.
 */
final class S3Timestamps {

	private S3Timestamps() {
	}

	/**
	 * Formats a timestamp, truncated to milliseconds as LTX headers hold it.
	 * @param timestamp the timestamp
	 * @return the metadata value
	 */
	static String format(Instant timestamp) {
		String iso = DateTimeFormatter.ISO_INSTANT.format(timestamp.truncatedTo(ChronoUnit.MILLIS));
		int dot = iso.lastIndexOf('.');
		if (dot < 0) {
			return iso;
		}
		// ISO_INSTANT prints the fraction in groups of three digits, then 'Z'
		int end = iso.length() - 1;
		while (iso.charAt(end - 1) == '0') {
			end--;
		}
		return (end - 1 == dot) ? iso.substring(0, dot) + "Z" : iso.substring(0, end) + "Z";
	}

	/**
	 * Parses a metadata value written by Litestream or by {@link #format(Instant)}: any
	 * RFC 3339 timestamp with an offset and up to nine fractional digits.
	 * @param value the metadata value
	 * @return the instant, truncated to milliseconds, or {@code null} if the value is not
	 * a timestamp
	 */
	static @Nullable Instant parse(String value) {
		try {
			return OffsetDateTime.parse(value.strip(), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
				.toInstant()
				.truncatedTo(ChronoUnit.MILLIS);
		}
		catch (DateTimeParseException ex) {
			return null;
		}
	}

}
