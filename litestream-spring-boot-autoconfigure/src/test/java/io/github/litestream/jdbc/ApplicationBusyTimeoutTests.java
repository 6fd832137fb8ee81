package io.github.litestream.jdbc;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.github.litestream.core.ReplicationDefaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The busy timeout of the application's connections (DESIGN 4.17 and 8): a
 * {@code busy_timeout} in the JDBC URL wins, otherwise they wait 5 s, while the engine's
 * own connections keep {@code litestream.busy-timeout}. Regression tests for the wrapper
 * that set the engine's 1 s on every connection, over the URL's value and below
 * sqlite-jdbc's own 3 s.
 */
class ApplicationBusyTimeoutTests {

	@TempDir
	Path dir;

	private final List<LitestreamDataSource> open = new ArrayList<>();

	@AfterEach
	void closeAll() {
		this.open.forEach(LitestreamDataSource::close);
	}

	@Test
	void busyTimeoutInTheJdbcUrlIsNotOverridden() throws Exception {
		assertThat(busyTimeout(dataSource("?busy_timeout=4321"))).isEqualTo(4321);
	}

	@Test
	void applicationConnectionsWaitFiveSecondsWhenTheUrlSetsNoBusyTimeout() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE");
		assertThat(busyTimeout(dataSource)).isEqualTo(ReplicationDefaults.APPLICATION_BUSY_TIMEOUT.toMillis())
			.isEqualTo(5000);
		assertThat(dataSource.getDatabase().getConfig().busyTimeout()).isEqualTo(ReplicationDefaults.BUSY_TIMEOUT);
	}

	private LitestreamDataSource dataSource(String parameters) throws Exception {
		LitestreamDataSource dataSource = WrappedPools.open(this.dir, parameters, 0);
		this.open.add(dataSource);
		return dataSource;
	}

	private static long busyTimeout(LitestreamDataSource dataSource) throws Exception {
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("PRAGMA busy_timeout")) {
			rs.next();
			return rs.getLong(1);
		}
	}

}
