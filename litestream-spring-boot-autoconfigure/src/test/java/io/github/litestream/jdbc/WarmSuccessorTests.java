package io.github.litestream.jdbc;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.github.litestream.ownership.LeaseConfig;
import io.github.litestream.ownership.OwnershipState;
import io.github.litestream.storage.file.FileReplicaClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The warm successor of a rolling deploy (DESIGN 4.16): the new instance restores and
 * starts on the database while the old one still serves it, reading only, and takes it
 * over when its application is ready, or before a write of its startup.
 */
class WarmSuccessorTests {

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
	void successorStartsOnTheRestoredDatabaseWhileTheHolderServesAndCatchesUpWhenItTakesOver() throws Exception {
		TestInstance old = started("old");
		insert(old, 1, 100);
		assertThat(old.database.sync().replicated()).isTrue();
		TestInstance successor = instance("new", SQLiteConfig.TransactionMode.DEFERRED);
		successor.database.restoreOnStartupIfNeeded();
		// Restored without the leases: the holder was not asked and goes on serving
		assertThat(successor.database.getOwnership().state()).isEqualTo(OwnershipState.STANDBY);
		assertThat(old.database.getHandover()).isNull();
		assertThat(successor.ids()).isEqualTo(ids(1, 100));
		insert(old, 101, 200);
		successor.database.start();
		assertThat(old.database.getHandover()).isNotNull();
		assertThat(successor.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		// The few commits after its restore were applied to the open database
		assertThat(successor.ids()).isEqualTo(ids(1, 200));
		insert(successor, 201, 210);
		assertThat(successor.database.sync().replicated()).isTrue();
		assertThat(restoredIds()).isEqualTo(ids(1, 210));
	}

	@Test
	void readsOfTheStartupDoNotTakeTheDatabaseOverEvenInImmediateMode() throws Exception {
		TestInstance old = started("old");
		insert(old, 1, 10);
		assertThat(old.database.sync().replicated()).isTrue();
		TestInstance successor = instance("new", SQLiteConfig.TransactionMode.IMMEDIATE);
		successor.database.restoreOnStartupIfNeeded();
		try (Connection connection = successor.dataSource.getConnection()) {
			// BEGIN IMMEDIATE is a write to SQLite: a read transaction begins deferred
			connection.setAutoCommit(false);
			assertThat(TestInstance.ids(connection)).isEqualTo(ids(1, 10));
			connection.commit();
			connection.setAutoCommit(true);
			assertThat(TestInstance.ids(connection)).isEqualTo(ids(1, 10));
		}
		TransactionTemplate readOnly = new TransactionTemplate(new DataSourceTransactionManager(successor.dataSource));
		readOnly.setReadOnly(true);
		Integer count = readOnly.execute((status) -> new JdbcTemplate(successor.dataSource)
			.queryForObject("SELECT count(*) FROM notes", Integer.class));
		assertThat(count).isEqualTo(10);
		assertThat(successor.database.getOwnership().state()).isEqualTo(OwnershipState.STANDBY);
		assertThat(old.database.getHandover()).isNull();
		old.execute("INSERT INTO notes VALUES (11, 'still the owner')");
	}

	@Test
	void anAutoCommitWriteOfTheStartupTakesTheDatabaseOverBeforeItRuns() throws Exception {
		TestInstance old = started("old");
		insert(old, 1, 10);
		TestInstance successor = instance("new", SQLiteConfig.TransactionMode.DEFERRED);
		successor.database.restoreOnStartupIfNeeded();
		insert(old, 11, 20);
		// A seeding script: runs once the database is taken over and caught up
		successor.execute("INSERT INTO notes VALUES (21, 'seeded')");
		assertThat(old.database.getHandover()).isNotNull();
		assertThat(successor.database.getOwnership().state()).isEqualTo(OwnershipState.OWNER);
		assertThat(successor.ids()).isEqualTo(ids(1, 21));
		successor.database.start();
		assertThat(successor.database.sync().replicated()).isTrue();
		assertThat(restoredIds()).isEqualTo(ids(1, 21));
	}

	@Test
	void aTransactionThatWritesFirstTakesTheDatabaseOverBeforeItsBegin() throws Exception {
		TestInstance old = started("old");
		insert(old, 1, 10);
		TestInstance successor = instance("new", SQLiteConfig.TransactionMode.IMMEDIATE);
		successor.database.restoreOnStartupIfNeeded();
		insert(old, 11, 20);
		try (Connection connection = successor.dataSource.getConnection()) {
			connection.setAutoCommit(false);
			try (Statement statement = connection.createStatement()) {
				statement.execute("INSERT INTO notes VALUES (21, 'migrated')");
				statement.execute("INSERT INTO notes VALUES (22, 'migrated')");
			}
			connection.commit();
		}
		assertThat(old.database.getHandover()).isNotNull();
		assertThat(successor.ids()).isEqualTo(ids(1, 22));
	}

	@Test
	void aReadWriteSpringTransactionTakesTheDatabaseOverBeforeItsFirstRead() throws Exception {
		TestInstance old = started("old");
		insert(old, 1, 10);
		TestInstance successor = instance("new", SQLiteConfig.TransactionMode.DEFERRED);
		successor.database.restoreOnStartupIfNeeded();
		insert(old, 11, 20);
		JdbcTemplate jdbc = new JdbcTemplate(successor.dataSource);
		TransactionTemplate transaction = new TransactionTemplate(
				new DataSourceTransactionManager(successor.dataSource));
		// A seeding runner that reads, then writes what it found missing
		transaction.executeWithoutResult((status) -> {
			Integer count = jdbc.queryForObject("SELECT count(*) FROM notes", Integer.class);
			jdbc.update("INSERT INTO notes VALUES (?, 'seen ' || ?)", count + 1, count);
		});
		assertThat(old.database.getHandover()).isNotNull();
		// It read the state it took over, not the one it was restored at
		assertThat(successor.ids()).isEqualTo(ids(1, 21));
	}

	@Test
	void onceTheStartupIsDoneOtherCallersAreSentToTheServingInstanceInsteadOfReadingTheRestoredState()
			throws Exception {
		TestInstance old = started("old");
		insert(old, 1, 10);
		assertThat(old.database.sync().replicated()).isTrue();
		TestInstance successor = instance("new", SQLiteConfig.TransactionMode.DEFERRED);
		successor.database.restoreOnStartupIfNeeded();
		// The web server listens from here on; the context's own thread still reads
		successor.database.startupDone();
		assertThat(successor.ids()).isEqualTo(ids(1, 10));
		insert(old, 11, 20);
		CompletableFuture<Set<Integer>> request = idsOnAnotherThread(successor);
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> request.get(10, TimeUnit.SECONDS))
			.withCauseInstanceOf(IllegalStateException.class)
			.withRootCauseInstanceOf(DatabaseNotServedYetException.class);
		successor.database.start();
		// Never the state it was restored at: what the old instance acknowledged
		assertThat(idsOnAnotherThread(successor).get(10, TimeUnit.SECONDS)).isEqualTo(ids(1, 20));
	}

