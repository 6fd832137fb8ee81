package io.github.litestream.replication;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Random;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.file.FileReplicaClient;

/**
 * A child-JVM program, run with a small heap: it grows a database past a target size
 * while replicating it, then restores it from the replica and prints
 * {@code result <pages> <sourceChecksum> <restoredChecksum> <peakHeapBytes>}.
 * <p>
 * Arguments: database path, replica directory, restore output path, target size in bytes.
 */
public final class LargeDatabaseMain {

	private LargeDatabaseMain() {
	}

	public static void main(String[] args) throws Exception {
		Path db = Path.of(args[0]);
		Path replicaDir = Path.of(args[1]);
		Path restored = Path.of(args[2]);
		long targetBytes = Long.parseLong(args[3]);
		FileReplicaClient client = new FileReplicaClient(replicaDir);
		Replicator replicator = new Replicator(ReplicatorConfig.builder("big", db)
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(500)))
			.monitorInterval(Duration.ofMillis(500))
			.build());
		Connection connection = TestDatabases.open(db);
		TestDatabases.execute(connection, "CREATE TABLE big (id INTEGER PRIMARY KEY, data BLOB)");
		replicator.start();
		Random random = new Random(42);
		byte[] row = new byte[3000];
		long targetPages = targetBytes / 4096;
		long id = 0;
		try (PreparedStatement insert = connection.prepareStatement("INSERT INTO big (id, data) VALUES (?, ?)")) {
			while (TestDatabases.queryLong(connection, "PRAGMA page_count") < targetPages) {
				connection.setAutoCommit(false);
				for (int i = 0; i < 1000; i++) {
					id++;
					// Mostly compressible, but distinct per row so a misplaced page
					// shows.
					random.nextBytes(row);
					java.util.Arrays.fill(row, 32, row.length, (byte) (id % 251));
					insert.setLong(1, id);
					insert.setBytes(2, row);
					insert.executeUpdate();
				}
				connection.commit();
				connection.setAutoCommit(true);
				replicator.notifyCommit();
			}
		}
		long pages = TestDatabases.queryLong(connection, "PRAGMA page_count");
		long txid = replicator.sync();
		if (!replicator.awaitReplicated(txid, Duration.ofMinutes(5))) {
			throw new IllegalStateException("Replica did not reach TXID " + txid);
		}
		replicator.stop();
		connection.close();
		replicator.close();
		long source = TestDatabases.checksum(db);
		new Restorer().restore(client, restored, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.QUICK))
			.orElseThrow();
		long copy = TestDatabases.checksum(restored);
		long peakHeap = 0;
		for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
			if (pool.getType() == MemoryType.HEAP) {
				peakHeap += pool.getPeakUsage().getUsed();
			}
		}
		System.out.printf("result %d %016x %016x %d%n", pages, source, copy, peakHeap);
	}

}
