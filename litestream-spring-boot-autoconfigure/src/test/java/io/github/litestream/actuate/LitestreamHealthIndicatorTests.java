package io.github.litestream.actuate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.jdbc.CompositeReplicationListener;
import io.github.litestream.jdbc.LitestreamDatabase;
import io.github.litestream.jdbc.LitestreamDatabases;
import io.github.litestream.jdbc.Replica;
import io.github.litestream.jdbc.StartupRestoreException;
import io.github.litestream.ltx.LtxFileName;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.UnreachableReplicaClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link LitestreamHealthIndicator} on real databases and replicas.
 */
class LitestreamHealthIndicatorTests {

	@TempDir
	Path dir;

	private final LitestreamDatabases databases = new LitestreamDatabases();

	private LitestreamDatabase database;

	@AfterEach
	void stop() {
		if (this.database != null) {
			this.database.stop();
		}
	}

	private LitestreamDatabase start(Path replicaRoot) throws Exception {
		return start(new FileReplicaClient(replicaRoot));
	}

	private LitestreamDatabase start(ReplicaClient client) throws Exception {
		List<Replica> replicas = List.of(new Replica("file", client.location(), client, Duration.ZERO));
		CompositeReplicationListener listener = new CompositeReplicationListener();
		ReplicatorConfig config = LitestreamDatabase.config(ReplicatorConfig.builder("app", this.dir.resolve("app.db"))
			.monitorInterval(Duration.ofMillis(50))
			.shutdownSyncTimeout(Duration.ofMillis(200))
			.retryBackoff(Duration.ofMillis(50), Duration.ofMillis(100)), replicas, listener);
		this.database = new LitestreamDatabase(config, replicas,
				new LitestreamDatabase.Settings(false, IntegrityCheck.NONE, Duration.ofSeconds(1)), listener);
		this.databases.register(this.database);
		this.database.start();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + this.dir.resolve("app.db"));
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
		}
		this.database.notifyCommit();
		return this.database;
	}

	@Test
	void upWhenEveryReplicaIsCaughtUp() throws Exception {
		start(this.dir.resolve("replica"));
		LitestreamHealthIndicator indicator = new LitestreamHealthIndicator(this.databases, Duration.ofMinutes(1));
		await().atMost(Duration.ofSeconds(10)).until(() -> {
			var status = this.database.status();
			return status.txid() > 0 && status.replicas().get(0).txid() == status.txid();
		});
		Health health = indicator.health(true);
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsKey("app").containsKey("maxLagSeconds");
		assertThat(health.getDetails().get("app").toString()).contains("replicas", "lagSeconds");
		String hex = LtxFileName.formatTxid(this.database.status().txid());
		assertThat(health.getDetails().get("app").toString()).contains("txidHex=" + hex + ",",
				"txidHex=" + hex + ", lagSeconds");
	}

	@Test
	void downWhenAReplicaLagsBeyondMaxLag() throws Exception {
		UnreachableReplicaClient client = new UnreachableReplicaClient(
				new FileReplicaClient(this.dir.resolve("replica")));
		start(client);
		// Cut off from the replica: uploads fail, the lag grows, the lease fences
		client.unreachable().set(true);
		LitestreamHealthIndicator indicator = new LitestreamHealthIndicator(this.databases, Duration.ofMillis(200));
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(indicator.health(true).getStatus()).isEqualTo(Status.DOWN));
	}

	@Test
	void notStartedWhileTheLeaseCannotBeRead() throws Exception {
		Path notADirectory = Files.createFile(this.dir.resolve("not-a-directory"));
		FileReplicaClient client = new FileReplicaClient(notADirectory.resolve("replica"));
		List<Replica> replicas = List.of(new Replica("file", client.location(), client, Duration.ZERO));
		CompositeReplicationListener listener = new CompositeReplicationListener();
		ReplicatorConfig config = LitestreamDatabase.config(ReplicatorConfig.builder("app", this.dir.resolve("app.db"))
			.lease(new LeaseConfig(true, Duration.ofSeconds(3), Duration.ofSeconds(1), LeaseConfig.Handover.REQUEST,
					Duration.ofSeconds(1))),
				replicas, listener);
		this.database = new LitestreamDatabase(config, replicas,
				new LitestreamDatabase.Settings(false, IntegrityCheck.NONE, Duration.ofSeconds(1)), listener);
		this.databases.register(this.database);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(this.database::start)
			.withMessageContaining("not-a-directory");
		Health health = new LitestreamHealthIndicator(this.databases, Duration.ofMinutes(1)).health(true);
		assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
		assertThat(health.getDetails().get("app").toString()).contains("ownership=STARTING");
	}

	@Test
	void outOfServiceWhenReplicationStopped() throws Exception {
		start(this.dir.resolve("replica"));
		this.database.stop();
		assertThat(new LitestreamHealthIndicator(this.databases, Duration.ofMinutes(1)).health(true).getStatus())
			.isEqualTo(Status.OUT_OF_SERVICE);
	}

}
