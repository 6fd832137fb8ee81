package io.github.litestream.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.restore.IntegrityCheck;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.LtxFileInfo;
import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.ReplicaException;
import io.github.litestream.storage.file.FileReplicaClient;
import io.github.litestream.testsupport.ForwardingReplicaClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Regression tests of replica lineage (DESIGN section 4.12 and 4.13): the engine writes
 * to a replica only when it has proven that the database continues the replica's history,
 * startup takes the newest state of all replicas, and an older local state never
 * overwrites a newer replica.
 */
class ReplicaLineageTests {

	@TempDir
	Path dir;

	private final List<LitestreamDatabase> open = new ArrayList<>();

	private Duration syncTimeout = Duration.ofSeconds(3);

	@AfterEach
	void closeAll() {
		for (LitestreamDatabase database : this.open) {
			database.close();
		}
	}

	@Test
	void staleFirstReplicaIsNotRestoredNorPushedOntoTheNewerSecond() throws Exception {
		FileReplicaClient first = new FileReplicaClient(this.dir.resolve("replica-a"));
		FileReplicaClient second = new FileReplicaClient(this.dir.resolve("replica-b"));
		AtomicBoolean firstDown = new AtomicBoolean();
		Path db1 = database("pod1");
		LitestreamDatabase pod1 = start(db1, true, new Flaky(first, null, firstDown), second);
		try (Connection c = connect(db1)) {
			execute(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
			for (int i = 1; i <= 50; i++) {
				execute(c, "INSERT INTO t VALUES (" + i + ", 'v')");
				if (i == 20) {
					assertThat(pod1.sync().replicated()).isTrue();
					// The first replica fails from here on.
					firstDown.set(true);
				}
			}
			pod1.sync();
			await().atMost(Duration.ofSeconds(20)).until(() -> restoredRows(second) == 50);
		}
		stop(pod1);

		// Rescheduled onto an empty disk.
		Path db2 = database("pod2");
		LitestreamDatabase pod2 = start(db2, true, first, second);
		assertThat(rows(db2)).as("rows restored on startup").isEqualTo(50);
		assertThat(pod2.sync().replicated()).isTrue();
		stop(pod2);
		assertThat(restoredRows(second)).as("the newer replica keeps its state").isEqualTo(50);
		assertThat(restoredRows(first)).as("the stale replica is brought up to date").isEqualTo(50);
	}

	@Test
	void oldVolumeCatchesUpFromTheReplicaInsteadOfRollingItBack() throws Exception {
		FileReplicaClient replica = new FileReplicaClient(this.dir.resolve("replica"));
		Path db = database("volume");
		LitestreamDatabase pod = start(db, true, replica);
		insert(db, pod, 1, 100);
		stop(pod);
		// A snapshot of the volume (database and meta directory) from this moment.
		Path old = this.dir.resolve("old-volume");
		copyTree(db.getParent(), old);

		pod = start(db, true, replica);
		insert(db, pod, 101, 200);
		stop(pod);
		assertThat(restoredRows(replica)).isEqualTo(200);

		// The pod comes back on the old volume.
		Path oldDb = old.resolve(db.getFileName());
		LitestreamDatabase back = start(oldDb, true, replica);
		assertThat(rows(oldDb)).as("rows the application sees on the old volume").isEqualTo(200);
		insert(oldDb, back, 201, 210);
		stop(back);
		assertThat(restoredRows(replica)).as("rows the replica restores afterwards").isEqualTo(210);
	}

	@Test
	void localChangesTheReplicaLacksFailStartupNamingTheGapInsteadOfEitherSideLosingRows() throws Exception {
		FileReplicaClient replica = new FileReplicaClient(this.dir.resolve("replica"));
		Path db = database("volume");
		LitestreamDatabase pod = start(db, true, replica);
		insert(db, pod, 1, 100);
		stop(pod);
		Path old = this.dir.resolve("old-volume");
		copyTree(db.getParent(), old);
		pod = start(db, true, replica);
		insert(db, pod, 101, 200);
		stop(pod);
		// The old volume got a write the replica never saw (no engine ran).
		Path oldDb = old.resolve(db.getFileName());
		try (Connection c = connect(oldDb)) {
			execute(c, "INSERT INTO t VALUES (1000, 'local only')");
		}
		LitestreamDatabase back = database(oldDb, true, replica);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(back::start)
			.withMessageContaining("local TXID")
			.withMessageContaining("holds TXID");
		assertThat(rows(oldDb)).as("the local database is left alone").isEqualTo(101);
		assertThat(restoredRows(replica)).as("the replica is left alone").isEqualTo(200);
	}

	@Test
	void listingFailureAtStartNeverMixesTwoHistoriesOnTheReplica() throws Exception {
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		Path dbA = database("a");
		LitestreamDatabase a = start(dbA, true, files);
		long replicated;
		try (Connection c = connect(dbA)) {
			execute(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
			execute(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) "
					+ "INSERT INTO t SELECT i, printf('%0100d', 0) FROM n");
			for (int i = 0; i < 3; i++) {
				execute(c, "UPDATE t SET v = printf('%0100d', " + (i + 1) + ") WHERE id = 1");
				a.sync();
			}
			replicated = a.sync().txid();
		}
		stop(a);

		// Pod B: fresh disk, restore on startup, then the replica's listing fails when
		// the
		// engine starts, while local TXIDs pass the replica's.
		AtomicBoolean listingDown = new AtomicBoolean();
		// Syncs return at once while the replica cannot be listed.
		this.syncTimeout = Duration.ofMillis(100);
		Path dbB = database("b");
		LitestreamDatabase b = database(dbB, true, new Flaky(files, listingDown, null));
		b.restoreOnStartupIfNeeded();
		listingDown.set(true);
		b.start();
		String expected;
		try (Connection c = connect(dbB)) {
			for (int i = 0; i < replicated + 3; i++) {
				int from = 20 + i * 40;
				execute(c, "UPDATE t SET v = 'B" + i + "' WHERE id BETWEEN " + from + " AND " + (from + 39));
				b.sync();
			}
			assertThat(b.status().txid()).as("local TXID while the replica is unknown").isGreaterThan(replicated + 2);
			listingDown.set(false);
			await().atMost(Duration.ofSeconds(20)).until(() -> b.sync().replicated());
			expected = digest(c);
		}
		stop(b);
		Path out = this.dir.resolve("restored.db");
		new Restorer().restore(files, out, RestoreOptions.defaults().withIntegrityCheck(IntegrityCheck.FULL))
			.orElseThrow();
		assertThat(digest(out)).as("the latest restore is pod B's database, rows of one history only")
			.isEqualTo(expected);
	}

	@Test
	void onStartupNeverOverAnExistingBackupFailsInsteadOfPublishingAnEmptyDatabase() throws Exception {
		FileReplicaClient replica = new FileReplicaClient(this.dir.resolve("replica"));
		Path db = database("pod1");
		LitestreamDatabase pod = start(db, true, replica);
		insert(db, pod, 1, 30);
		stop(pod);

		Path fresh = database("pod2");
		LitestreamDatabase never = database(fresh, false, replica);
		assertThatExceptionOfType(StartupRestoreException.class).isThrownBy(never::start)
			.withMessageContaining("litestream.restore.on-startup");
		assertThat(restoredRows(replica)).as("the backup is still the newest state").isEqualTo(30);
	}

	@Test
	void databaseRestoredByAnotherToolContinuesTheReplicaWithDeltasEvenWithOnStartupNever() throws Exception {
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		Path db = database("pod1");
		LitestreamDatabase pod = start(db, true, files);
		try (Connection c = connect(db)) {
			execute(c, "CREATE TABLE padding (v BLOB)");
			execute(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
					+ "INSERT INTO padding SELECT randomblob(1000) FROM n");
		}
		insert(db, pod, 1, 40);
		long txid = pod.sync().txid();
		stop(pod);
		long databaseSize = Files.size(db);

		// An init container restored the database (as 'litestream restore' would).
		Path db2 = database("pod2");
		new Restorer().restore(files, db2, RestoreOptions.defaults()).orElseThrow();
		Counting counting = new Counting(files);
		LitestreamDatabase pod2 = start(db2, false, counting);
		insert(db2, pod2, 41, 45);
		stop(pod2);
		List<LtxFileInfo> uploaded = counting.written.stream()
			.filter((file) -> file.level() == 0 || file.level() == 9)
			.toList();
		assertThat(uploaded).as("files uploaded after the restore")
			.allSatisfy((file) -> assertThat(file.level()).isZero())
			.first()
			.satisfies((file) -> assertThat(file.minTxid()).isEqualTo(txid + 1));
		assertThat(uploaded.stream().mapToLong(LtxFileInfo::size).sum())
			.as("bytes uploaded after restoring %d bytes", databaseSize)
			.isLessThan(databaseSize / 10);
		assertThat(restoredRows(files)).isEqualTo(45);
	}

	@Test
	void restoreOnStartupContinuesTheReplicaWithDeltasNotAFullSnapshot() throws Exception {
		FileReplicaClient files = new FileReplicaClient(this.dir.resolve("replica"));
		Path db = database("pod1");
		LitestreamDatabase pod = start(db, true, files);
		try (Connection c = connect(db)) {
			execute(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
			execute(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
					+ "INSERT INTO t SELECT i, randomblob(1000) FROM n");
		}
		long restoredTxid = pod.sync().txid();
		stop(pod);
		long databaseSize = Files.size(db);

		Counting counting = new Counting(files);
		Path db2 = database("pod2");
		LitestreamDatabase pod2 = start(db2, true, counting);
		assertThat(rows(db2)).isEqualTo(2000);
		try (Connection c = connect(db2)) {
			execute(c, "INSERT INTO t VALUES (2001, 'after the restore')");
		}
		assertThat(pod2.sync().replicated()).isTrue();
		stop(pod2);
		// Compaction of files pod 1 wrote (levels 1 to 8) is not the engine's upload.
		List<LtxFileInfo> uploaded = counting.written.stream()
			.filter((file) -> file.level() == 0 || file.level() == 9)
			.toList();
		assertThat(uploaded).as("files uploaded after the restore")
			.allSatisfy((file) -> assertThat(file.level()).isZero())
			.first()
			.satisfies((file) -> assertThat(file.minTxid()).isEqualTo(restoredTxid + 1));
		long bytes = uploaded.stream().mapToLong(LtxFileInfo::size).sum();
		assertThat(bytes).as("bytes uploaded after restoring %d bytes", databaseSize).isLessThan(databaseSize / 10);
		assertThat(restoredRows(files)).isEqualTo(2001);
	}

	@Test
	void firstStartOnAnEmptyReplicaUploadsOneFullFile() throws Exception {
		Counting counting = new Counting(new FileReplicaClient(this.dir.resolve("replica")));
		Path db = database("pod");
		LitestreamDatabase pod = start(db, true, counting);
		try (Connection c = connect(db)) {
			execute(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
			execute(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
					+ "INSERT INTO t SELECT i, randomblob(1000) FROM n");
		}
		assertThat(pod.sync().replicated()).isTrue();
		// Compaction snapshots a replica without one within a second of its first file.
		await().during(Duration.ofSeconds(3))
			.atMost(Duration.ofSeconds(10))
			.until(() -> counting.written.stream().filter((file) -> file.minTxid() == 1).count() <= 1);
		stop(pod);
		assertThat(counting.written.stream().filter((file) -> file.minTxid() == 1).count())
			.as("files from TXID 1 (full) written: %s", counting.written)
			.isEqualTo(1);
		assertThat(restoredRows(counting)).isEqualTo(500);
	}

	// ---------------------------------------------------------------- support

	private Path database(String name) throws IOException {
		Path directory = this.dir.resolve(name);
		Files.createDirectories(directory);
		return directory.resolve("app.db");
	}

	private LitestreamDatabase database(Path db, boolean restoreOnStartup, ReplicaClient... clients) {
		List<Replica> replicas = new ArrayList<>();
		for (int i = 0; i < clients.length; i++) {
			replicas.add(new Replica("r" + i, clients[i].location(), clients[i], Duration.ofMillis(20)));
		}
		CompositeReplicationListener listener = new CompositeReplicationListener();
		ReplicatorConfig config = LitestreamDatabase.config(ReplicatorConfig.builder("app", db)
			.monitorInterval(Duration.ofMillis(20))
			.shutdownSyncTimeout(this.syncTimeout)
			.retryBackoff(Duration.ofMillis(10), Duration.ofMillis(50)), replicas, listener);
		LitestreamDatabase database = new LitestreamDatabase(config, replicas,
				new LitestreamDatabase.Settings(restoreOnStartup, IntegrityCheck.QUICK, Duration.ofSeconds(5)),
				listener);
		this.open.add(database);
		return database;
	}

	private LitestreamDatabase start(Path db, boolean restoreOnStartup, ReplicaClient... clients) throws IOException {
		LitestreamDatabase database = database(db, restoreOnStartup, clients);
		database.start();
		return database;
	}

	private void stop(LitestreamDatabase database) {
		database.stop();
		database.close();
		this.open.remove(database);
	}

	private static void insert(Path db, LitestreamDatabase database, int from, int to) throws Exception {
		try (Connection c = connect(db)) {
			execute(c, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)");
			for (int i = from; i <= to; i++) {
				execute(c, "INSERT INTO t VALUES (" + i + ", 'note " + i + "')");
				if (i % 25 == 0) {
					database.sync();
				}
			}
		}
		assertThat(database.sync().replicated()).isTrue();
	}

	private long restoredRows(ReplicaClient replica) throws Exception {
		Path out = Files.createTempFile(this.dir, "restore-", ".db");
		Files.delete(out);
		new Restorer().restore(replica, out, RestoreOptions.defaults()).orElseThrow();
		return rows(out);
	}

	private static Connection connect(Path db) throws SQLException {
		Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
		try (Statement statement = connection.createStatement()) {
			statement.execute("PRAGMA busy_timeout = 10000");
			statement.execute("PRAGMA journal_mode = WAL");
			statement.execute("PRAGMA wal_autocheckpoint = 0");
		}
		return connection;
	}

	private static void execute(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
	}

	private static long rows(Path db) throws SQLException {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
				Statement s = c.createStatement();
				ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
			rs.next();
			return rs.getLong(1);
		}
	}

	private static String digest(Path db) throws SQLException {
		try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
			return digest(c);
		}
	}

	private static String digest(Connection c) throws SQLException {
		StringBuilder rows = new StringBuilder();
		try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, v FROM t ORDER BY id")) {
			while (rs.next()) {
				rows.append(rs.getLong(1)).append('=').append(rs.getString(2)).append('\n');
			}
		}
		return Integer.toHexString(rows.toString().hashCode()) + "/" + rows.length();
	}

