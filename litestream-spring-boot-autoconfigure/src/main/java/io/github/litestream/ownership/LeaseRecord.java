package io.github.litestream.ownership;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.storage.LeaseObject;
import org.jspecify.annotations.Nullable;

/**
 * The content of a replica's lease object ({@code lock.json}), a flat JSON object whose
 * first three fields are those of Litestream's leaser, so that either tool respects the
 * other's lease: {@code generation} (the epoch, incremented by every new holder),
 * {@code expires_at} (RFC 3339) and {@code owner} ({@code host:pid}). The others are ours
 * and ignored by Litestream: {@code instance} (unique per engine run, which tells two
 * runs of the same process apart), {@code database}, {@code acquired_at}, and
 * {@code requested_by}: a contender writes its identity there (with {@code If-Match}) to
 * ask the holder to hand the lease over, and {@code requested_at}, refreshed while it
 * waits; a holder keeps both when it renews, and hands over at that renewal unless the
 * request is older than the TTL (its requester gave up or died); {@code final_txid} (16
 * hex digits): written by a holder that released the lease after a handover, the TXID
 * every replica holds and its successor must restore. A released lease has
 * {@code expires_at} at Go's zero time ({@code 0001-01-01T00:00:00Z}), which both tools
 * read as expired.
 */
