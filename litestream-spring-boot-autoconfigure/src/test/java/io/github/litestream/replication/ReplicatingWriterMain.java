package io.github.litestream.replication;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.storage.file.FileReplicaClient;

/**
 * A child-JVM program for crash tests: it replicates a database to a file replica while
 * one thread writes rows, and repeatedly prints {@code durable <rowId> <txid>} once every
 * row up to {@code rowId} is in TXID {@code txid} on the replica. A SIGTERM stops it
 * cleanly; a SIGKILL stops it anywhere.
 * <p>
 * Arguments: database path, replica directory.
 */
public final class ReplicatingWriterMain {

	private static final Object commitMonitor = new Object();

	private static volatile long lastCommitted;

	private static volatile boolean running = true;

	private ReplicatingWriterMain() {
	}

	public static void main(String[] args) throws Exception {
		Path db = Path.of(args[0]);
		Path replicaDir = Path.of(args[1]);
		Connection connection = TestDatabases.open(db);
		TestDatabases.execute(connection,
				"CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT, payload BLOB)");
		lastCommitted = TestDatabases.queryLong(connection, "SELECT COALESCE(MAX(id), 0) FROM t");
		Replicator replicator = new Replicator(ReplicatorConfig.builder("app", db)
			.replica(new ReplicaConfig("file", new FileReplicaClient(replicaDir), Duration.ofMillis(100)))
			.monitorInterval(Duration.ofMillis(100))
			.minCheckpointPageCount(300)
			.checkpointInterval(Duration.ofSeconds(2))
			// A run killed with SIGKILL leaves its lease behind: the next run takes it
			// over once it expired, sooner than the 30 s default
			.lease(new LeaseConfig(true, Duration.ofSeconds(3), Duration.ofSeconds(1)))
			.build());
		replicator.start();
		Thread writer = new Thread(() -> write(connection, replicator), "writer");
		writer.start();
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			running = false;
			try {
				writer.join();
				replicator.stop();
				connection.close();
				replicator.close();
				System.out.println("stopped " + replicator.txid());
			}
			catch (Exception ex) {
				ex.printStackTrace();
			}
		}));
		System.out.println("started " + replicator.txid());
		while (running) {
			long rows = lastCommitted;
			long txid = replicator.sync();
			if (replicator.awaitReplicated(txid, Duration.ofSeconds(30))) {
				System.out.println("durable " + rows + " " + txid);
			}
			synchronized (commitMonitor) {
				while (running && lastCommitted < rows + 20) {
					commitMonitor.wait(1000);
				}
			}
		}
	}

	private static void write(Connection connection, Replicator replicator) {
		byte[] payload = new byte[500];
		try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t (payload) VALUES (?)");
				Statement statement = connection.createStatement()) {
			while (running) {
				connection.setAutoCommit(false);
				for (int i = 0; i < 3; i++) {
					ThreadLocalRandom.current().nextBytes(payload);
					insert.setBytes(1, payload);
					insert.executeUpdate();
				}
				connection.commit();
				connection.setAutoCommit(true);
				try (ResultSet rs = statement.executeQuery("SELECT MAX(id) FROM t")) {
					rs.next();
					lastCommitted = rs.getLong(1);
				}
				replicator.notifyCommit();
				synchronized (commitMonitor) {
					commitMonitor.notifyAll();
				}
			}
		}
		catch (Exception ex) {
			if (running) {
				ex.printStackTrace();
			}
		}
	}

}