	private static void copyTree(Path from, Path to) throws IOException {
		try (Stream<Path> paths = Files.walk(from)) {
			for (Path path : paths.toList()) {
				Path target = to.resolve(from.relativize(path).toString());
				if (Files.isDirectory(path)) {
					Files.createDirectories(target);
				}
				else {
					Files.copy(path, target);
				}
			}
		}
	}

	/** A real replica whose listings or writes fail while the given flag is set. */
	static class Flaky extends ForwardingReplicaClient {

		private final AtomicBoolean listingDown;

		private final AtomicBoolean writesDown;

		Flaky(ReplicaClient delegate, AtomicBoolean listingDown, AtomicBoolean writesDown) {
			super(delegate);
			this.listingDown = (listingDown != null) ? listingDown : new AtomicBoolean();
			this.writesDown = (writesDown != null) ? writesDown : new AtomicBoolean();
		}

		@Override
		public List<LtxFileInfo> listFiles(int level, long minTxidAtLeast) throws IOException {
			if (this.listingDown.get()) {
				throw new ReplicaException("injected: 503 Slow Down", true, null);
			}
			return super.listFiles(level, minTxidAtLeast);
		}

		@Override
		public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
				throws IOException {
			if (this.writesDown.get()) {
				throw new ReplicaException("injected outage", true, null);
			}
			return super.writeFile(level, minTxid, maxTxid, timestamp, data);
		}

		@Override
		public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
				throws IOException {
			if (this.writesDown.get()) {
				throw new ReplicaException("injected outage", true, null);
			}
			return super.createFile(level, minTxid, maxTxid, timestamp, data);
		}

	}

	/** A real replica that records every file written to it and the bytes. */
	static final class Counting extends Flaky {

		final List<LtxFileInfo> written = new CopyOnWriteArrayList<>();

		final AtomicLong bytes = new AtomicLong();

		Counting(ReplicaClient delegate) {
			super(delegate, null, null);
		}

		@Override
		public LtxFileInfo writeFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
				throws IOException {
			return count(super.writeFile(level, minTxid, maxTxid, timestamp, data));
		}

		@Override
		public LtxFileInfo createFile(int level, long minTxid, long maxTxid, Instant timestamp, InputStream data)
				throws IOException {
			return count(super.createFile(level, minTxid, maxTxid, timestamp, data));
		}

		private LtxFileInfo count(LtxFileInfo info) {
			this.written.add(info);
			this.bytes.addAndGet(info.size());
			return info;
		}

	}

}
