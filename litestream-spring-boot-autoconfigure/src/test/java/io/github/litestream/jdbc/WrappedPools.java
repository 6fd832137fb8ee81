package io.github.litestream.jdbc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.storage.file.FileReplicaClient;

/**
 * A Hikari pool wrapped as the starter wraps it: database {@code dataSource} at
 * {@code app.db} in a directory, replicated to a file replica beside it, engine started.
 */
final class WrappedPools {

	private WrappedPools() {
	}

	/**
	 * Opens the pool; close the returned DataSource (it stops the engine and the pool).
	 * @param dir the directory of the database and its replica
	 * @param urlParameters appended to the JDBC URL ({@code ?transaction_mode=...})
	 * @param poolSize the pool's maximum size, or 0 for Hikari's default
	 * @return the wrapped, started DataSource
	 */
	static LitestreamDataSource open(Path dir, String urlParameters, int poolSize) throws Exception {
		Path db = dir.resolve("app.db");
		FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
		List<Replica> replicas = List.of(new Replica("file", client.location(), client, Duration.ofSeconds(1)));
		CompositeReplicationListener listener = new CompositeReplicationListener();
		ReplicatorConfig config = LitestreamDatabase.config(ReplicatorConfig.builder("dataSource", db), replicas,
				listener);
		LitestreamDatabase database = new LitestreamDatabase(config, replicas,
				new LitestreamDatabase.Settings(true, IntegrityCheck.QUICK, Duration.ofSeconds(1)), listener);
		HikariConfig pool = new HikariConfig();
		pool.setJdbcUrl("jdbc:sqlite:" + db + urlParameters);
		if (poolSize > 0) {
			pool.setMaximumPoolSize(poolSize);
		}
		LitestreamDataSource dataSource = new LitestreamDataSource(new HikariDataSource(pool), database);
		try {
			database.start();
		}
		catch (Exception ex) {
			dataSource.close();
			throw ex;
		}
		return dataSource;
	}

}
