package io.github.litestream.replication;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;

import io.github.litestream.core.ReplicatorConfig;
import io.github.litestream.core.TestDatabases;
import io.github.litestream.replica.LineageStore;
import io.github.litestream.replica.LocalStore;
import io.github.litestream.replication.Checkpointer.Outcome;
import io.github.litestream.wal.WalHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One checkpoint attempt answers one outcome, on a real SQLite database with the engine's
 * own connections and an application connection beside them.
 */
class CheckpointerTests {

	@TempDir
	Path dir;

	private EngineConnections connections;

	private DatabaseFile file;

	private WalCutter cutter;

	private Checkpointer checkpointer;

	private Connection app;

	@BeforeEach
	void open() throws Exception {
		Path db = this.dir.resolve("app.db");
		ReplicatorConfig config = ReplicatorConfig.builder("app", db).minCheckpointPageCount(10).build();
		this.app = TestDatabases.open(db);
		TestDatabases.execute(this.app, "PRAGMA journal_mode=WAL", "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
		this.connections = EngineConnections.open(db, config.busyTimeout());
		this.file = DatabaseFile.open(db);
		LocalStore store = new LocalStore(config.metaDirectory());
		store.open();
		this.cutter = new WalCutter(config, store, new LineageStore(config.metaDirectory()));
		this.cutter.attach(this.connections, this.file);
		this.cutter.recover();
		this.checkpointer = new Checkpointer(config, this.cutter, () -> this.cutter.cut(false, System.nanoTime()));
		this.checkpointer.attach(this.connections);
	}

	@AfterEach
	void close() throws Exception {
		this.app.close();
		this.connections.close();
		this.file.close();
	}

	private void writeAndCut(int rows) throws Exception {
		try (Statement statement = this.app.createStatement()) {
			for (int i = 0; i < rows; i++) {
				statement.execute("INSERT INTO t (v) VALUES (randomblob(3000))");
			}
		}
		this.cutter.cut(false, System.nanoTime());
	}

	private Path wal() {
		return this.dir.resolve("app.db-wal");
	}

	@Test
	void aSmallWalBeforeTheIntervalIsNotDue() throws Exception {
		writeAndCut(1);

		assertThat(this.checkpointer.maybeCheckpoint()).isEqualTo(Outcome.NOT_DUE);
	}

	@Test
	void aLongWalWithoutReadersIsCheckpointedAndRestarts() throws Exception {
		writeAndCut(20);
		long txid = this.cutter.txid();

		assertThat(this.checkpointer.maybeCheckpoint()).isEqualTo(Outcome.RESTARTED);
		// The engine's restarting write begins the next generation, which continues the
		// position: the next cut is a delta, not a full snapshot.
		writeAndCut(1);
		assertThat(this.cutter.txid()).isGreaterThan(txid);
		assertThat(this.cutter.isFullFile(this.cutter.txid())).isFalse();
		assertThat(Files.size(wal())).isGreaterThanOrEqualTo(WalHeader.SIZE);
	}

	@Test
	void aReaderThatKeepsTheWalMakesTheAttemptKeptAndBacksOff() throws Exception {
		writeAndCut(20);
		try (Connection reader = TestDatabases.open(this.dir.resolve("app.db"))) {
			reader.setAutoCommit(false);
			try (Statement statement = reader.createStatement()) {
				statement.executeQuery("SELECT count(*) FROM t").close();
				writeAndCut(20);

				assertThat(this.checkpointer.maybeCheckpoint()).isEqualTo(Outcome.KEPT);
				// Backed off: the next attempt waits, whatever the WAL's length.
				assertThat(this.checkpointer.maybeCheckpoint()).isEqualTo(Outcome.NOT_DUE);
			}
			reader.rollback();
		}
	}

	@Test
	void truncateWaitIsAQuarterOfTheBusyTimeoutAtMost() {
		assertThat(Checkpointer.truncateWait(Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(50));
		assertThat(Checkpointer.truncateWait(Duration.ofSeconds(5))).isEqualTo(Checkpointer.MAX_TRUNCATE_WAIT);
	}

}
