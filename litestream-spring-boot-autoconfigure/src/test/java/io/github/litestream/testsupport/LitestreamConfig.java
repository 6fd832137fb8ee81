package io.github.litestream.testsupport;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Writes the YAML configuration for {@code litestream replicate} with one database and
 * one file replica. Key names and their scope were read from
 * {@code cmd/litestream/main.go} (identical in v0.5.15, v0.5.16 and later) and checked by
 * running v0.5.17 with {@code logging.level: debug}: a configured interval shows up in
 * its startup lines.
 */
final class LitestreamConfig {

	static final Set<String> DATABASE_KEYS = Set.of("monitor-interval", "checkpoint-interval", "busy-timeout",
			"min-checkpoint-page-count", "truncate-page-n", "max-sync-wal-bytes");

	static final Set<String> REPLICA_KEYS = Set.of("sync-interval", "validation-interval", "max-sync-ltx-files",
			"auto-recover");

	static final Set<String> GLOBAL_KEYS = Set.of("snapshot.interval", "snapshot.retention", "levels", "l0-retention",
			"l0-retention-check-interval", "shutdown-sync-timeout", "shutdown-sync-interval", "verify-compaction",
			"retention.enabled", "validation.interval", "logging.level", "logging.type");

	private LitestreamConfig() {
	}

	static String yaml(Path db, Path fileReplicaRoot, Map<String, ?> options) {
		Set<String> unknown = new TreeSet<>(options.keySet());
		unknown.removeAll(DATABASE_KEYS);
		unknown.removeAll(REPLICA_KEYS);
		unknown.removeAll(GLOBAL_KEYS);
		if (!unknown.isEmpty()) {
			// Litestream would accept a misspelt key silently and run with its default.
			Set<String> known = new TreeSet<>(DATABASE_KEYS);
			known.addAll(REPLICA_KEYS);
			known.addAll(GLOBAL_KEYS);
			throw new IllegalArgumentException("Unknown Litestream option(s) " + unknown + "; known: " + known);
		}
		StringBuilder yaml = new StringBuilder("# Written by OfficialLitestream for a test.\n");
		Map<String, Map<String, Object>> sections = new TreeMap<>();
		new TreeMap<>(options).forEach((key, value) -> {
			if (!GLOBAL_KEYS.contains(key)) {
				return;
			}
			if (key.equals("levels")) {
				yaml.append("levels:\n");
				for (Object interval : asList(key, value)) {
					yaml.append("  - interval: ").append(scalar(interval)).append('\n');
				}
			}
			else if (key.contains(".")) {
				String[] parts = key.split("\\.", 2);
				sections.computeIfAbsent(parts[0], (section) -> new TreeMap<>()).put(parts[1], value);
			}
			else {
				yaml.append(key).append(": ").append(scalar(value)).append('\n');
			}
		});
		sections.forEach((section, entries) -> {
			yaml.append(section).append(":\n");
			entries
				.forEach((key, value) -> yaml.append("  ").append(key).append(": ").append(scalar(value)).append('\n'));
		});
		yaml.append("dbs:\n  - path: ").append(quote(db.toString())).append('\n');
		appendScoped(yaml, options, DATABASE_KEYS, "    ");
		yaml.append("    replica:\n      type: file\n      path: ")
			.append(quote(fileReplicaRoot.toString()))
			.append('\n');
		appendScoped(yaml, options, REPLICA_KEYS, "      ");
		return yaml.toString();
	}

	private static void appendScoped(StringBuilder yaml, Map<String, ?> options, Set<String> keys, String indent) {
		new TreeMap<>(options).forEach((key, value) -> {
			if (keys.contains(key)) {
				yaml.append(indent).append(key).append(": ").append(scalar(value)).append('\n');
			}
		});
	}

	private static List<?> asList(String key, Object value) {
		if (value instanceof List<?> list) {
			return list;
		}
		throw new IllegalArgumentException("Litestream option '" + key + "' takes a list of intervals, not " + value);
	}

	static String scalar(Object value) {
		if (value instanceof Duration duration) {
			return goDuration(duration);
		}
		if (value instanceof Number || value instanceof Boolean) {
			return value.toString();
		}
		if (value instanceof CharSequence text) {
			return quote(text.toString());
		}
		throw new IllegalArgumentException("Cannot write " + value.getClass().getName() + " '" + value
				+ "' as a Litestream option; use a Duration, number, boolean or string");
	}

	/**
	 * Formats a duration for Go's {@code time.ParseDuration}, which knows h, m, s, ms, us
	 * and ns but not ISO-8601.
	 */
	static String goDuration(Duration duration) {
		if (duration.isNegative()) {
			throw new IllegalArgumentException("Negative duration " + duration);
		}
		long nanos = duration.toNanos();
		return (nanos % 1_000_000 == 0) ? (nanos / 1_000_000) + "ms" : nanos + "ns";
	}

	private static String quote(String text) {
		return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
	}

}
