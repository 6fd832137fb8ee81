package io.github.litestream.s3e2e;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.replication.Replicator;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.s3.S3ReplicaClient;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A child-JVM program, run with a small heap: it fills a database past a target size
 * before replication starts, so that the first full file (the level-9 snapshot an empty
 * replica starts with) is larger than that target and goes up as a multipart upload with
 * the default part size, then replicates a few more commits, restores from S3 and prints
 * {@code result <sourceCrc> <restoredCrc> <uploadParts> <firstFileBytes> <peakHeapBytes>}.
 * <p>
 * Arguments: database path, restore output path, target size in bytes, S3 endpoint,
 * region, access key, secret key, bucket.
 */
public final class S3LargeDatabaseMain {

	private S3LargeDatabaseMain() {
	}

	public static void main(String[] args) throws Exception {
		Path db = Path.of(args[0]);
		Path restored = Path.of(args[1]);
		long targetBytes = Long.parseLong(args[2]);
		AtomicInteger parts = new AtomicInteger();
		try (S3Client s3 = S3Client.builder()
			.endpointOverride(URI.create(args[3]))
			.region(Region.of(args[4]))
			.forcePathStyle(true)
			.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(args[5], args[6])))
			.build()) {
			S3ReplicaClient client = S3ReplicaClient.builder(s3, args[7]).prefix("big").requestListener((event) -> {
				if (event.apiName().equals("UploadPart") && event.successful()) {
					parts.incrementAndGet();
				}
			}).build();
			try (Connection connection = Databases.open(db)) {
				Databases.execute(connection, "CREATE TABLE big (id INTEGER PRIMARY KEY, data BLOB)");
				// Random bytes do not compress: the LTX file is as large as the database
				long rows = targetBytes / 3000 + 1;
				Databases.execute(connection,
						"INSERT INTO big (id, data) WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
								+ "WHERE x < " + rows + ") SELECT x, randomblob(3000) FROM s",
						"PRAGMA wal_checkpoint(TRUNCATE)");
				try (Replicator replicator = new Replicator(ReplicatorConfig.builder("big", db)
					.monitorInterval(Duration.ofMillis(200))
					.replica(new ReplicaConfig("s3", client, Duration.ofMillis(200)))
					.build())) {
					replicator.start();
					awaitReplicated(replicator);
					for (int i = 0; i < 3; i++) {
						Databases.execute(connection,
								"INSERT INTO big (data) SELECT randomblob(3000) FROM big WHERE id <= 50");
						replicator.notifyCommit();
						awaitReplicated(replicator);
					}
					replicator.stop();
				}
			}
			// The first full file: an empty replica's first upload is a level-9 snapshot.
			long firstFile = client.listFiles(9, 0).get(0).size();
			new Restorer().restore(client, restored, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.QUICK))
				.orElseThrow();
			long peakHeap = 0;
			for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
				if (pool.getType() == MemoryType.HEAP) {
					peakHeap += pool.getPeakUsage().getUsed();
				}
			}
			System.out.printf("result %08x %08x %d %d %d%n", crc(db), crc(restored), parts.get(), firstFile, peakHeap);
		}
	}

	private static void awaitReplicated(Replicator replicator) throws Exception {
		long txid = replicator.sync();
		if (!replicator.awaitReplicated(txid, Duration.ofMinutes(3))) {
			throw new IllegalStateException("Replica did not reach TXID " + txid);
		}
	}

	/**
	 * A CRC of every row, streamed, so that a large table fits a small heap.
	 */
	static long crc(Path db) throws SQLException {
		CRC32 crc = new CRC32();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT id, data FROM big ORDER BY id")) {
			while (rs.next()) {
				crc.update(Long.toString(rs.getLong(1)).getBytes());
				crc.update(rs.getBytes(2));
			}
		}
		return crc.getValue();
	}

}
