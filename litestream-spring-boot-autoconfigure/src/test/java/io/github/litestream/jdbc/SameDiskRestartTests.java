package io.github.litestream.jdbc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.ownership.LeaseStatus;
import io.github.litestream.ownership.LeaseUnavailableException;
import io.github.litestream.ownership.OwnershipState;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * A restart takes its own lease back (DESIGN 4.15): an instance restarted on the same
 * disk after it was killed (no release) serves again at once instead of asking its own
 * dead lease to hand over and waiting for it to expire; and it never does so when it
 * cannot prove that the lease is its own and that the holder is gone: a copied disk, a
 * disk behind the replica, another live process on the same disk.
 * <p>
 * The lease lives a minute and a start waits for it at most a few seconds, so every start
 * that succeeds took the lease back; one that waited for the expiry would fail.
 */
class SameDiskRestartTests {

	private static final Duration TTL = Duration.ofSeconds(60);

	private static final Duration RENEW = Duration.ofSeconds(2);

	/** Far below the TTL: a start only succeeds by taking the lease back. */
	private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(5);

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
	void instanceKilledAndRestartedOnTheSameDiskTakesItsLeaseBackAtOnce() throws Exception {
		TestInstance first = instance("app", LeaseConfig.Handover.REQUEST);
		first.start();
		first.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		first.execute("INSERT INTO notes VALUES (1, 'before the kill')");
		assertThat(first.database.sync().replicated()).isTrue();
		long generation = first.database.getOwnership().leaseStatuses().get(0).epoch();
		kill(first);
		TestInstance again = instance("app", LeaseConfig.Handover.REQUEST);
		again.start();
		assertThat(again.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		LeaseStatus lease = again.database.getOwnership().leaseStatuses().get(0);
		assertThat(lease.held()).isTrue();
		assertThat(lease.epoch()).as("a new generation").isEqualTo(generation + 1);
		again.execute("INSERT INTO notes VALUES (2, 'after the restart')");
		assertThat(again.ids()).containsExactlyInAnyOrder(1, 2);
		assertThat(again.database.sync().replicated()).isTrue();
		again.close();
		assertThat(restoredIds()).containsExactlyInAnyOrder(1, 2);
	}

	@Test
	void instanceKilledWithSigkillInAChildJvmIsTakenBackByItsRestart() throws Exception {
		Path replica = this.dir.resolve("replica");
		try (ChildJvm child = ChildJvm.start(this.dir, "killed", RestartedInstanceMain.class, List.of("-Xmx96m"),
				List.of(this.dir.toString(), "app", replica.toString(), String.valueOf(TTL.toSeconds())))) {
			child.awaitLine("replicated 5", Duration.ofSeconds(60));
			assertThat(child.kill()).as("SIGKILL").isEqualTo(137);
		}
		String left = lease();
		assertThat(left).as("a killed process leaves its lease").doesNotContain("0001-01-01");
		TestInstance again = instance("app", LeaseConfig.Handover.REQUEST);
		again.start();
		assertThat(again.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		assertThat(again.ids()).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
		again.execute("INSERT INTO notes VALUES (6, 'after the restart')");
		again.close();
		assertThat(restoredIds()).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6);
	}

	@Test
	void instanceKilledDuringAHandoverTakesItsLeaseBackAndThenHandsOver() throws Exception {
		TestInstance first = instance("app", LeaseConfig.Handover.REQUEST);
		first.start();
		first.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		first.execute("INSERT INTO notes VALUES (1, 'before the handover')");
		assertThat(first.database.sync().replicated()).isTrue();
		TestInstance successor = TestInstance.create(this.dir, "successor",
				new FileReplicaClient(this.dir.resolve("replica")),
				new LeaseConfig(true, TTL, RENEW, LeaseConfig.Handover.REQUEST, Duration.ofSeconds(60)));
		this.open.add(successor);
		CompletableFuture<Void> successorStarted;
		try (Connection held = first.dataSource.getConnection()) {
			// A transaction longer than the drain timeout: the handover cannot complete
			held.setAutoCommit(false);
			try (Statement statement = held.createStatement()) {
				statement.execute("INSERT INTO notes VALUES (2, 'never committed')");
			}
			successorStarted = CompletableFuture.runAsync(() -> {
				try {
					successor.start();
				}
				catch (Exception ex) {
					throw new IllegalStateException(ex);
				}
			});
			await().atMost(Duration.ofSeconds(30)).until(() -> lease().contains("requested_by"));
			kill(first);
		}
		assertThat(lease()).contains("requested_by");
		TestInstance again = instance("app", LeaseConfig.Handover.REQUEST);
		again.start();
		// Taken back at once, then handed over to the instance that asked
		successorStarted.get(60, TimeUnit.SECONDS);
		assertThat(successor.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		assertThat(again.database.getOwnership().state()).isEqualTo(OwnershipState.HANDED_OVER);
		assertThat(successor.ids()).containsExactly(1);
	}

	@Test
	void restartOnACopyOfTheDiskOnAnotherMachineDoesNotTakeTheLeaseBack() throws Exception {
		TestInstance first = instance("app", LeaseConfig.Handover.REQUEST);
		first.start();
		first.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		assertThat(first.database.sync().replicated()).isTrue();
		kill(first);
		// A volume snapshot restored on another machine carries the record of the machine
		// it was taken on: the original may still be running there
		Path record = meta("app").resolve("instance.properties");
		String recorded = Files.readString(record, StandardCharsets.ISO_8859_1);
		assertThat(recorded).contains("host=");
		Files.writeString(record, recorded.replaceAll("(?m)^host=.*$", "host=another-machine"),
				StandardCharsets.ISO_8859_1);
		String left = lease();
		TestInstance clone = instance("app", LeaseConfig.Handover.WAIT);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(clone::start)
			.withCauseInstanceOf(LeaseUnavailableException.class);
		assertThat(lease()).as("the lease is untouched").isEqualTo(left);
	}

	@Test
	void instanceStartedOnACopyOfTheDiskOnTheSameMachineDoesNotTakeTheLeaseBack() throws Exception {
		TestInstance first = instance("app", LeaseConfig.Handover.REQUEST);
		first.start();
		first.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		assertThat(first.database.sync().replicated()).isTrue();
		kill(first);
		// A copy of the volume attached beside the original (the original could be
		// started
		// again): same host, same boot, but not the same directory
		copy(this.dir.resolve("app"), this.dir.resolve("copy"));
		String left = lease();
		TestInstance copy = instance("copy", LeaseConfig.Handover.WAIT);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(copy::start)
			.withCauseInstanceOf(LeaseUnavailableException.class);
		assertThat(lease()).as("the lease is untouched").isEqualTo(left);
	}

	@Test
	void restartOfADiskBehindTheReplicaDoesNotTakeTheLeaseBack() throws Exception {
		TestInstance first = instance("app", LeaseConfig.Handover.REQUEST);
		first.start();
		first.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		assertThat(first.database.sync().replicated()).isTrue();
		Path snapshot = this.dir.resolve("meta-snapshot");
		copy(meta("app"), snapshot);
		first.execute("INSERT INTO notes VALUES (1, 'only on the replica after the rollback')");
		assertThat(first.database.sync().replicated()).isTrue();
		kill(first);
		// The disk rolled back to an older snapshot: its local state is behind the
		// replica
		deleteContent(meta("app"));
		copy(snapshot, meta("app"));
		String left = lease();
		TestInstance behind = instance("app", LeaseConfig.Handover.WAIT);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(behind::start)
			.withCauseInstanceOf(LeaseUnavailableException.class);
		assertThat(lease()).as("the lease is untouched").isEqualTo(left);
	}

	@Test
	void secondInstanceOnTheSameDiskInTheSameProcessDoesNotTakeTheLeaseFromTheFirst() throws Exception {
		TestInstance first = instance("app", LeaseConfig.Handover.REQUEST);
		first.start();
		first.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
		assertThat(first.database.sync().replicated()).isTrue();
		String held = lease();
		TestInstance second = instance("app", LeaseConfig.Handover.WAIT);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(second::start)
			.withCauseInstanceOf(LeaseUnavailableException.class);
		assertThat(first.database.getOwnership().mayAcknowledgeWrites()).isTrue();
		first.execute("INSERT INTO notes VALUES (1, 'still the only writer')");
		assertThat(first.database.sync().replicated()).isTrue();
		assertThat(restoredIds()).containsExactly(1);
		assertThat(held).contains(first.database.getOwnership().leaseStatuses().get(0).holder());
	}

	@Test
	void liveProcessOnTheSameDiskKeepsItsLeaseFromARestartedInstance() throws Exception {
		Path replica = this.dir.resolve("replica");
		try (ChildJvm child = ChildJvm.start(this.dir, "live", RestartedInstanceMain.class, List.of("-Xmx96m"),
				List.of(this.dir.toString(), "app", replica.toString(), String.valueOf(TTL.toSeconds())))) {
			child.awaitLine("replicated 5", Duration.ofSeconds(60));
			String held = lease();
			// Started beside it (a second pod on the same volume, a restart script that
			// did not wait): the meta directory's lock is held by a live process
			TestInstance second = instance("app", LeaseConfig.Handover.WAIT);
			assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(second::start)
				.withCauseInstanceOf(LeaseUnavailableException.class);
			assertThat(lease()).as("the live process's lease is not taken").contains(instanceOf(held));
			assertThat(child.isAlive()).isTrue();
		}
	}

	private static String instanceOf(String lease) {
		return lease.replaceAll("(?s).*\"instance\"\\s*:\\s*\"([^\"]+)\".*", "$1");
	}

	/**
	 * Stops an instance the way SIGKILL stops a process: the lease stays in the replica,
	 * and the operating system lets go of the process's file locks.
	 */
	private void kill(TestInstance instance) {
		this.open.remove(instance);
		instance.database.kill();
	}

	private Path meta(String name) {
		return this.dir.resolve(name).resolve(".app.db-litestream");
	}

	private String lease() throws IOException {
		return Files.readString(this.dir.resolve("replica").resolve("lock.json"), StandardCharsets.UTF_8);
	}

	private java.util.Set<Integer> restoredIds() throws Exception {
		return TestInstance.restoredIds(this.dir.resolve("replica"), this.dir.resolve("restored.db"));
	}

	private TestInstance instance(String name, LeaseConfig.Handover handover) throws Exception {
		TestInstance instance = TestInstance.create(this.dir, name, new FileReplicaClient(this.dir.resolve("replica")),
				new LeaseConfig(true, TTL, RENEW, handover, STARTUP_TIMEOUT));
		this.open.add(instance);
		return instance;
	}

	private static void copy(Path from, Path to) throws IOException {
		try (Stream<Path> files = Files.walk(from)) {
			for (Path file : files.toList()) {
				Path target = to.resolve(from.relativize(file).toString());
				if (Files.isDirectory(file)) {
					Files.createDirectories(target);
				}
				else {
					Files.copy(file, target);
				}
			}
		}
	}

	private static void deleteContent(Path directory) throws IOException {
		try (Stream<Path> files = Files.walk(directory)) {
			for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
				if (!file.equals(directory)) {
					Files.delete(file);
				}
			}
		}
	}

}
