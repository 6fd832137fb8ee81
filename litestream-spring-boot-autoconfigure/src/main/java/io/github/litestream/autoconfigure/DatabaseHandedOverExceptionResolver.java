package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;

import io.github.litestream.jdbc.DatabaseHandedOverException;
import io.github.litestream.jdbc.DatabaseNotServedYetException;
import io.github.litestream.jdbc.DatabaseReadOnlyException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

/**
 * Answers a request that failed because this instance handed its database over to another
 * (a rolling deploy) or has not taken it over yet ({@link DatabaseNotServedYetException},
 * a warm successor whose web server listens before its takeover), or refused a write
 * because it cannot renew its lease for now ({@link DatabaseReadOnlyException}:
 * {@code Retry-After: 2}, the connection kept), with {@code 503 Service Unavailable}, a
 * problem detail that names the successor, {@code Retry-After: 1} and
 * {@code Connection: close}, so that the client's next attempt opens a new connection,
 * which the load balancer sends to the new instance. Without it the request would end as
 * a 500 with a stack trace per request. Runs before the application's own resolvers;
 * other exceptions are left to them.
 */
class DatabaseHandedOverExceptionResolver implements HandlerExceptionResolver, Ordered {

	private static final Logger logger = LoggerFactory.getLogger(DatabaseHandedOverExceptionResolver.class);

	@Override
	public @Nullable ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response,
			@Nullable Object handler, Exception ex) {
		SQLException refused = find(ex);
		if (refused == null || response.isCommitted()) {
			return null;
		}
		logger.debug("{} {} refused: {}", request.getMethod(), request.getRequestURI(), refused.getMessage());
		response.setStatus(HttpStatus.SERVICE_UNAVAILABLE.value());
		if (refused instanceof DatabaseHandedOverException || refused instanceof DatabaseNotServedYetException) {
			// Another instance serves the database: a new connection reaches it
			response.setHeader(HttpHeaders.RETRY_AFTER, "1");
			response.setHeader(HttpHeaders.CONNECTION, "close");
		}
		else {
			// This instance serves reads and takes writes again once its lease is renewed
			response.setHeader(HttpHeaders.RETRY_AFTER, "2");
		}
		response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		response.setCharacterEncoding(StandardCharsets.UTF_8.name());
		String body = "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503,\"detail\":\""
				+ escape(refused.getMessage()) + "\",\"instance\":\"" + escape(request.getRequestURI()) + "\"}";
		try {
			response.getWriter().write(body);
		}
		catch (IOException writeFailed) {
			logger.debug("Could not write the answer to {}", request.getRequestURI(), writeFailed);
		}
		return new ModelAndView();
	}

	private static @Nullable SQLException find(Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof DatabaseHandedOverException || cause instanceof DatabaseReadOnlyException
					|| cause instanceof DatabaseNotServedYetException) {
				return (SQLException) cause;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return null;
	}

	private static String escape(@Nullable String text) {
		if (text == null) {
			return "";
		}
		StringBuilder escaped = new StringBuilder(text.length());
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '"' || c == '\\') {
				escaped.append('\\').append(c);
			}
			else if (c < 0x20) {
				escaped.append(String.format("\\u%04x", (int) c));
			}
			else {
				escaped.append(c);
			}
		}
		return escaped.toString();
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
