package io.github.litestream.jdbc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.github.litestream.actuate.LitestreamHealthIndicator;
import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.ownership.LeaseUnavailableException;
import io.github.litestream.ownership.OwnershipState;
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
 * Rolling deploys (DESIGN 4.14): a starting instance takes the lease of a replica another
 * live instance writes, by asking it to hand the database over; nothing the old instance
 * acknowledged is lost, and it serves the database no more afterwards.
 */
class DatabaseHandoverTests {

	@TempDir
	Path dir;

	private final List<TestInstance> open = new ArrayList<>();

	@AfterEach
	void closeAll() {
		for (TestInstance instance : this.open) {
			instance.close();
		}
	}

	@Test
	void rollingDeployHandsTheDatabaseOverWithoutLosingAnAcknowledgedRow() throws Exception {
		TestInstance old = instance("old", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		old.start();
		old.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		assertThat(old.database.sync().replicated()).isTrue();
		Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
		AtomicReference<SQLException> refusal = new AtomicReference<>();
		CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
			for (int id = 1; id < 1_000_000; id++) {
				try {
					old.execute("INSERT INTO notes VALUES (" + id + ", 'note " + id + "')");
					acknowledged.add(id);
				}
				catch (SQLException ex) {
					refusal.set(ex);
					return;
				}
			}
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.size() >= 50);
		TestInstance successor = instance("new", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		// Blocks until the old instance handed over, then restores its final state
		successor.start();
		writer.get();
		assertThat((Throwable) refusal.get()).isInstanceOf(SQLNonTransientConnectionException.class)
			.hasMessageContaining("was handed over to");
		LitestreamDatabase.Handover handover = old.database.getHandover();
		assertThat(handover).isNotNull();
		assertThat(old.database.isRunning()).isFalse();
		LitestreamDatabases databases = new LitestreamDatabases();
		databases.register(old.database);
		Health health = new LitestreamHealthIndicator(databases, Duration.ofMinutes(1)).health(true);
		assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
		assertThat(health.getDetails().get("app")).asString()
			.contains("state=HANDED_OVER")
			.contains("handedOverTo=" + handover.to());
		assertThat(successor.ids()).containsAll(acknowledged);
		assertThat(lease()).contains("\"generation\":2").doesNotContain("0001-01-01");
		for (int id = 2_000_000; id < 2_000_020; id++) {
			successor.execute("INSERT INTO notes VALUES (" + id + ", 'after')");
			acknowledged.add(id);
		}
		assertThat(successor.database.sync().replicated()).isTrue();
		successor.close();
		// The successor wrote: the old instance never takes the database back
		await().during(Duration.ofSeconds(1))
			.atMost(Duration.ofSeconds(5))
			.until(() -> old.database.getHandover() != null && !old.database.isRunning());
		old.close();
		assertThat(restoredIds()).containsAll(acknowledged);
	}

	@Test
	void successorThatFailsToStartGivesTheDatabaseBackToTheOldInstance() throws Exception {
		TestInstance old = instance("old", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		old.start();
		old.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		old.execute("INSERT INTO notes VALUES (1, 'before')");
		TestInstance successor = instance("new", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		// Restores as a warm successor and takes over, then its application fails to
		// start (a port in use, a runner) and closes without writing
		successor.database.start();
		assertThat(old.database.getHandover()).isNotNull();
		assertThatExceptionOfType(DatabaseHandedOverException.class)
			.isThrownBy(() -> old.execute("INSERT INTO notes VALUES (2, 'refused')"));
		successor.close();
		await().atMost(Duration.ofSeconds(10)).until(() -> old.database.isRunning());
		assertThat(old.database.getHandover()).isNull();
		old.execute("INSERT INTO notes VALUES (3, 'served again')");
		assertThat(old.database.sync().replicated()).isTrue();
		old.close();
		assertThat(restoredIds()).containsExactlyInAnyOrder(1, 3);
	}

	@Test
	void waitPolicyLeavesTheHolderServingAndFailsTheStartNamingIt() throws Exception {
		TestInstance old = instance("old", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		old.start();
		old.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		TestInstance waiting = instance("new", LeaseConfig.Handover.WAIT, Duration.ofSeconds(2));
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(waiting::start)
			.withCauseInstanceOf(LeaseUnavailableException.class)
			.withMessageContaining("could not take the lease of replica 'file'")
			.withMessageContaining("held by");
		assertThat(old.database.getHandover()).isNull();
		old.execute("INSERT INTO notes VALUES (1, 'still served')");
		assertThat(old.database.sync().replicated()).isTrue();
		assertThat(Files.exists(waiting.path)).isFalse();
		assertThat(lease()).doesNotContain("requested_by");
	}

	@Test
	void holderThatCannotDrainItsPoolKeepsServingAndTheNewcomerFailsItsStart() throws Exception {
		TestInstance old = instance("old", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		old.start();
		old.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		try (Connection held = old.dataSource.getConnection()) {
			// A transaction longer than the drain timeout: the pool cannot pause
			held.setAutoCommit(false);
			try (Statement statement = held.createStatement()) {
				statement.execute("INSERT INTO notes VALUES (1, 'in flight')");
			}
			TestInstance successor = instance("new", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(3));
			assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(successor::start)
				.withCauseInstanceOf(LeaseUnavailableException.class)
				.withMessageContaining("did not hand over");
			held.commit();
		}
		// An attempt that drained once the transaction ended finds the request withdrawn
		// and resumes: a contender that gave up is never handed the database
		await().atMost(Duration.ofSeconds(10)).until(() -> !old.dataSource.isPaused());
		assertThat(old.database.getHandover()).isNull();
		assertThat(old.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		old.execute("INSERT INTO notes VALUES (2, 'still served')");
		assertThat(old.ids()).containsExactlyInAnyOrder(1, 2);
		assertThat(old.database.sync().replicated()).isTrue();
	}

	@Test
	void holderStoppedGracefullyPassesItsFinalTxidToTheNextInstance() throws Exception {
		TestInstance old = instance("old", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		old.start();
		old.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		for (int id = 1; id <= 30; id++) {
			old.execute("INSERT INTO notes VALUES (" + id + ", 'note')");
		}
		old.close();
		assertThat(lease()).contains("0001-01-01").contains("\"final_txid\"");
		TestInstance successor = instance("new", LeaseConfig.Handover.WAIT, Duration.ofSeconds(5));
		successor.start();
		assertThat(successor.ids()).hasSize(30);
	}

	@Test
	void startThatFailsAfterTheRestoreReleasesTheLease() throws Exception {
		TestInstance failed = instance("failed", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		// The application fails after the startup restore (a migration): the pool closes
		failed.database.restoreOnStartupIfNeeded();
		assertThat(lease()).doesNotContain("0001-01-01");
		failed.dataSource.close();
		assertThat(lease()).contains("0001-01-01");
	}

	@Test
	void instanceThatLostItsLeaseWhileCutOffStopsServingAndNeverOverwritesTheNewHolder() throws Exception {
		AtomicBoolean cutOff = new AtomicBoolean();
		TestInstance old = instance("old", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30), cutOff);
		old.start();
		old.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		old.execute("INSERT INTO notes VALUES (1, 'replicated')");
		assertThat(old.database.sync().replicated()).isTrue();
		// Paused or partitioned: its lease expires and another instance takes over
		cutOff.set(true);
		TestInstance successor = instance("new", LeaseConfig.Handover.WAIT, Duration.ofSeconds(30));
		successor.start();
		for (int id = 100; id < 110; id++) {
			successor.execute("INSERT INTO notes VALUES (" + id + ", 'new holder')");
		}
		assertThat(successor.database.sync().replicated()).isTrue();
		cutOff.set(false);
		// Back: it sees the other holder and stops serving instead of diverging
		await().atMost(Duration.ofSeconds(10)).until(() -> old.database.getHandover() != null);
		assertThatExceptionOfType(DatabaseHandedOverException.class)
			.isThrownBy(() -> old.execute("INSERT INTO notes VALUES (2, 'would be lost')"));
		successor.close();
		await().during(Duration.ofSeconds(1))
			.atMost(Duration.ofSeconds(5))
			.until(() -> !old.database.isRunning() && old.database.getHandover() != null);
		old.close();
		assertThat(restoredIds()).contains(1, 100, 109).doesNotContain(2);
	}

	@Test
	void existingDatabaseIsNotServedWhileTheLeaseCannotBeRead() throws Exception {
		TestInstance holder = instance("holder", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(30));
		holder.start();
		holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		assertThat(holder.database.sync().replicated()).isTrue();
		// A second instance on a copy of the database (a persistent volume), while the
		// replica cannot be reached from it
		Path copy = this.dir.resolve("copy").resolve("app.db");
		Files.createDirectories(copy.getParent());
		Files.copy(holder.path, copy);
		AtomicBoolean cutOff = new AtomicBoolean(true);
		TestInstance second = instance("copy", LeaseConfig.Handover.REQUEST, Duration.ofSeconds(2), cutOff);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(second::start)
			.withCauseInstanceOf(LeaseUnavailableException.class)
			.withMessageContaining("the lease cannot be read");
		assertThat(second.database.isRunning()).isFalse();
		holder.execute("INSERT INTO notes VALUES (1, 'still the only writer')");
		assertThat(holder.database.sync().replicated()).isTrue();
	}

	private String lease() throws Exception {
		return Files.readString(this.dir.resolve("replica").resolve("lock.json"), StandardCharsets.UTF_8);
	}

	private Set<Integer> restoredIds() throws Exception {
		return TestInstance.restoredIds(this.dir.resolve("replica"), this.dir.resolve("restored.db"));
	}

	private TestInstance instance(String name, LeaseConfig.Handover handover, Duration startupTimeout)
			throws Exception {
		return instance(name, handover, startupTimeout, new AtomicBoolean());
	}

	private TestInstance instance(String name, LeaseConfig.Handover handover, Duration startupTimeout,
			AtomicBoolean cutOff) throws Exception {
		ReplicaClient client = new UnreachableReplicaClient(new FileReplicaClient(this.dir.resolve("replica")), cutOff);
		TestInstance instance = TestInstance.create(this.dir, name, client,
				new LeaseConfig(true, Duration.ofMillis(1500), Duration.ofMillis(300), handover, startupTimeout));
		this.open.add(instance);
		return instance;
	}

}
