package io.github.litestream.actuate;

import java.time.Instant;

import io.github.litestream.core.RestoreTarget;
import io.github.litestream.jdbc.LitestreamDatabases;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link LitestreamEndpoint}'s request handling.
 */
class LitestreamEndpointTests {

	@Test
	void emptyRestoreBodyTargetsTheLatestState() {
		assertThat(LitestreamEndpoint.target(null, null).isLatest()).isTrue();
		assertThat(LitestreamEndpoint.target("", " ").isLatest()).isTrue();
	}

	@Test
	void restoreTargetsATimestampOrATxidInDecimalOrHex() {
		assertThat(LitestreamEndpoint.target("2026-11-25T10:00:00Z", null))
			.isEqualTo(RestoreTarget.at(Instant.parse("2026-11-25T10:00:00Z")));
		assertThat(LitestreamEndpoint.target(null, "42")).isEqualTo(RestoreTarget.txid(42));
		assertThat(LitestreamEndpoint.target(null, "000000000000002a")).isEqualTo(RestoreTarget.txid(42));
	}

	@Test
	void invalidRestoreBodiesAreBadRequests() {
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target("2026-11-25T10:00:00Z", "42"));
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target("yesterday", null))
			.withMessageContaining("ISO-8601");
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target(null, "0"));
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> LitestreamEndpoint.target(null, "abc"));
	}

	@Test
	void unknownDatabaseIsNotFoundOrABadRequest() {
		LitestreamEndpoint endpoint = new LitestreamEndpoint(new LitestreamDatabases());
		assertThat(endpoint.databases().databases()).isEmpty();
		assertThat(endpoint.database("missing")).isNull();
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> endpoint.operate("missing", "sync", null, null));
	}

}
