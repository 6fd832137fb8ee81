package io.github.litestream.jdbc;

import java.util.Locale;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Tells a statement that only reads from one that may write, by its first keyword, for a
 * warm successor (DESIGN 4.16): a write of the application's startup takes the database
 * over before it runs, a read does not. Errs towards "writes": a statement it cannot read
 * (a batch, an unknown keyword) takes the database over, which costs a longer gap and
 * never a refused write.
 */
final class StatementKind {

	/** Data-changing keywords in a {@code WITH} statement. */
	private static final Pattern DML = Pattern.compile("\\b(INSERT|UPDATE|DELETE|REPLACE|UPSERT)\\b",
			Pattern.CASE_INSENSITIVE);

	private static final int DESCRIBED_LENGTH = 60;

	private StatementKind() {
	}

	/**
	 * Whether the statement only reads: {@code SELECT}, {@code VALUES}, {@code EXPLAIN},
	 * a {@code PRAGMA} that sets nothing, a {@code WITH} without a data-changing keyword,
	 * and transaction control.
	 * @param sql the statement, or {@code null} when unknown
	 * @return whether it only reads
	 */
	static boolean isRead(@Nullable String sql) {
		if (sql == null) {
			return false;
		}
		String text = stripLeading(sql);
		String keyword = firstWord(text).toUpperCase(Locale.ROOT);
		return switch (keyword) {
			case "SELECT", "VALUES", "EXPLAIN", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE" -> true;
			case "PRAGMA" -> text.indexOf('=') < 0;
			case "WITH" -> !DML.matcher(text).find();
			default -> false;
		};
	}

	/**
	 * Says why a transaction about to begin on a warm successor writes: the application's
	 * Spring transaction on this thread is read-write, or its first statement writes.
	 * @param sql the first statement, or {@code null} when unknown
	 * @return why, or {@code null} when it reads first
	 */
	static @Nullable String writeIntent(@Nullable String sql) {
		if (TransactionSynchronizationManager.isActualTransactionActive()
				&& !TransactionSynchronizationManager.isCurrentTransactionReadOnly()) {
			String name = TransactionSynchronizationManager.getCurrentTransactionName();
			return "the read-write transaction" + ((name != null) ? " " + name : "");
		}
		if (sql != null && isRead(sql)) {
			return null;
		}
		return "a transaction beginning with " + describe(sql);
	}

	/**
	 * Names a statement in a log line.
	 * @param sql the statement, or {@code null}
	 * @return its start
	 */
	static String describe(@Nullable String sql) {
		if (sql == null) {
			return "a batch";
		}
		String text = stripLeading(sql).replaceAll("\\s+", " ");
		return "'" + ((text.length() > DESCRIBED_LENGTH) ? text.substring(0, DESCRIBED_LENGTH) + "..." : text) + "'";
	}

	/**
	 * Drops leading white space, comments and parentheses.
	 */
	private static String stripLeading(String sql) {
		int i = 0;
		int length = sql.length();
		while (i < length) {
			char c = sql.charAt(i);
			if (Character.isWhitespace(c) || c == '(' || c == ';') {
				i++;
			}
			else if (sql.startsWith("--", i)) {
				int end = sql.indexOf('\n', i);
				i = (end < 0) ? length : end + 1;
			}
			else if (sql.startsWith("/*", i)) {
				int end = sql.indexOf("*/", i + 2);
				i = (end < 0) ? length : end + 2;
			}
			else {
				break;
			}
		}
		return sql.substring(i);
	}

	private static String firstWord(String text) {
		int end = 0;
		while (end < text.length() && Character.isLetter(text.charAt(end))) {
			end++;
		}
		return text.substring(0, end);
	}

}