record LeaseRecord(long generation, Instant expiresAt, @Nullable String owner, @Nullable String instance,
		@Nullable String database, @Nullable Instant acquiredAt, @Nullable String requestedBy,
		@Nullable Instant requestedAt, @Nullable Long finalTxid) {

	/** Go's zero time: the expiry of a released lease. */
	static final Instant RELEASED = Instant.parse("0001-01-01T00:00:00Z");

	boolean isExpiredAt(Instant now) {
		return !this.expiresAt.isAfter(now);
	}

	boolean isReleased() {
		return !this.expiresAt.isAfter(RELEASED);
	}

	LeaseRecord withExpiry(Instant expiresAt) {
		return new LeaseRecord(this.generation, expiresAt, this.owner, this.instance, this.database, this.acquiredAt,
				this.requestedBy, this.requestedAt, this.finalTxid);
	}

	LeaseRecord withRequest(@Nullable String requestedBy, @Nullable Instant requestedAt) {
		return new LeaseRecord(this.generation, this.expiresAt, this.owner, this.instance, this.database,
				this.acquiredAt, requestedBy, requestedAt, this.finalTxid);
	}

	LeaseRecord withFinalTxid(@Nullable Long finalTxid) {
		return new LeaseRecord(this.generation, this.expiresAt, this.owner, this.instance, this.database,
				this.acquiredAt, this.requestedBy, this.requestedAt, finalTxid);
	}

	byte[] encode() {
		StringBuilder json = new StringBuilder(256);
		json.append("{\"generation\":").append(this.generation);
		json.append(",\"expires_at\":");
		string(json, this.expiresAt.toString());
		field(json, "owner", this.owner);
		field(json, "instance", this.instance);
		field(json, "database", this.database);
		field(json, "acquired_at", (this.acquiredAt != null) ? this.acquiredAt.toString() : null);
		field(json, "requested_by", this.requestedBy);
		field(json, "requested_at", (this.requestedAt != null) ? this.requestedAt.toString() : null);
		field(json, "final_txid", (this.finalTxid != null) ? LtxFileName.formatTxid(this.finalTxid) : null);
		return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
	}

	private static void field(StringBuilder json, String name, @Nullable String value) {
		if (value != null) {
			json.append(",\"").append(name).append("\":");
			string(json, value);
		}
	}

	private static void string(StringBuilder json, String value) {
		json.append('"');
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c == '"' || c == '\\') {
				json.append('\\').append(c);
			}
			else if (c < 0x20) {
				json.append(String.format("\\u%04x", (int) c));
			}
			else {
				json.append(c);
			}
		}
		json.append('"');
	}

	/**
	 * Reads a stored lease object that may not be a lease at all.
	 * @param stored the lease object
	 * @return the lease, or {@code null} when it is not one (see {@link #parse})
	 */
	static @Nullable LeaseRecord parseOrNull(LeaseObject stored) {
		try {
			return parse(stored.content());
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	/**
	 * Reads a lease object.
	 * @param content the bytes of {@code lock.json}
	 * @return the lease
	 * @throws IllegalArgumentException if it is not a flat JSON object with a numeric
	 * {@code generation} and an RFC 3339 {@code expires_at}
	 */
	static LeaseRecord parse(byte[] content) {
		Map<String, @Nullable Object> fields = new Parser(new String(content, StandardCharsets.UTF_8)).object();
		if (!(fields.get("generation") instanceof Long generation)) {
			throw new IllegalArgumentException("no numeric 'generation'");
		}
		Instant expiresAt = instant(fields.get("expires_at"));
		if (expiresAt == null) {
			throw new IllegalArgumentException("no 'expires_at'");
		}
		return new LeaseRecord(generation, expiresAt, text(fields.get("owner")), text(fields.get("instance")),
				text(fields.get("database")), instant(fields.get("acquired_at")), text(fields.get("requested_by")),
				instant(fields.get("requested_at")), txid(fields.get("final_txid")));
	}

	private static @Nullable Long txid(@Nullable Object value) {
		if (!(value instanceof String string)) {
			return null;
		}
		try {
			return Long.parseUnsignedLong(string, 16);
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("'" + string + "' is not a TXID", ex);
		}
	}

	private static @Nullable String text(@Nullable Object value) {
		return (value instanceof String string) ? string : null;
	}

	private static @Nullable Instant instant(@Nullable Object value) {
		if (!(value instanceof String string)) {
			return null;
		}
		try {
			return OffsetDateTime.parse(string).toInstant();
		}
		catch (DateTimeParseException ex) {
			throw new IllegalArgumentException("'" + string + "' is not an RFC 3339 time", ex);
		}
	}

	/**
	 * Just enough JSON for a flat object of strings, integers, booleans and nulls.
	 */
	private static final class Parser {

		private final String text;

		private int position;

		Parser(String text) {
			this.text = text;
		}

		Map<String, @Nullable Object> object() {
			Map<String, @Nullable Object> fields = new LinkedHashMap<>();
			expect('{');
			skipSpace();
			if (peek() == '}') {
				this.position++;
				return end(fields);
			}
			while (true) {
				skipSpace();
				String name = string();
				expect(':');
				fields.put(name, value());
				skipSpace();
				char next = next();
				if (next == '}') {
					return end(fields);
				}
				if (next != ',') {
					throw new IllegalArgumentException("expected ',' or '}' at " + (this.position - 1));
				}
			}
		}

		private Map<String, @Nullable Object> end(Map<String, @Nullable Object> fields) {
			skipSpace();
			if (this.position != this.text.length()) {
				throw new IllegalArgumentException("trailing characters at " + this.position);
			}
			return fields;
		}

		private @Nullable Object value() {
			skipSpace();
			char c = peek();
			if (c == '"') {
				return string();
			}
			if (c == '-' || (c >= '0' && c <= '9')) {
				int start = this.position;
				while (this.position < this.text.length()
						&& "+-0123456789.eE".indexOf(this.text.charAt(this.position)) >= 0) {
					this.position++;
				}
				String number = this.text.substring(start, this.position);
				try {
					return Long.parseLong(number);
				}
				catch (NumberFormatException ex) {
					return Double.parseDouble(number);
				}
			}
			for (String literal : new String[] { "true", "false", "null" }) {
				if (this.text.startsWith(literal, this.position)) {
					this.position += literal.length();
					return literal.equals("null") ? null : Boolean.valueOf(literal);
				}
			}
			throw new IllegalArgumentException("unsupported value at " + this.position);
		}

		private String string() {
			expect('"');
			StringBuilder value = new StringBuilder();
			while (true) {
				char c = next();
				if (c == '"') {
					return value.toString();
				}
				if (c == '\\') {
					char escaped = next();
					switch (escaped) {
						case 'n' -> value.append('\n');
						case 't' -> value.append('\t');
						case 'r' -> value.append('\r');
						case 'b' -> value.append('\b');
						case 'f' -> value.append('\f');
						case 'u' -> {
							value.append(
									(char) Integer.parseInt(this.text.substring(this.position, this.position + 4), 16));
							this.position += 4;
						}
						default -> value.append(escaped);
					}
				}
				else {
					value.append(c);
				}
			}
		}

		private void expect(char expected) {
			skipSpace();
			if (next() != expected) {
				throw new IllegalArgumentException("expected '" + expected + "' at " + (this.position - 1));
			}
		}

		private char peek() {
			if (this.position >= this.text.length()) {
				throw new IllegalArgumentException("unexpected end");
			}
			return this.text.charAt(this.position);
		}

		private char next() {
			char c = peek();
			this.position++;
			return c;
		}

		private void skipSpace() {
			while (this.position < this.text.length() && Character.isWhitespace(this.text.charAt(this.position))) {
				this.position++;
			}
		}

	}

}
