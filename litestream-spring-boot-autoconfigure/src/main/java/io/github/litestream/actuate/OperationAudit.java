package io.github.litestream.actuate;

import java.security.Principal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.github.litestream.ltx.LtxFileName;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.actuate.audit.AuditEvent;
import org.springframework.boot.actuate.audit.listener.AuditApplicationEvent;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Records each write operation of the {@code litestream} endpoint once it has an outcome:
 * one INFO log line and one {@link AuditEvent} (published as an
 * {@link AuditApplicationEvent}, which Boot's audit listener stores in the
 * {@code AuditEventRepository}). Both name the principal (when there is one), the
 * database, the operation, the restore target and the outcome: the TXID reached, or the
 * HTTP status and the reason of the failure.
 * <p>
 * The event type is {@code LITESTREAM_SYNC}, {@code LITESTREAM_SNAPSHOT} or
 * {@code LITESTREAM_RESTORE} ({@value #UNKNOWN_OPERATION_TYPE} for an operation name the
 * endpoint does not know); its data holds {@code database}, {@code operation},
 * {@code target} (restore only: {@code latest}, {@code timestamp ...} or
 * {@code TXID ...}, or the request's values when they do not parse), {@code outcome}
 * ({@code success} or {@code failure}), then {@code txid} and {@code txidHex} on success
 * or {@code status} and {@code reason} on failure.
 */
final class OperationAudit {

	/** The event type of a request for an operation the endpoint does not know. */
	static final String UNKNOWN_OPERATION_TYPE = "LITESTREAM_UNKNOWN_OPERATION";

	private static final Logger logger = LoggerFactory.getLogger(LitestreamEndpoint.class);

	private static final Set<String> OPERATIONS = Set.of("sync", "snapshot", "restore");

	private static final ApplicationEventPublisher NO_OP = (event) -> {
	};

	private final ApplicationEventPublisher publisher;

	/**
	 * Creates an audit that only logs.
	 */
	OperationAudit() {
		this(NO_OP);
	}

	/**
	 * Creates an audit that logs and publishes audit events.
	 * @param publisher where the {@link AuditApplicationEvent}s go
	 */
	OperationAudit(ApplicationEventPublisher publisher) {
		this.publisher = publisher;
	}

	void succeeded(@Nullable Principal principal, String database, String operation, @Nullable String target,
			long txid) {
		String txidHex = LtxFileName.formatTxid(txid);
		logger.info("Endpoint operation '{}' on database '{}'{} by {} succeeded at TXID {}", printable(operation),
				printable(database), targetSuffix(target), caller(principal), txidHex);
		Map<String, @Nullable Object> data = data(database, operation, target, "success");
		data.put("txid", txid);
		data.put("txidHex", txidHex);
		publish(principal, operation, data);
	}

	void failed(@Nullable Principal principal, String database, String operation, @Nullable String target, int status,
			String reason) {
		logger.info("Endpoint operation '{}' on database '{}'{} by {} failed with {}: {}", printable(operation),
				printable(database), targetSuffix(target), caller(principal), status, printable(reason));
		Map<String, @Nullable Object> data = data(database, operation, target, "failure");
		data.put("status", status);
		data.put("reason", reason);
		publish(principal, operation, data);
	}

	private void publish(@Nullable Principal principal, String operation, Map<String, @Nullable Object> data) {
		String type = OPERATIONS.contains(operation) ? "LITESTREAM_" + operation.toUpperCase(Locale.ROOT)
				: UNKNOWN_OPERATION_TYPE;
		String name = (principal != null) ? principal.getName() : null;
		this.publisher.publishEvent(new AuditApplicationEvent(new AuditEvent(Instant.now(), name, type, data)));
	}

	private static Map<String, @Nullable Object> data(String database, String operation, @Nullable String target,
			String outcome) {
		Map<String, @Nullable Object> data = new LinkedHashMap<>();
		data.put("database", database);
		data.put("operation", operation);
		if (target != null) {
			data.put("target", target);
		}
		data.put("outcome", outcome);
		return data;
	}

	private static String targetSuffix(@Nullable String target) {
		return (target != null) ? " (target " + printable(target) + ")" : "";
	}

	private static String caller(@Nullable Principal principal) {
		return (principal != null) ? "'" + printable(principal.getName()) + "'" : "an unauthenticated caller";
	}

	/**
	 * Keeps a request's text on its log line: a line break in a path selector or a reason
	 * that quotes one must not forge a second, innocent-looking audit line.
	 */
	private static String printable(String text) {
		StringBuilder result = new StringBuilder(text.length());
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			result.append((Character.isISOControl(c)) ? '?' : c);
		}
		return result.toString();
	}

}
