package io.github.litestream.jdbc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * One application instance of a replicated database for the handover and ownership tests:
 * a {@link LitestreamDatabase} with a short lease and a wrapped SQLite DataSource on a
 * table {@code notes(id, text)}.
 */
final class TestInstance {

	/** The database file. */
	final Path path;

	/** The replication runtime. */
	final LitestreamDatabase database;

	/** The wrapped DataSource. */
	final LitestreamDataSource dataSource;

	private TestInstance(Path path, LitestreamDatabase database, LitestreamDataSource dataSource) {
		this.path = path;
		this.database = database;
		this.dataSource = dataSource;
	}

	/**
	 * Creates an instance (not started) of database {@code app} in {@code
	 *
	<dir>
	 * /<name>/app.db}, replicating to {@code client} under {@code lease}.
	 */
	static TestInstance create(Path dir, String name, ReplicaClient client, LeaseConfig lease) throws Exception {
		return create(dir, name, client, lease, SQLiteConfig.TransactionMode.DEFERRED);
	}

	/**
	 * Creates an instance whose connections begin their transactions in {@code mode}.
	 */
	static TestInstance create(Path dir, String name, ReplicaClient client, LeaseConfig lease,
			SQLiteConfig.TransactionMode mode) throws Exception {
		Path db = dir.resolve(name).resolve("app.db");
		Files.createDirectories(db.getParent());
		List<Replica> replicas = List.of(new Replica("file", client.location(), client, Duration.ofMillis(20)));
		CompositeReplicationListener listener = new CompositeReplicationListener();
		ReplicatorConfig config = LitestreamDatabase.config(ReplicatorConfig.builder("app", db)
			.monitorInterval(Duration.ofMillis(20))
			.shutdownSyncTimeout(Duration.ofSeconds(10))
			.lease(lease), replicas, listener);
		LitestreamDatabase database = new LitestreamDatabase(config, replicas,
				new LitestreamDatabase.Settings(true, IntegrityCheck.QUICK, Duration.ofMillis(500)), listener);
		SQLiteDataSource sqlite = new SQLiteDataSource();
		sqlite.setUrl("jdbc:sqlite:" + db);
		sqlite.setTransactionMode(mode.name());
		return new TestInstance(db, database, new LitestreamDataSource(sqlite, database));
	}

	void start() throws Exception {
		this.database.restoreOnStartupIfNeeded();
		this.database.start();
	}

	void execute(String sql) throws SQLException {
		try (Connection connection = this.dataSource.getConnection();
				Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
	}

	Set<Integer> ids() throws SQLException {
		try (Connection connection = this.dataSource.getConnection()) {
			return ids(connection);
		}
	}

	void close() {
		this.database.stop();
		this.dataSource.close();
	}

	/**
	 * Restores the newest state of a file replica into {@code out} and returns its note
	 * IDs.
	 */
	static Set<Integer> restoredIds(Path replica, Path out) throws Exception {
		Files.deleteIfExists(out);
		new Restorer().restore(new FileReplicaClient(replica), out, RestoreOptions.defaults()).orElseThrow();
		SQLiteDataSource sqlite = new SQLiteDataSource();
		sqlite.setUrl("jdbc:sqlite:" + out);
		try (Connection connection = sqlite.getConnection()) {
			return ids(connection);
		}
	}

	static Set<Integer> ids(Connection connection) throws SQLException {
		Set<Integer> ids = new HashSet<>();
		try (Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT id FROM notes")) {
			while (rs.next()) {
				ids.add(rs.getInt(1));
			}
		}
		return ids;
	}

}
