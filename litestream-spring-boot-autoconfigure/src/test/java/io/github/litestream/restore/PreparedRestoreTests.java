package io.github.litestream.restore;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;

import io.github.litestream.core.ReplicaConfig;
import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.replication.Replicator;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.file.FileReplicaClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A prepared restore keeps its planned files from retention from planning until it is
 * closed, so that a caller can pause the application between planning and reading.
 */
class PreparedRestoreTests {

	@TempDir
	Path dir;

	@Test
	void plannedFilesStayReservedUntilThePreparedRestoreIsClosed() throws Exception {
		FileReplicaClient client = replicate();
		RestoreReservations reservations = new RestoreReservations();
		Restorer restorer = new Restorer(Clock.systemUTC(), 1, reservations);
		PreparedRestore prepared = restorer.prepare(client, RestoreTarget.latest());
		LtxFileInfo planned = prepared.plan().files().get(0);
		try (prepared) {
			assertThat(reservations.isReserved(client.location(), planned)).isTrue();
			restorer.restore(prepared, this.dir.resolve("restored.db"), IntegrityCheck.QUICK, "test");
			assertThat(reservations.isReserved(client.location(), planned)).isTrue();
		}
		assertThat(reservations.isReserved(client.location(), planned)).isFalse();
	}

	@Test
	void failedPlanningReservesNothing() throws Exception {
		FileReplicaClient client = replicate();
		RestoreReservations reservations = new RestoreReservations();
		Restorer restorer = new Restorer(Clock.systemUTC(), 1, reservations);
		assertThatExceptionOfType(RestoreTargetException.class)
			.isThrownBy(() -> restorer.prepare(client, RestoreTarget.txid(1000)));
		assertThat(reservations.awaitIdle(client.location(), 0, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
	}

	private FileReplicaClient replicate() throws Exception {
		Path db = this.dir.resolve("app.db");
		FileReplicaClient client = new FileReplicaClient(this.dir.resolve("replica"));
		try (Connection connection = TestDatabases.open(db);
				Replicator replicator = new Replicator(ReplicatorConfig.builder("app", db)
					.replica(new ReplicaConfig("file", client, Duration.ZERO))
					.monitorInterval(Duration.ofMillis(50))
					.build())) {
			replicator.start();
			TestDatabases.execute(connection, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
			long txid = replicator.sync();
			assertThat(replicator.awaitReplicated(txid, Duration.ofSeconds(30))).isTrue();
			replicator.stop();
		}
		return client;
	}

}
