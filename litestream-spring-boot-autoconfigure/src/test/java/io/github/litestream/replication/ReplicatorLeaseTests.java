package io.github.litestream.replication;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.github.litestream.core.CountingReplicaClient;
import io.github.litestream.core.RecordingListener;
import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.ownership.LeaseStatus;
import io.github.litestream.ownership.ReplicaLease;
import io.github.litestream.replica.ConditionalUpload;
import io.github.litestream.replica.ForeignFileException;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.testsupport.S3ServerExtension;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The engine under the single-writer lease (DESIGN 4.14) on real file replicas: a second
 * instance replicates nothing until the first stops, and the conditional creates keep two
 * histories apart even without a lease.
 */
class ReplicatorLeaseTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	/** Short enough for tests; the renewal at most a third of it, as the rule asks. */
	private static final LeaseConfig SHORT = new LeaseConfig(true, Duration.ofMillis(1500), Duration.ofMillis(300));

	@TempDir
	Path dir;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	@AfterEach
	void closeAll() throws Exception {
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
	}

	private ReplicaClient client(String backend, String location) {
		if (backend.equals("file")) {
			return new FileReplicaClient(this.dir.resolve(location));
		}
		return S3ReplicaClient.builder(s3.server().client(), bucket()).prefix(location).build();
	}

	private @Nullable String bucket;

	private String bucket() {
		if (this.bucket == null) {
			this.bucket = s3.server().createBucket("lease");
		}
		return this.bucket;
	}

	// ---------------------------------------------------------------- engine

	private Replicator replicator(Path db, ReplicaClient client, LeaseConfig lease, RecordingListener listener)
			throws Exception {
		Replicator replicator = new Replicator(ReplicatorConfig.builder("app", db)
			.replica(new ReplicaConfig("file", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.lease(lease)
			.listener(listener)
			.build());
		replicator.start();
		this.closeables.add(replicator);
		return replicator;
	}

	private Connection connect(Path db) throws Exception {
		Connection connection = TestDatabases.open(db);
		this.closeables.add(connection);
		return connection;
	}

	@Test
	void secondInstanceReplicatesNothingWhileWaitingAndNeverReplacesTheFirstsHistoryOnceItHoldsTheLease()
			throws Exception {
		Path first = this.dir.resolve("first/app.db");
		Path second = this.dir.resolve("second/app.db");
		Files.createDirectories(first.getParent());
		Files.createDirectories(second.getParent());
		Connection one = connect(first);
		TestDatabases.execute(one, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t (v) VALUES ('a')");
		Replicator holder = replicator(first, client("file", "replica"), SHORT, new RecordingListener());
		holder.notifyCommit();
		long txid = holder.sync();
		assertThat(holder.awaitReplicated(txid, Duration.ofSeconds(10))).isTrue();

		Connection two = connect(second);
		TestDatabases.execute(two, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		CountingReplicaClient counting = new CountingReplicaClient(client("file", "replica"));
		Replicator waiting = replicator(second, counting, SHORT, new RecordingListener());
		for (int i = 0; i < 20; i++) {
			TestDatabases.execute(two, "INSERT INTO t (v) VALUES ('second-" + i + "')");
			waiting.notifyCommit();
		}
		long localTxid = waiting.sync();
		await().atMost(Duration.ofSeconds(10)).until(() -> counting.leaseReads.get() >= 3);
		assertThat(waiting.txid()).as("local cuts go on").isEqualTo(localTxid).isPositive();
		assertThat(counting.writes.get()).as("uploads while waiting").isZero();
		assertThat(counting.deletes.get()).as("deletes while waiting").isZero();
		assertThat(counting.leaseWrites.get()).as("lease writes while another holds it").isZero();
		LeaseStatus lease = waiting.status().replicas().get(0).lease();
		assertThat(lease.state()).isEqualTo("WAITING");
		assertThat(lease.held()).isFalse();
		assertThat(lease.holder()).isNotNull();

		holder.stop();
		await().atMost(Duration.ofSeconds(10)).until(() -> waiting.status().replicas().get(0).lease().held());
		// Its database is not a state of the replica's history (DESIGN 4.12): refused,
		// whatever the TXIDs say, rather than replacing the first instance's history
		await().atMost(Duration.ofSeconds(10))
			.until(() -> "REFUSED".equals(waiting.status().replicas().get(0).attachment()));
		TestDatabases.execute(two, "INSERT INTO t (v) VALUES ('after')");
		waiting.notifyCommit();
		waiting.sync();
		await().during(Duration.ofSeconds(1))
			.atMost(Duration.ofSeconds(5))
			.until(() -> counting.writes.get() == 0 && counting.deletes.get() == 0);
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(client("file", "replica"), restored, RestoreOptions.defaults()).orElseThrow();
		assertThat(TestDatabases.queryLong(restored, "SELECT count(*) FROM t")).isEqualTo(1);
		assertThat(TestDatabases.queryLong(restored, "SELECT count(*) FROM t WHERE v = 'a'")).isEqualTo(1);
	}

	@Test
	void conditionalCreateMeetingADifferentFileStopsTheWriterEvenWithoutALease() throws Exception {
		Path db = this.dir.resolve("app.db");
		Connection connection = connect(db);
		TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
		RecordingListener listener = new RecordingListener();
		ReplicaClient replica = client("file", "replica");
		Replicator replicator = replicator(db, replica, LeaseConfig.DISABLED, listener);
		replicator.notifyCommit();
		long txid = replicator.sync();
		assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(10))).isTrue();
		// Another writer's next file, under the name this engine uploads next
		byte[] foreign = "another history".getBytes(StandardCharsets.UTF_8);
		replica.writeFile(0, txid + 1, txid + 1, Instant.now(), new ByteArrayInputStream(foreign));
		TestDatabases.execute(connection, "INSERT INTO t (v) VALUES ('mine')");
		replicator.notifyCommit();
		replicator.sync();
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(
					() -> assertThat(replicator.status().replicas().get(0).lease().state()).isEqualTo("CONFLICT"));
		assertThat(listener.rejectedUploads).hasSize(1);
		assertThat(listener.rejectedUploads.get(0)).contains(LtxFileName.format(txid + 1, txid + 1));
		assertThat(replicator.status().replicas().get(0).lease().detail()).contains("another process");
		List<LtxFileInfo> before = replica.listFiles(0);
		for (int i = 0; i < 5; i++) {
			TestDatabases.execute(connection, "INSERT INTO t (v) VALUES ('more-" + i + "')");
			replicator.notifyCommit();
			replicator.sync();
		}
		assertThat(replica.listFiles(0)).isEqualTo(before);
		try (InputStream in = replica.openFile(0, txid + 1, txid + 1)) {
			assertThat(in.readAllBytes()).isEqualTo(foreign);
		}
	}

	@Test
	void sameBytesUnderTheNameCountAsWrittenAndOtherBytesAreAForeignFile() throws Exception {
		ReplicaClient replica = client("file", "replica");
		ReplicaLease unguarded = ReplicaLease.disabled("app", "r", replica);
		Path local = Files.write(this.dir.resolve("local.ltx"), "a retried upload".getBytes(StandardCharsets.UTF_8));
		Instant timestamp = Instant.parse("2026-01-02T03:04:05.678Z");
		replica.writeFile(0, 5, 5, timestamp, Files.newInputStream(local));
		LtxFileInfo done = ConditionalUpload.create(replica, unguarded, 0, 5, 5, timestamp, local);
		assertThat(done).isEqualTo(new LtxFileInfo(0, 5, 5, Files.size(local), timestamp));
		Path longer = Files.write(this.dir.resolve("longer.ltx"),
				"a retried upload, longer".getBytes(StandardCharsets.UTF_8));
		assertThatExceptionOfType(ForeignFileException.class)
			.isThrownBy(() -> ConditionalUpload.create(replica, unguarded, 0, 5, 5, timestamp, longer));
		Path shorter = Files.write(this.dir.resolve("shorter.ltx"), "a retried".getBytes(StandardCharsets.UTF_8));
		assertThatExceptionOfType(ForeignFileException.class)
			.isThrownBy(() -> ConditionalUpload.create(replica, unguarded, 0, 5, 5, timestamp, shorter));
	}

}
