package io.github.litestream.s3e2e;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicationListener;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.ownership.LeaseStatus;
import io.github.litestream.replication.Replicator;
import io.github.litestream.replication.StartupRestore;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.s3.S3Operation;
import io.github.litestream.storage.s3.S3ReplicaClient;
import io.github.litestream.storage.s3.S3RequestEvent;
import io.github.litestream.storage.s3.S3RetryPolicy;
import io.github.litestream.testsupport.S3Server;
import io.github.litestream.testsupport.S3ServerExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The single-writer lease end to end on S3: two engines on one replica, the first cut off
 * from S3 by a TCP proxy until it is fenced and the second took the lease over.
 */
class S3LeaseTests {

	@RegisterExtension
	static final S3ServerExtension s3 = new S3ServerExtension();

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static final LeaseConfig SHORT = new LeaseConfig(true, Duration.ofMillis(1500), Duration.ofMillis(300));

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
	void fencedWriterIssuesNoPutOrDeleteCountedAtTheServer() throws Exception {
		S3Server server = s3.server();
		String bucket = server.createBucket("lease-fence");
		FaultProxy proxy = closeLater(FaultProxy.start(server.endpoint()));
		// Requests of the first engine that the server answered, once it can reach it
		// again
		AtomicBoolean counting = new AtomicBoolean();
		List<S3RequestEvent> answered = new CopyOnWriteArrayList<>();
		S3ReplicaClient firstClient = S3ReplicaClient.builder(proxiedClient(proxy), bucket)
			.prefix("db")
			.retryPolicy(new S3RetryPolicy(2, Duration.ofMillis(20), Duration.ofMillis(50)))
			.requestListener((event) -> {
				if (counting.get() && event.statusCode() != 0) {
					answered.add(event);
				}
			})
			.build();
		Path firstDb = this.dir.resolve("first.db");
		Connection first = closeLater(Databases.open(firstDb));
		Databases.insert(first, 1, 100);
		Replicator firstEngine = closeLater(replicator(firstDb, firstClient));
		firstEngine.start();
		awaitReplicated(firstEngine);
		assertThat(lease(firstEngine).state()).isEqualTo("HELD");

		proxy.mode(FaultProxy.Mode.RESET);
		await().atMost(TIMEOUT).until(() -> lease(firstEngine).state().equals("FENCED"));
		Databases.insert(first, 101, 200);
		firstEngine.notifyCommit();

		Path secondDb = this.dir.resolve("second.db");
		S3ReplicaClient secondClient = S3ReplicaClient.builder(server.client(), bucket).prefix("db").build();
		Replicator secondEngine = closeLater(replicator(secondDb, secondClient));
		// A successor starts from the replica's newest state, which it then continues
		// (lineage by proof only, DESIGN 4.12), and writes on
		new StartupRestore(secondEngine.config(), IntegrityCheck.NONE).run(true);
		Connection second = closeLater(Databases.open(secondDb));
		Databases.insert(second, 1001, 1100);
		secondEngine.start();
		await().atMost(TIMEOUT).until(() -> lease(secondEngine).held());
		assertThat(lease(secondEngine).epoch()).isEqualTo(2);
		awaitReplicated(secondEngine);

		// The first engine reaches S3 again and goes on committing
		counting.set(true);
		proxy.mode(FaultProxy.Mode.PASS);
		for (int i = 0; i < 5; i++) {
			Databases.insert(first, 201 + i * 10, 210 + i * 10);
			firstEngine.notifyCommit();
			firstEngine.sync();
		}
		await().atMost(TIMEOUT)
			.until(() -> answered.stream().filter((event) -> event.apiName().equals("GetObject")).count() >= 3);
		await().atMost(TIMEOUT).until(() -> lease(firstEngine).state().equals("WAITING"));
		assertThat(answered)
			.filteredOn((event) -> event.operation() == S3Operation.PUT || event.operation() == S3Operation.DELETE)
			.as("PUT and DELETE requests the server answered for the fenced engine")
			.isEmpty();
		assertThat(lease(firstEngine).held()).isFalse();
		assertThat(lease(secondEngine).state()).isEqualTo("HELD");

		// The replica holds the second engine's history alone
		Databases.insert(second, 1101, 1150);
		secondEngine.notifyCommit();
		awaitReplicated(secondEngine);
		Path restored = this.dir.resolve("restored.db");
		new Restorer()
			.restore(secondClient, restored, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.QUICK))
			.orElseThrow();
		assertThat(Databases.digest(restored)).isEqualTo(Databases.digest(second));
	}

	private static LeaseStatus lease(Replicator replicator) {
		return replicator.status().replicas().get(0).lease();
	}

	private S3Client proxiedClient(FaultProxy proxy) {
		return closeLater(s3.server()
			.clientBuilder()
			.endpointOverride(proxy.endpoint())
			.overrideConfiguration((override) -> override.retryStrategy(AwsRetryStrategy.doNotRetry())
				.apiCallAttemptTimeout(Duration.ofSeconds(2)))
			.build());
	}

	private static Replicator replicator(Path db, S3ReplicaClient client) {
		return new Replicator(ReplicatorConfig.builder("app", db)
			.replica(new ReplicaConfig("s3", client, Duration.ofMillis(50)))
			.monitorInterval(Duration.ofMillis(50))
			.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
			.shutdownSyncTimeout(Duration.ofSeconds(2))
			.lease(SHORT)
			.listener(ReplicationListener.NO_OP)
			.build());
	}

	private static void awaitReplicated(Replicator replicator) throws Exception {
		long txid = replicator.sync();
		assertThat(replicator.awaitReplicated(txid, TIMEOUT)).as("replicated up to TXID %s", txid).isTrue();
	}

}
