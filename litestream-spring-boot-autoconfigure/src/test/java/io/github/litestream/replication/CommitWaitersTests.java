package io.github.litestream.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.litestream.core.CountingReplicaClient;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.ReplicaFiles;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Waiting until a commit is on every replica (issue 19, item 7), on real SQLite files and
 * real file replicas: the answer is a TXID every replica holds and whose restore has the
 * commit, nothing is uploaded for the wait itself, and a replica that cannot be written
 * makes the wait time out instead of answering.
 */
class CommitWaitersTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	@TempDir
	Path dir;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	private Path db() {
		return this.dir.resolve("app.db");
	}

	private FileReplicaClient replica(String name) {
		return new FileReplicaClient(this.dir.resolve(name));
	}

	private Replicator start(ReplicatorConfig.Builder builder) throws Exception {
		Replicator replicator = new Replicator(builder.build());
		replicator.start();
		this.closeables.add(replicator);
		return replicator;
	}

	private Connection connect(Path db) throws Exception {
		Connection connection = TestDatabases.open(db);
		this.closeables.add(connection);
		return connection;
	}

	private long restoredCount(FileReplicaClient client, long txid, String name) throws Exception {
		Path restored = this.dir.resolve(name);
		new Restorer().restore(client, restored, RestoreOptions.defaults().withTarget(RestoreTarget.txid(txid)))
			.orElseThrow();
		return TestDatabases.queryLong(restored, "SELECT count(*) FROM t");
	}

	@Test
	void answersOnlyOnceTheReplicaThatLagsHoldsTheCommitToo() throws Exception {
		Connection connection = connect(db());
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		CountingReplicaClient slow = new CountingReplicaClient(replica("slow"));
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("fast", replica("fast"), Duration.ofMillis(50)))
			.replica(new ReplicaConfig("slow", slow, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.retryBackoff(Duration.ofMillis(100), Duration.ofMillis(200)));
		replicator.awaitCommitsReplicated(Duration.ofSeconds(20));
		// The next uploads to the slow replica fail a few times before one lands
		slow.failingWrites.set(4);
		TestDatabases.execute(connection, "INSERT INTO t (v) VALUES ('paid')");
		replicator.notifyCommit();

		long txid = replicator.awaitCommitsReplicated(Duration.ofSeconds(20));

		assertThat(slow.failingWrites.get()).as("failed uploads left to the slow replica").isZero();
		assertThat(ReplicaFiles.maxTxid(replica("slow"))).isGreaterThanOrEqualTo(txid);
		assertThat(ReplicaFiles.maxTxid(replica("fast"))).isGreaterThanOrEqualTo(txid);
		assertThat(restoredCount(replica("slow"), txid, "slow.db")).isOne();
		assertThat(restoredCount(replica("fast"), txid, "fast.db")).isOne();
	}

	@Test
	void answersOnlyOnceAnS3ReplicaHoldsTheCommitToo() throws Exception {
		Connection connection = connect(db());
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		ReplicaClient bucket = S3ReplicaClient.builder(s3.server().client(), s3.server().createBucket("durable"))
			.prefix("app")
			.build();
		CountingReplicaClient slow = new CountingReplicaClient(bucket);
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", replica("replica"), Duration.ofMillis(50)))
			.replica(new ReplicaConfig("s3", slow, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.retryBackoff(Duration.ofMillis(100), Duration.ofMillis(200)));
		replicator.awaitCommitsReplicated(Duration.ofSeconds(20));
		slow.failingWrites.set(3);
		TestDatabases.execute(connection, "INSERT INTO t (v) VALUES ('signed up')");

		long txid = replicator.awaitCommitsReplicated(Duration.ofSeconds(20));

		assertThat(slow.failingWrites.get()).as("failed uploads left to the S3 replica").isZero();
		Path restored = this.dir.resolve("from-s3.db");
		new Restorer().restore(bucket, restored, RestoreOptions.defaults().withTarget(RestoreTarget.txid(txid)))
			.orElseThrow();
		assertThat(TestDatabases.queryLong(restored, "SELECT count(*) FROM t")).isOne();
	}

	@Test
	void commitOfAConnectionTheEngineWasNotToldAboutIsInTheTxidWaitedFor() throws Exception {
		Connection connection = connect(db());
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		// The monitor poll would notice the commit only a minute later: the wait itself
		// must make the next regular cut read it
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", replica("replica"), Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMinutes(1)));
		for (int i = 0; i < 5; i++) {
			TestDatabases.execute(connection, "INSERT INTO t (v) VALUES ('row-" + i + "')");
			long txid = replicator.awaitCommitsReplicated(Duration.ofSeconds(20));
			assertThat(restoredCount(replica("replica"), txid, "restored-" + i + ".db")).isEqualTo(i + 1);
		}
	}

	@Test
	void waitWithoutNewCommitsUploadsNothingAndAnswersTheNewestTxid() throws Exception {
		Connection connection = connect(db());
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		CountingReplicaClient client = new CountingReplicaClient(replica("replica"));
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50)));
		TestDatabases.execute(connection, "INSERT INTO t (v) VALUES ('a')");
		long first = replicator.awaitCommitsReplicated(Duration.ofSeconds(20));
		int writes = client.writes.get();
		long files = Files.list(this.dir.resolve(".app.db-litestream")).count();

		for (int i = 0; i < 3; i++) {
			assertThat(replicator.awaitCommitsReplicated(Duration.ofSeconds(20))).isEqualTo(first);
		}
		assertThat(replicator.txid()).isEqualTo(first);
		assertThat(client.writes.get()).as("uploads for waits without commits").isEqualTo(writes);
		assertThat(Files.list(this.dir.resolve(".app.db-litestream")).count()).isEqualTo(files);
	}

	@Test
	void waitWhileTheReplicaFailsTimesOutNamingDatabaseTxidAndReplicaAndTheCommitStands() throws Exception {
		Connection connection = connect(db());
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		CountingReplicaClient client = new CountingReplicaClient(replica("replica"));
		Replicator replicator = start(ReplicatorConfig.builder("app", db())
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)));
		replicator.awaitCommitsReplicated(Duration.ofSeconds(20));
		client.failingWrites.set(Integer.MAX_VALUE);
		TestDatabases.execute(connection, "INSERT INTO t (v) VALUES ('a')");

		assertThatExceptionOfType(ReplicationTimeoutException.class)
			.isThrownBy(() -> replicator.awaitCommitsReplicated(Duration.ofSeconds(1)))
			.satisfies((ex) -> {
				assertThat(ex.getDatabase()).isEqualTo("app");
				assertThat(ex.getReplica()).isEqualTo("file");
				assertThat(ex.getTxid()).isPositive().isEqualTo(replicator.txid());
				assertThat(ex.getMessage()).contains("database 'app'", "replica 'file'", "last upload failed");
			});

		client.failingWrites.set(0);
		long txid = replicator.awaitCommitsReplicated(Duration.ofSeconds(20));
		assertThat(restoredCount(replica("replica"), txid, "restored.db")).isOne();
	}

	@Test
	void waitOfAnInstanceThatDoesNotHoldTheLeaseTimesOut() throws Exception {
		LeaseConfig lease = new LeaseConfig(true, Duration.ofSeconds(30), Duration.ofSeconds(10));
		Path first = this.dir.resolve("first/app.db");
		Path second = this.dir.resolve("second/app.db");
		Files.createDirectories(first.getParent());
		Files.createDirectories(second.getParent());
		TestDatabases.execute(connect(first), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		Replicator holder = start(ReplicatorConfig.builder("app", first)
			.replica(new ReplicaConfig("file", replica("replica"), Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.lease(lease));
		holder.awaitCommitsReplicated(Duration.ofSeconds(20));
		Connection other = connect(second);
		TestDatabases.execute(other, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		Replicator waiting = start(ReplicatorConfig.builder("app", second)
			.replica(new ReplicaConfig("file", replica("replica"), Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.lease(lease));
		TestDatabases.execute(other, "INSERT INTO t (v) VALUES ('not owned')");

		assertThatExceptionOfType(ReplicationTimeoutException.class)
			.isThrownBy(() -> waiting.awaitCommitsReplicated(Duration.ofSeconds(1)))
			.satisfies((ex) -> {
				assertThat(ex.getReplica()).isEqualTo("file");
				assertThat(ex.getMessage()).contains("nothing is written to it");
			});
	}

}
