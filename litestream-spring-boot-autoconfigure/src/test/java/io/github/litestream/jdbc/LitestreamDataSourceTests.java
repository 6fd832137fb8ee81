package io.github.litestream.jdbc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreException;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.RestoreTarget;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.NoCompaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link LitestreamDataSource} and the in-place restore of
 * {@link LitestreamDatabase}, on a plain (non-pooled) SQLite DataSource.
 */
class LitestreamDataSourceTests {

	@TempDir
	Path dir;

	private LitestreamDataSource dataSource;

	private LitestreamDatabase database;

	private FileReplicaClient client;

	@BeforeEach
	void setUp() throws Exception {
		Path db = this.dir.resolve("app.db");
		this.client = new FileReplicaClient(this.dir.resolve("replica"));
		List<Replica> replicas = List.of(new Replica("file", this.client.location(), this.client, Duration.ZERO));
		CompositeReplicationListener listener = new CompositeReplicationListener();
		// The poll for commits made outside this JVM never runs during a test: every
		// commit must reach the engine through the DataSource's notification.
		// No compaction while a test compares the replica's files before and after
		ReplicatorConfig config = LitestreamDatabase.config(
				NoCompaction.of(ReplicatorConfig.builder("app", db).monitorInterval(Duration.ofHours(1))), replicas,
				listener);
		this.database = new LitestreamDatabase(config, replicas,
				new LitestreamDatabase.Settings(true, IntegrityCheck.QUICK, Duration.ofMillis(300)), listener);
		SQLiteDataSource sqlite = new SQLiteDataSource();
		sqlite.setUrl("jdbc:sqlite:" + db);
		this.dataSource = new LitestreamDataSource(sqlite, this.database);
		this.database.start();
	}

	@AfterEach
	void tearDown() {
		this.dataSource.close();
	}

	@Test
	void pauseWaitsForBorrowedConnectionsAndBlocksNewOnes() throws Exception {
		Connection borrowed = this.dataSource.getConnection();
		assertThatExceptionOfType(TimeoutException.class)
			.isThrownBy(() -> this.dataSource.pause(Duration.ofMillis(100)));
		assertThat(this.dataSource.isPaused()).isFalse();
		borrowed.close();
		this.dataSource.pause(Duration.ofSeconds(1));
		AtomicReference<Thread> caller = new AtomicReference<>();
		CompletableFuture<Connection> waiting = CompletableFuture.supplyAsync(() -> {
			caller.set(Thread.currentThread());
			try {
				return this.dataSource.getConnection();
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		// Not done because getConnection() waits, not because the task has not run yet
		await().atMost(Duration.ofSeconds(10))
			.until(() -> caller.get() != null && caller.get().getState() == Thread.State.TIMED_WAITING);
		assertThat(waiting).isNotDone();
		this.dataSource.resume();
		try (Connection connection = waiting.get()) {
			assertThat(connection.isValid(1)).isTrue();
		}
		assertThat(this.dataSource.getBorrowedConnections()).isZero();
	}

	@Test
	void commitsAreReplicatedWithoutWaitingForThePoll() throws Exception {
		execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t (v) VALUES ('a')");
		await().atMost(Duration.ofSeconds(10)).until(() -> {
			var status = this.database.status();
			return status != null && status.txid() > 0 && status.replicas().get(0).txid() == status.txid();
		});
	}

	@Test
	void restoreInPlaceRollsBackToATxidAndKeepsServing() throws Exception {
		execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t (v) VALUES ('a')");
		long before = this.database.sync().txid();
		execute("INSERT INTO t (v) VALUES ('b')", "INSERT INTO t (v) VALUES ('c')");
		this.database.sync();
		assertThat(count()).isEqualTo(3);
		try (Connection idle = this.dataSource.getConnection()) {
			// an open connection from before the restore stays usable afterwards
			assertThat(idle.isValid(1)).isTrue();
		}
		assertThat(this.database.restoreInPlace(RestoreTarget.txid(before)).txid()).isEqualTo(before);
		assertThat(count()).isEqualTo(1);
		execute("INSERT INTO t (v) VALUES ('d')");
		assertThat(count()).isEqualTo(2);
		assertThat(this.database.sync().replicated()).isTrue();
		// The replica continues from the restored state: a restore from it has the rows
		// kept by the rollback and the one written after it, nothing else.
		Path restored = this.dir.resolve("restored.db");
		new Restorer().restore(this.client, restored, RestoreOptions.defaults()).orElseThrow();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + restored);
				Statement statement = connection.createStatement();
				ResultSet rs = statement
					.executeQuery("SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY id)")) {
			assertThat(rs.next()).isTrue();
			assertThat(rs.getString(1)).isEqualTo("a,d");
		}
	}

	@Test
	void restoreToAnUnrestorableTargetChangesNothing() throws Exception {
		execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t (v) VALUES ('a')");
		long txid = this.database.sync().txid();
		List<String> before = replicaFiles();
		try (Connection borrowed = this.dataSource.getConnection()) {
			// Pausing would wait for this connection and time out: the request must fail
			// on its target before it pauses anything.
			assertThatExceptionOfType(RestoreException.class)
				.isThrownBy(() -> this.database.restoreInPlace(RestoreTarget.txid(txid + 1000)))
				.withMessageContaining("the newest TXID is");
			assertThatExceptionOfType(RestoreException.class)
				.isThrownBy(() -> this.database.restoreInPlace(RestoreTarget.at(Instant.now().minusSeconds(3600))))
				.withMessageContaining("the earliest restorable time is");
			assertThat(borrowed.isValid(1)).isTrue();
		}
		assertThat(this.dataSource.isPaused()).isFalse();
		assertThat(this.database.isRunning()).isTrue();
		assertThat(replicaFiles()).isEqualTo(before);
		assertThat(count()).isEqualTo(1);
	}

	private List<String> replicaFiles() throws Exception {
		try (Stream<Path> files = Files.walk(this.dir.resolve("replica"))) {
			return files.filter(Files::isRegularFile)
				.map((file) -> this.dir.relativize(file).toString())
				.sorted()
				.toList();
		}
	}

	private void execute(String... sql) throws Exception {
		try (Connection connection = this.dataSource.getConnection();
				Statement statement = connection.createStatement()) {
			for (String s : sql) {
				statement.execute(s);
			}
		}
	}

	private long count() throws Exception {
		try (Connection connection = this.dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM t")) {
			rs.next();
			return rs.getLong(1);
		}
	}

}
