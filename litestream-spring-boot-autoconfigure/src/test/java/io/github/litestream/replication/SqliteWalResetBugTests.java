package io.github.litestream.replication;

import java.sql.Connection;
import java.sql.DriverManager;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link SqliteWalResetBug}: the affected range is 3.7.0 to 3.51.2, except the
 * 3.44.6+ and 3.50.7+ backports.
 */
class SqliteWalResetBugTests {

	@ParameterizedTest
	@ValueSource(strings = { "3.7.0", "3.7.6.3", "3.8.0", "3.44.0", "3.44.5", "3.45.0", "3.45.3", "3.49.2", "3.50.0",
			"3.50.3", "3.50.6", "3.51.0", "3.51.2" })
	void versionsFromFirstWalReleaseToBeforeTheFixAreAffected(String version) {
		assertThat(SqliteWalResetBug.affects(version)).isTrue();
	}

	@ParameterizedTest
	@ValueSource(strings = { "3.6.23", "3.6.23.1", "3.6", "3.44.6", "3.44.7", "3.50.7", "3.50.8", "3.51.3", "3.51.4",
			"3.52.0", "3.53.0", "3.54.1", "3.100.0", "4.0.0" })
	void versionsWithoutWalOrWithTheFixAreNotAffected(String version) {
		assertThat(SqliteWalResetBug.affects(version)).isFalse();
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "3", "3.x.0", "3.51.3-beta", "v3.51.3", "3.51.3.0.1", " 3.51.3" })
	void malformedVersionIsRejectedQuotingIt(String version) {
		assertThatIllegalArgumentException().isThrownBy(() -> SqliteWalResetBug.affects(version))
			.withMessageContaining("'" + version + "'");
	}

	@Test
	void runtimeVersionIsWhatTheDriverReportsAndTheBundledDriverIsNotAffected() throws Exception {
		String version = SqliteWalResetBug.runtimeVersion();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite::memory:")) {
			assertThat(connection.getMetaData().getDatabaseProductVersion()).isEqualTo(version);
			assertThat(SqliteWalResetBug.version(connection)).isEqualTo(version);
		}
		assertThat(version).matches("3\\.\\d+\\.\\d+");
		assertThat(SqliteWalResetBug.affects(version)).isFalse();
	}

}
