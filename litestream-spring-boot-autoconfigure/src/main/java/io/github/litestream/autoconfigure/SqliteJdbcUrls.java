package io.github.litestream.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * Derives the database file from a SQLite JDBC URL: {@code jdbc:sqlite:path},
 * {@code jdbc:sqlite:file:path} and {@code jdbc:sqlite:file:///abs/path}, each with
 * optional query parameters.
 */
final class SqliteJdbcUrls {

	static final String PREFIX = "jdbc:sqlite:";

	private SqliteJdbcUrls() {
	}

	static boolean isSqlite(@Nullable String url) {
		return url != null && url.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
	}

	/**
	 * Returns the database file, or {@code null} for an in-memory database.
	 */
	static @Nullable Path databasePath(String url) {
		String rest = url.substring(PREFIX.length());
		int query = rest.indexOf('?');
		String params = (query >= 0) ? rest.substring(query + 1).toLowerCase(Locale.ROOT) : "";
		if (query >= 0) {
			rest = rest.substring(0, query);
		}
		if (rest.isEmpty() || rest.equals(":memory:") || rest.startsWith(":resource:")
				|| params.contains("mode=memory")) {
			return null;
		}
		if (rest.startsWith("file:")) {
			String file = rest.substring("file:".length());
			if (file.startsWith("//")) {
				return Path.of(URI.create(rest));
			}
			return Path.of(file);
		}
		return Path.of(rest);
	}

}
