package io.github.litestream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a deploy's time goes, read from the two instances' logs: the first line of each
 * phase at or after B's process start, as ms after that start (both processes log UTC
 * timestamps of this machine's clock; the harness takes B's start from the same clock).
 * The markers are the engine's and Spring's INFO lines; when the engine's log lines
 * change (a warm successor logs other phases), add or change a marker here: a marker that
 * no line matches is reported as not seen, nothing fails.
 */
final class HandoverPhases {

	/**
	 * One phase: whose log, the column heading and the line that marks it.
	 *
	 * @param instance {@code a} (the old instance) or {@code b} (the new one)
	 * @param label the column heading
	 * @param line the pattern of the line
	 */
	record Marker(String instance, String label, Pattern line) {

		static Marker of(String instance, String label, String regex) {
			return new Marker(instance, label, Pattern.compile(regex));
		}

	}

	/** The phases, in the order a deploy goes through them today. */
	static final List<Marker> MARKERS = List.of(
			// B's DataSource is created: it reads the lease. Another instance serves: B
			// restores and starts warm (reads only), then asks once its web server
			// listens
			// (DESIGN 4.16); before that change B asked before its restore.
			Marker.of("b", "B starts warm", "STARTING -> STANDBY"),
			Marker.of("b", "B asks for the lease",
					"asks for the leases to take the database over|STARTING -> ACQUIRING"),
			Marker.of("b", "B writes its request", "asked .* to hand over"),
			// A sees the request at a lease renewal, then drains and syncs.
			Marker.of("a", "A drains", "OWNER -> HANDING_OVER"),
			Marker.of("a", "A handed over", "HANDING_OVER -> HANDED_OVER"),
			Marker.of("b", "B owns", "ACQUIRING -> OWNER"), Marker.of("b", "B restored", "Restored .* to TXID"),
			Marker.of("b", "B Flyway done", "Successfully applied|No migration necessary"),
			Marker.of("b", "B context started", "Started \\S+ in"));

	/** A's "writes were paused for N ms", its own measure of the drain and final sync. */
	private static final Pattern PAUSED = Pattern.compile("writes were paused for ([0-9]+) ms");

	private static final Pattern TIMESTAMP = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z)");

	private HandoverPhases() {
	}

	/**
	 * Reads both logs.
	 * @return the ms after {@code bStart} of each marker's label (NaN when not seen),
	 * and, under {@code "A's own pause"}, the pause A logged
	 */
	static Map<String, Double> read(Path aLog, Path bLog, Instant bStart) throws IOException {
		List<String> a = Files.readAllLines(aLog);
		List<String> b = Files.readAllLines(bLog);
		Map<String, Double> phases = new LinkedHashMap<>();
		for (Marker marker : MARKERS) {
			phases.put(marker.label(), first(marker.instance().equals("a") ? a : b, marker.line(), bStart));
		}
		double paused = Double.NaN;
		for (String line : a) {
			Matcher m = PAUSED.matcher(line);
			if (m.find()) {
				paused = Double.parseDouble(m.group(1));
			}
		}
		phases.put(A_PAUSE, paused);
		return phases;
	}

	/** The key of the pause A logged. */
	static final String A_PAUSE = "A's own pause";

	private static double first(List<String> lines, Pattern pattern, Instant after) {
		for (String line : lines) {
			Matcher time = TIMESTAMP.matcher(line);
			if (!time.find() || !pattern.matcher(line).find()) {
				continue;
			}
			try {
				Instant at = Instant.parse(time.group(1));
				if (!at.isBefore(after)) {
					return Duration.between(after, at).toNanos() / 1e6;
				}
			}
			catch (DateTimeParseException ex) {
				// Not a log line of ours.
			}
		}
		return Double.NaN;
	}

}
