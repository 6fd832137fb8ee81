package io.github.litestream.jdbc;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The application's write transactions queue for their turn in the wrapper (DESIGN 4.17)
 * and never keep the next writer waiting after they ended, however they ended.
 */
class WriterQueueTests {

	@TempDir
	Path dir;

	private final List<AutoCloseable> open = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.open.size() - 1; i >= 0; i--) {
			this.open.get(i).close();
		}
	}

	@Test
	void aSecondWriteTransactionOfTheSameThreadFailsAfterTheBusyTimeoutInsteadOfWaitingForEver() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE&busy_timeout=300");
		try (Connection outer = dataSource.getConnection(); Connection inner = dataSource.getConnection()) {
			outer.setAutoCommit(false);
			insert(outer, 1);

			assertThatExceptionOfType(SQLException.class).isThrownBy(() -> inner.setAutoCommit(false))
				.satisfies((ex) -> assertThat(ex.getErrorCode()).isEqualTo(WriterQueue.SQLITE_BUSY))
				.withMessageContaining("database 'dataSource'");
			outer.commit();
			// Its turn comes once the first one committed.
			inner.setAutoCommit(false);
			insert(inner, 2);
			inner.commit();
		}
		assertThat(count(dataSource)).isEqualTo(2);
	}

	@Test
	void aConnectionReturnedWithItsTransactionOpenGivesUpItsTurn() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE&busy_timeout=300");
		try (Connection abandoned = dataSource.getConnection()) {
			abandoned.setAutoCommit(false);
			insert(abandoned, 1);
		}
		try (Connection next = dataSource.getConnection()) {
			next.setAutoCommit(false);
			insert(next, 2);
			next.commit();
		}
		assertThat(count(dataSource)).isEqualTo(1);
	}

	@Test
	void aRolledBackTransactionGivesUpItsTurn() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE&busy_timeout=300");
		try (Connection first = dataSource.getConnection(); Connection second = dataSource.getConnection()) {
			first.setAutoCommit(false);
			insert(first, 1);
			first.rollback();
			second.setAutoCommit(false);
			insert(second, 2);
			second.commit();
		}
		assertThat(count(dataSource)).isEqualTo(1);
	}

	@Test
	void aBeginThatSqliteRefusedGivesUpItsTurn() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=IMMEDIATE&busy_timeout=300");
		try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + this.dir.resolve("app.db"));
				Statement lock = other.createStatement()) {
			// Another process's writer holds SQLite's write lock longer than the timeout.
			lock.execute("BEGIN IMMEDIATE");
			try (Connection refused = dataSource.getConnection()) {
				assertThatExceptionOfType(SQLException.class).isThrownBy(() -> refused.setAutoCommit(false))
					.withMessageContaining("locked");
			}
			lock.execute("ROLLBACK");
		}
		try (Connection next = dataSource.getConnection()) {
			next.setAutoCommit(false);
			insert(next, 1);
			next.commit();
		}
		assertThat(count(dataSource)).isEqualTo(1);
	}

	@Test
	void deferredTransactionsDoNotQueue() throws Exception {
		LitestreamDataSource dataSource = dataSource("?transaction_mode=DEFERRED&busy_timeout=300");
		try (Connection first = dataSource.getConnection(); Connection second = dataSource.getConnection()) {
			first.setAutoCommit(false);
			second.setAutoCommit(false);
			// Two readers at once: a deferred BEGIN takes no lock, so nothing queues.
			assertThat(count(first)).isZero();
			assertThat(count(second)).isZero();
			first.commit();
			second.commit();
		}
	}

	private static void insert(Connection connection, int id) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute("INSERT INTO t (id) VALUES (" + id + ")");
		}
	}

	private static long count(LitestreamDataSource dataSource) throws SQLException {
		try (Connection connection = dataSource.getConnection()) {
			return count(connection);
		}
	}

	private static long count(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				var result = statement.executeQuery("SELECT count(*) FROM t")) {
			result.next();
			return result.getLong(1);
		}
	}

	private LitestreamDataSource dataSource(String parameters) throws Exception {
		LitestreamDataSource dataSource = WrappedPools.open(this.dir, parameters, 4);
		this.open.add(dataSource::close);
		try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
		}
		return dataSource;
	}

}
