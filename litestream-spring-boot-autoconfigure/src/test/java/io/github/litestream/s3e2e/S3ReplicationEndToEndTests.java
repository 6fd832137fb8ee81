package io.github.litestream.s3e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicaStatus;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.replication.Replicator;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.storage.s3.S3RetryPolicy;
import io.github.litestream.testsupport.NoCompaction;
import io.github.litestream.testsupport.S3Server;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * End-to-end S3 replication: the engine and {@link S3ReplicaClient} against a real
 * S3-compatible server, with faults injected by a TCP proxy in between.
 */
@ExtendWith(OutputCaptureExtension.class)
class S3ReplicationEndToEndTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	@TempDir
	Path dir;

	private final List<AutoCloseable> resources = new ArrayList<>();

	@AfterEach
	void closeResources() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	private <T extends AutoCloseable> T closeLater(T resource) {
		this.resources.add(resource);
		return resource;
	}

	@Test
	void replicatesAndRestoresLatestAndPointInTime() throws Exception {
		S3Server server = s3.server();
		S3ReplicaClient client = S3ReplicaClient.builder(server.client(), server.createBucket("e2e-basic"))
			.prefix("app/db")
			.build();
		Path db = this.dir.resolve("app.db");
		Connection connection = closeLater(Databases.open(db));
		Databases.insert(connection, 1, 500);
		Replicator replicator = closeLater(replicator("basic", db, ReplicationListener.NO_OP, s3Replica(client)));
		replicator.start();
		awaitReplicated(replicator);
		String first = Databases.digest(connection);
		Instant between = Instant.now();
		// Later files must carry a later timestamp than the point restored to
		await().atMost(TIMEOUT).until(() -> Instant.now().toEpochMilli() > between.toEpochMilli() + 1);
		Databases.insert(connection, 501, 1500);
		Databases.execute(connection, "DELETE FROM t WHERE id % 7 = 0");
		replicator.notifyCommit();
		awaitReplicated(replicator);
		String latest = Databases.digest(connection);
		assertThat(latest).isNotEqualTo(first);

		Path restoredLatest = restore(client, "latest.db", RestoreTarget.latest());
		assertThat(Databases.digest(restoredLatest)).isEqualTo(latest);
		Path restoredThen = restore(client, "then.db", RestoreTarget.at(between));
		assertThat(Databases.digest(restoredThen)).isEqualTo(first);
		assertThat(Databases.integrityCheck(restoredThen)).isEqualTo("ok");
	}

	@Test
	void faultsAreRetriedWithoutAGapAndLoggedOncePerStateChange(CapturedOutput output) throws Exception {
		S3Server server = s3.server();
		FaultProxy proxy = closeLater(FaultProxy.start(server.endpoint()));
		AtomicInteger requestErrors = new AtomicInteger();
		S3ReplicaClient client = S3ReplicaClient.builder(proxiedClient(proxy), server.createBucket("e2e-faults"))
			.prefix("db")
			.retryPolicy(new S3RetryPolicy(2, Duration.ofMillis(20), Duration.ofMillis(50)))
			.requestListener((event) -> {
				if (!event.successful()) {
					requestErrors.incrementAndGet();
				}
			})
			.build();
		AtomicInteger uploadErrors = new AtomicInteger();
		ReplicationListener listener = new ReplicationListener() {
			@Override
			public void onUploadError(String database, String replica, Throwable error, int attempt) {
				uploadErrors.incrementAndGet();
			}
		};
		Path db = this.dir.resolve("faults.db");
		Connection connection = closeLater(Databases.open(db));
		Databases.insert(connection, 1, 100);
		Replicator replicator = closeLater(replicator("faults", db, listener, s3Replica(client)));
		replicator.start();
		awaitReplicated(replicator);
		int next = 101;
		for (FaultProxy.Mode mode : new FaultProxy.Mode[] { FaultProxy.Mode.HTTP_503, FaultProxy.Mode.HTTP_500,
				FaultProxy.Mode.RESET }) {
			proxy.mode(mode);
			int errorsBefore = uploadErrors.get();
			Databases.insert(connection, next, next + 99);
			next += 100;
			replicator.notifyCommit();
			await().atMost(TIMEOUT).until(() -> uploadErrors.get() >= errorsBefore + 2);
		}
		// A slow link still works: the uploads go through, late
		proxy.delay(Duration.ofMillis(100));
		proxy.mode(FaultProxy.Mode.DELAY);
		Databases.insert(connection, next, next + 99);
		next += 100;
		replicator.notifyCommit();
		awaitReplicated(replicator);
		proxy.mode(FaultProxy.Mode.PASS);
		Databases.insert(connection, next, next + 99);
		replicator.notifyCommit();
		awaitReplicated(replicator);

		assertThat(requestErrors.get()).isPositive();
		assertContiguous(client.listFiles(0, 0), client.listFiles(9, 0).get(0).maxTxid(), replicator.txid());
		Path restored = restore(client, "restored.db", RestoreTarget.latest());
		assertThat(Databases.digest(restored)).isEqualTo(Databases.digest(connection));
		// One outage, however many failed attempts: a warning per change of error (503,
		// 500, reset...), never one per attempt, and one recovery
		String log = output.getAll();
		List<String> warnings = matches(log, "Replica 's3' \\(" + Pattern.quote(client.location())
				+ "\\) of database 'faults' failed, retrying with backoff: ([^\\n]*)");
		assertThat(warnings).isNotEmpty().hasSizeLessThan(uploadErrors.get());
		for (int i = 1; i < warnings.size(); i++) {
			assertThat(warnings.get(i)).as("repeated warning").isNotEqualTo(warnings.get(i - 1));
		}
		assertThat(matches(log, "Replica 's3' of database 'faults' (recovered)")).hasSize(1);
	}

	@Test
	void idleDatabaseMakesNoRequests() throws Exception {
		S3Server server = s3.server();
		FaultProxy proxy = closeLater(FaultProxy.start(server.endpoint()));
		AtomicLong requests = new AtomicLong();
		List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
		AtomicLong lastRequest = new AtomicLong(System.nanoTime());
		String bucket = server.createBucket("e2e-idle");
		S3ReplicaClient client = S3ReplicaClient.builder(proxiedClient(proxy), bucket)
			.prefix("db")
			.requestListener((event) -> {
				requests.incrementAndGet();
				lastRequest.set(System.nanoTime());
				seen.add(Instant.now() + " " + event);
			})
			.build();
		Path db = this.dir.resolve("idle.db");
		Connection connection = closeLater(Databases.open(db));
		Databases.insert(connection, 1, 100);
		// Without the lease, whose holder renews it every renew interval (one small
		// PutObject of lock.json, the price of one writer per replica): replicating an
		// idle database itself costs nothing
		Replicator replicator = closeLater(new Replicator(
				config("idle", db, ReplicationListener.NO_OP, new ReplicaConfig("s3", client, Duration.ZERO))
					.lease(LeaseConfig.DISABLED)
					.build()));
		replicator.start();
		awaitReplicated(replicator);
		// Starting is not idling: the first snapshot (level 9) is written after the
		// start,
		// then the requests stop
		await().atMost(TIMEOUT)
			.until(() -> !server.client()
				.listObjectsV2((request) -> request.bucket(bucket).prefix("db/0009/"))
				.contents()
				.isEmpty());
		await().atMost(TIMEOUT).until(() -> System.nanoTime() - lastRequest.get() > Duration.ofSeconds(2).toNanos());
		seen.clear();
		long bytes = proxy.bytesFromClients();
		long made = requests.get();
		// The requirement itself: 30 s of idleness cost nothing
		Instant idleFrom = Instant.now();
		try {
			await().during(Duration.ofSeconds(30))
				.atMost(Duration.ofSeconds(40))
				.until(() -> proxy.bytesFromClients() == bytes && requests.get() == made);
		}
		catch (org.awaitility.core.ConditionTimeoutException ex) {
			throw new AssertionError("Requests while idle since " + idleFrom + ": " + seen, ex);
		}
		assertThat(replicator.isRunning()).isTrue();
	}

	@Test
	void failingReplicaDoesNotStopTheOthers() throws Exception {
		S3Server server = s3.server();
		FaultProxy proxy = closeLater(FaultProxy.start(server.endpoint()));
		S3ReplicaClient s3Client = S3ReplicaClient.builder(proxiedClient(proxy), server.createBucket("e2e-several"))
			.prefix("db")
			.retryPolicy(S3RetryPolicy.none())
			.build();
		FileReplicaClient fileClient = new FileReplicaClient(this.dir.resolve("local-replica"));
		Path db = this.dir.resolve("several.db");
		Connection connection = closeLater(Databases.open(db));
		Databases.insert(connection, 1, 100);
		Replicator replicator = closeLater(replicator("several", db, ReplicationListener.NO_OP, s3Replica(s3Client),
				new ReplicaConfig("local", fileClient, Duration.ofMillis(50))));
		replicator.start();
		awaitReplicated(replicator);

		proxy.mode(FaultProxy.Mode.RESET);
		for (int batch = 0; batch < 3; batch++) {
			Databases.insert(connection, 101 + batch * 100, 200 + batch * 100);
			replicator.notifyCommit();
			long txid = replicator.sync();
			await().atMost(TIMEOUT).until(() -> replicaTxid(replicator, "local") >= txid);
		}
		long s3Behind = replicaTxid(replicator, "s3");
		assertThat(s3Behind).isLessThan(replicator.txid());
		Path local = restore(fileClient, "local.db", RestoreTarget.latest());
		assertThat(Databases.digest(local)).isEqualTo(Databases.digest(connection));

		proxy.mode(FaultProxy.Mode.PASS);
		awaitReplicated(replicator);
		assertThat(replicaTxid(replicator, "s3")).isEqualTo(replicaTxid(replicator, "local"));
		Path fromS3 = restore(s3Client, "s3.db", RestoreTarget.latest());
		assertThat(Databases.digest(fromS3)).isEqualTo(Databases.digest(connection));
	}

	private static long replicaTxid(Replicator replicator, String name) {
		for (ReplicaStatus replica : replicator.status().replicas()) {
			if (replica.name().equals(name)) {
				return replica.txid();
			}
		}
		throw new IllegalArgumentException("No replica " + name);
	}

	/**
	 * Level 0 starts right after the replica's first snapshot and has no gaps.
	 */
	private static void assertContiguous(List<LtxFileInfo> l0, long snapshotTxid, long txid) {
		List<LtxFileInfo> files = new ArrayList<>(l0);
		files.sort(Comparator.comparingLong(LtxFileInfo::minTxid));
		assertThat(files).isNotEmpty();
		assertThat(files.get(0).minTxid()).isEqualTo(snapshotTxid + 1);
		for (int i = 1; i < files.size(); i++) {
			assertThat(files.get(i).minTxid()).as("L0 file after %s", files.get(i - 1))
				.isEqualTo(files.get(i - 1).maxTxid() + 1);
		}
		assertThat(files.get(files.size() - 1).maxTxid()).isEqualTo(txid);
	}

	private static List<String> matches(String text, String regex) {
		Matcher matcher = Pattern.compile(regex).matcher(text);
		List<String> found = new ArrayList<>();
		while (matcher.find()) {
			found.add(matcher.group(1));
		}
		return found;
	}

	private S3Client proxiedClient(FaultProxy proxy) {
		// The SDK's own retries would hide the faults from the engine
		return closeLater(s3.server()
			.clientBuilder()
			.endpointOverride(proxy.endpoint())
			.overrideConfiguration((override) -> override.retryStrategy(AwsRetryStrategy.doNotRetry())
				.apiCallAttemptTimeout(Duration.ofSeconds(10)))
			.build());
	}

	private static ReplicaConfig s3Replica(ReplicaClient client) {
		return new ReplicaConfig("s3", client, Duration.ofMillis(50));
	}

	private static Replicator replicator(String name, Path db, ReplicationListener listener,
			ReplicaConfig... replicas) {
		return new Replicator(config(name, db, listener, replicas).build());
	}

	private static ReplicatorConfig.Builder config(String name, Path db, ReplicationListener listener,
			ReplicaConfig... replicas) {
		// No compaction or L0 expiry (which follows level 1) during a test: the L0 files
		// are what is checked, and the idle test counts every request
		ReplicatorConfig.Builder builder = NoCompaction.of(ReplicatorConfig.builder(name, db))
			.monitorInterval(Duration.ofMillis(50))
			.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
			.listener(listener);
		for (ReplicaConfig replica : replicas) {
			builder.replica(replica);
		}
		return builder;
	}

	private static void awaitReplicated(Replicator replicator) throws IOException, InterruptedException {
		long txid = replicator.sync();
		assertThat(replicator.awaitReplicated(txid, TIMEOUT)).as("replicated up to TXID %s", txid).isTrue();
	}

	private Path restore(ReplicaClient client, String name, RestoreTarget target) throws IOException {
		Path output = this.dir.resolve(name);
		Files.deleteIfExists(output);
		new Restorer()
			.restore(client, output,
					RestoreOptions.defaults().withTarget(target).withIntegrityCheck(IntegrityCheck.QUICK))
			.orElseThrow();
		return output;
	}

}
