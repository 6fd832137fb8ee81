package io.github.litestream.durable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import javax.sql.DataSource;

import io.github.litestream.autoconfigure.LitestreamAutoConfiguration;
import io.github.litestream.autoconfigure.LitestreamAwaitReplicatedAutoConfiguration;
import io.github.litestream.replication.ReplicationTimeoutException;
import io.github.litestream.restore.RestoreOptions;
import io.github.litestream.restore.Restorer;
import io.github.litestream.storage.file.FileReplicaClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link AwaitReplicated} in a Spring context with a real SQLite database and a file
 * replica. The sync interval is long enough that a method returning before its commit was
 * uploaded would leave the replica without it; each check reads the replica at once after
 * the call, never waiting.
 */
class AwaitReplicatedTests {

	private static final AutoConfigurations CONFIGURATIONS = AutoConfigurations.of(DataSourceAutoConfiguration.class,
			DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
			LitestreamAutoConfiguration.class, LitestreamAwaitReplicatedAutoConfiguration.class);

	@TempDir
	Path dir;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner().withConfiguration(CONFIGURATIONS)
			.withUserConfiguration(Services.class)
			.withPropertyValues("spring.datasource.url=jdbc:sqlite:" + this.dir.resolve("data/app.db"),
					"litestream.replicas[0].url=" + this.dir.resolve("replica").toUri(),
					"litestream.replicas[0].sync-interval=400ms", "litestream.monitor-interval=50ms",
					"app.durable-timeout=10s", "litestream.shutdown-sync-timeout=2s");
	}

	@Test
	void transactionalMethodReturnsOnlyOnceItsCommitIsOnTheReplica() {
		runner().run((context) -> {
			Notes notes = context.getBean(Notes.class);
			notes.createTable();
			for (int i = 1; i <= 4; i++) {
				notes.addDurably("note-" + i);
				assertThat(replicatedValues("restored-" + i + ".db")).as("on the replica when the call returned")
					.contains("note-" + i);
			}
		});
	}

	@Test
	void methodInsideAnOuterTransactionWaitsOnlyAfterThatCommit() {
		runner().run((context) -> {
			Notes notes = context.getBean(Notes.class);
			notes.createTable();
			TransactionTemplate transaction = context.getBean(TransactionTemplate.class);
			for (int i = 1; i <= 3; i++) {
				String value = "outer-" + i;
				transaction.executeWithoutResult((status) -> notes.addDurablyWithoutOwnTransaction(value));
				assertThat(replicatedValues("restored-" + i + ".db")).as("on the replica when the commit returned")
					.contains(value);
			}
		});
	}

	@Test
	void annotationOnTheClassAppliesToItsMethods() {
		runner().run((context) -> {
			Notes notes = context.getBean(Notes.class);
			notes.createTable();
			ClassLevel service = context.getBean(ClassLevel.class);
			for (int i = 1; i <= 3; i++) {
				service.add("class-" + i);
				assertThat(replicatedValues("restored-" + i + ".db")).as("on the replica when the call returned")
					.contains("class-" + i);
			}
			// Object's methods commit nothing: they do not wait, so a broken replica does
			// not make them time out
			breakReplica();
			notes.addWithoutWaiting("never uploaded");
			service.toString();
			service.hashCode();
		});
	}

	@Test
	void replicaThatFailsMakesTheMethodThrowAndTheCommitStaysLocal() {
		runner().run((context) -> {
			Notes notes = context.getBean(Notes.class);
			notes.createTable();
			notes.addDurably("before");
			breakReplica();
			assertThatExceptionOfType(ReplicationTimeoutException.class)
				.isThrownBy(() -> notes.addDurablyWithin1s("unreplicated"))
				.satisfies((ex) -> {
					assertThat(ex.getDatabase()).isEqualTo("dataSource");
					assertThat(ex.getReplica()).isEqualTo("file");
					assertThat(ex.getTxid()).isPositive();
					assertThat(ex.getMessage()).contains("replica 'file'", "last upload failed");
				});
			assertThat(notes.values()).contains("unreplicated");
		});
	}

	@Test
	void unknownDatabaseNameFailsNamingTheReplicatedDatabases() {
		runner().run((context) -> {
			Notes notes = context.getBean(Notes.class);
			notes.createTable();
			assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> notes.addToUnknownDatabase("x"))
				.withMessageContaining("database = \"orders\"")
				.withMessageContaining("[dataSource]");
		});
	}

	/**
	 * Uploads fail from now on: the level directory becomes a plain file. Moved aside in
	 * one rename, not deleted file by file, as an upload may be writing into it.
	 */
	private void breakReplica() throws IOException {
		Path level0 = this.dir.resolve("replica/ltx/0");
		if (Files.isDirectory(level0)) {
			Files.move(level0, this.dir.resolve("replica-level0-moved-aside"), StandardCopyOption.ATOMIC_MOVE);
		}
		Files.writeString(level0, "not a directory");
	}

	private String replicatedValues(String name) throws Exception {
		Path restored = this.dir.resolve(name);
		new Restorer().restore(new FileReplicaClient(this.dir.resolve("replica")), restored, RestoreOptions.defaults())
			.orElseThrow();
		StringBuilder values = new StringBuilder();
		try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + restored);
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SELECT v FROM note ORDER BY id")) {
			while (rows.next()) {
				values.append(rows.getString(1)).append(' ');
			}
		}
		return values.toString();
	}

	@Configuration(proxyBeanMethods = false)
	static class Services {

		@Bean
		Notes notes(DataSource dataSource) {
			return new Notes(new JdbcTemplate(dataSource));
		}

		@Bean
		ClassLevel classLevel(DataSource dataSource) {
			return new ClassLevel(new JdbcTemplate(dataSource));
		}

	}

	static class Notes {

		private final JdbcTemplate jdbc;

		Notes(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		public void createTable() {
			this.jdbc.execute("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, v TEXT)");
		}

		@Transactional
		@AwaitReplicated(timeout = "${app.durable-timeout}")
		public void addDurably(String value) {
			this.jdbc.update("INSERT INTO note (v) VALUES (?)", value);
		}

		@Transactional
		@AwaitReplicated(timeout = "1s")
		public void addDurablyWithin1s(String value) {
			this.jdbc.update("INSERT INTO note (v) VALUES (?)", value);
		}

		@AwaitReplicated(timeout = "10s")
		public void addDurablyWithoutOwnTransaction(String value) {
			this.jdbc.update("INSERT INTO note (v) VALUES (?)", value);
		}

		@AwaitReplicated(database = "orders")
		public void addToUnknownDatabase(String value) {
			this.jdbc.update("INSERT INTO note (v) VALUES (?)", value);
		}

		public void addWithoutWaiting(String value) {
			this.jdbc.update("INSERT INTO note (v) VALUES (?)", value);
		}

		public String values() {
			return String.join(" ", this.jdbc.queryForList("SELECT v FROM note ORDER BY id", String.class));
		}

	}

	@AwaitReplicated(timeout = "10s")
	static class ClassLevel {

		private final JdbcTemplate jdbc;

		ClassLevel(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		@Transactional
		public void add(String value) {
			this.jdbc.update("INSERT INTO note (v) VALUES (?)", value);
		}

	}

}