	@Test
	void successorThatDiesRightAfterTakingOverLeavesTheDatabaseWithTheOldInstance() throws Exception {
		TestInstance old = started("old");
		insert(old, 1, 10);
		Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
		acknowledged.addAll(ids(1, 10));
		AtomicBoolean writing = new AtomicBoolean(true);
		CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
			for (int id = 11; writing.get(); id++) {
				try {
					old.execute("INSERT INTO notes VALUES (" + id + ", 'note')");
					acknowledged.add(id);
				}
				catch (SQLException ex) {
					// Refused while handed over: not acknowledged
				}
			}
		});
		TestInstance successor = instance("new", SQLiteConfig.TransactionMode.DEFERRED);
		successor.database.restoreOnStartupIfNeeded();
		successor.database.start();
		// Killed before it wrote anything: its leases stay until they expire
		successor.database.kill();
		await().atMost(Duration.ofSeconds(20))
			.until(() -> old.database.isRunning() && old.database.getHandover() == null);
		int before = acknowledged.size();
		await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.size() > before + 10);
		writing.set(false);
		writer.get();
		assertThat(old.database.sync().replicated()).isTrue();
		assertThat(old.ids()).containsAll(acknowledged);
		assertThat(restoredIds()).containsAll(acknowledged);
	}

	private TestInstance started(String name) throws Exception {
		TestInstance instance = instance(name, SQLiteConfig.TransactionMode.DEFERRED);
		instance.start();
		instance.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)");
		return instance;
	}

	private TestInstance instance(String name, SQLiteConfig.TransactionMode mode) throws Exception {
		TestInstance instance = TestInstance.create(this.dir, name, new FileReplicaClient(this.dir.resolve("replica")),
				new LeaseConfig(true, Duration.ofMillis(1500), Duration.ofMillis(300), LeaseConfig.Handover.REQUEST,
						Duration.ofSeconds(30)),
				mode);
		this.open.add(instance);
		return instance;
	}

	private static void insert(TestInstance instance, int from, int to) throws SQLException {
		for (int id = from; id <= to; id++) {
			instance.execute("INSERT INTO notes VALUES (" + id + ", 'note " + id + "')");
		}
	}

	/** Reads the note IDs on another thread, as a request does. */
	private static CompletableFuture<Set<Integer>> idsOnAnotherThread(TestInstance instance) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				return instance.ids();
			}
			catch (SQLException ex) {
				throw new IllegalStateException(ex);
			}
		});
	}

	private static Set<Integer> ids(int from, int to) {
		return IntStream.rangeClosed(from, to).boxed().collect(Collectors.toSet());
	}

	private Set<Integer> restoredIds() throws Exception {
		return TestInstance.restoredIds(this.dir.resolve("replica"), this.dir.resolve("restored.db"));
	}

}
